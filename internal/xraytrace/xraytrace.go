// Package xraytrace records the AWS SDK calls of a Lambda function as AWS X-Ray subsegments of
// the function's segment, with the X-Ray SDK for Go (github.com/aws/aws-xray-sdk-go).
//
// Only binaries built for active tracing import it (cmd/refresher with the build tag xray,
// which the endpoint construct sets when Tracing is on): the X-Ray SDK brings the AWS SDK for
// Go v1, gRPC and fasthttp with it, which triples the refresher's size.
package xraytrace

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-xray-sdk-go/instrumentation/awsv2"
)

// Instrument makes every client created from cfg record each call as a subsegment (service,
// operation, request id, retries, errors) of the X-Ray segment in the call's context: in
// Lambda with active tracing, the function invocation's segment. Call it before creating the
// clients.
func Instrument(cfg *aws.Config) {
	awsv2.AWSV2Instrumentor(&cfg.APIOptions)
}
