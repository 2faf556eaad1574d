//go:build xray

package main

import (
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sagemaker-cd/sagemaker-cd/internal/xraytrace"
)

// tracingBuilt says whether this binary records its AWS SDK calls as X-Ray subsegments. The
// endpoint construct builds the refresher with the tag xray when Tracing is on.
const tracingBuilt = true

// instrument makes the clients created from cfg record their calls as X-Ray subsegments.
func instrument(cfg *aws.Config) { xraytrace.Instrument(cfg) }
