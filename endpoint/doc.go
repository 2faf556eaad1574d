// Package endpoint is the CDK construct that deploys a SageMaker endpoint and keeps it fresh:
// when the model artifacts in S3 change, the endpoint is moved to its other, identical endpoint
// config (A or B), so SageMaker downloads the new artifacts without a CloudFormation deployment.
//
// It is the Go counterpart of the seed's SagemakerEndpoint (b-cfn-sagemaker-endpoint), with a
// refresher that never loses an update: S3 EventBridge notifications and SageMaker endpoint state
// changes flow through EventBridge rules into SQS queues; with a quiet period, each S3 change
// goes to both queues: undelayed, so it is recorded at once, and delayed by the quiet period, to
// start the update once the quiet period after the newest change has passed; the refresher
// Lambda (cmd/refresher, package refresh/refresher) keeps one
// DynamoDB item per endpoint and calls UpdateEndpoint only on an InService endpoint; a scheduled
// rule reconciles anything missed. Models and endpoint configs get content-derived names, so a
// change of model or config props in CDK produces new configs and CloudFormation updates the
// endpoint.
//
// Owned buckets get EventBridge notifications turned on by the construct; an imported bucket
// must already have them on (S3 console: Properties, Amazon EventBridge, On; or
// `aws s3api put-bucket-notification-configuration --notification-configuration
// '{"EventBridgeConfiguration":{}}'`, which replaces any other notification configuration).
package endpoint
