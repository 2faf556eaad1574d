// Package cleaner removes promoted model packages when a promote pipeline stack is deleted with
// retain_on_delete=false. It deletes only the target model packages whose lineage marker
// (CustomerMetadataProperties "smcd:source-model-package-arn") points into the configured source
// model package group, and nothing else: not the target group, not the bucket, not packages
// registered by hand.
//
// The package has a pure core (ShouldClean, SelectPromoted) and a thin adapter (Handler) that
// serves the CloudFormation custom resource through aws-lambda-go's cfn package.
package cleaner
