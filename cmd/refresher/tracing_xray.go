//go:build xray

package main

import (
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sagemaker-cd/sagemaker-cd/internal/xraytrace"
)

// instrument makes the clients created from cfg record their calls as X-Ray subsegments.
func instrument(cfg *aws.Config) { xraytrace.Instrument(cfg) }
