// Package promote is the CDK construct that deploys the cross-account model package promote
// pipeline: a CodePipeline (V2) in the target account whose CodeBuild stage runs `smcd promote`,
// started by an EventBridge rule when a model package of the source group is Approved or Rejected.
//
// NewModelPackagePromotePipeline validates its props before it builds anything and panics with a
// one-line message on bad input, as CDK constructs do; call ModelPackagePromotePipelineProps.Validate
// first to get the same message as an error. Its stack outputs have fixed logical IDs (the
// Seedfarmer module publishes them): a stack holds several promote pipelines when all but one set
// CreateOutputs to false. The construct also serves as the body of the
// Seedfarmer module in modules/sagemaker-model-package-promote-pipeline.
package promote
