// Package refresher is the AWS side of endpoint refresh: it stores refresh.State in DynamoDB with
// conditional writes, observes the endpoint with DescribeEndpoint, executes refresh decisions
// with UpdateEndpoint, and turns Lambda events (S3 via EventBridge, SageMaker endpoint state
// changes, schedules, SQS batches) into changes and reconcile passes.
package refresher
