//go:build !xray

package main

import "github.com/aws/aws-sdk-go-v2/aws"

// tracingBuilt says whether this binary records its AWS SDK calls as X-Ray subsegments: not
// without the build tag xray, which keeps the X-Ray SDK (and the AWS SDK v1, gRPC and fasthttp
// it brings) out of the binary.
const tracingBuilt = false

// instrument does nothing in a binary built without the tag xray.
func instrument(*aws.Config) {}
