// Package promoter is the AWS side of a promotion: a Promoter reads the source and target model
// package groups (SageMaker through narrow interfaces with the SDK's exact method signatures),
// plans one pass with package promotion's pure core, copies the artifacts with package s3copy,
// and registers, rejects or re-approves target packages.
//
// A pass makes few requests whatever the registries hold: independent reads run in parallel,
// the target copies are found by their lineage tag with SageMaker Search instead of describing
// every target package, objects under a prefix are described by their listing, and the copies
// are verified from S3's answers (see package s3copy). Registration is idempotent
// (promotion.ClientToken), and a target group that already exists, created meanwhile or by an
// SDK retry whose answer was lost, is success.
package promoter
