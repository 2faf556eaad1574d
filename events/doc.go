// Package events holds the EventBridge event types the refresher consumes, in the manner of
// github.com/aws/aws-lambda-go/events: plain data types with source and detail-type constants
// and typed status strings, one file per event source.
//
// The envelopes (events.CloudWatchEvent for EventBridge, events.SQSEvent and
// events.SQSEventResponse for SQS) come from aws-lambda-go; this package types the "detail" of
// the S3 "Object Created"/"Object Deleted" events and the SageMaker "Endpoint State Change"
// event, which aws-lambda-go does not cover. Captured payloads live in testdata/.
package events
