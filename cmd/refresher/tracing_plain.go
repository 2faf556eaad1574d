//go:build !xray

package main

import "github.com/aws/aws-sdk-go-v2/aws"

// instrument does nothing without the build tag xray, which keeps the X-Ray SDK (and the AWS
// SDK v1, gRPC and fasthttp it brings) out of the binary; the endpoint construct sets the tag
// when Tracing is on.
func instrument(*aws.Config) {}
