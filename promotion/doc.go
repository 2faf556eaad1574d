// Package promotion promotes the latest approved SageMaker model package of a source model
// package group (often in another account) into a target model package group: it copies every
// artifact server-side into the target bucket, verifies each copy, and registers the package with
// lineage so that re-runs converge instead of duplicating.
//
// This package is the pure core: the one Config with its Validate and SMCD_* environment
// contract, selection (LatestApproved, Decide), target building (BuildTarget, SourceTags,
// TargetKey, CheckKey, ClientToken) and the grants the source account must give (BuildGrants,
// ImageWarnings). It does no I/O and its tests need no emulator. The AWS side lives below it,
// split the way refresh is:
//
//   - promotion/promoter reads the registries, plans and runs a promotion pass (Promoter);
//   - promotion/s3copy is the server-side copy engine the promoter drives;
//   - promotion/cleaner is the library of the package cleaner Lambda;
//   - promotion/awserr says what an AWS error means (the one place that reads error codes).
//
// Target key layout (deterministic, so re-runs overwrite the same keys):
//
//	<target-prefix>/<source-group-name>/<source-package-version>/<source-bucket>/<source-key>
//
// Every copy is pinned to the source as planned (copy source version ID when known, and
// x-amz-copy-source-if-match with the planned ETag), then verified before the package is
// registered; package s3copy says which S3 answers prove each copy. s3copy.VerifyChecksum (the
// default) compares the source's full-object checksum or its MD5 ETag where that is comparable,
// and refuses objects that have neither; s3copy.VerifySize accepts those (artifacts uploaded
// before S3's default checksums, copied into an SSE-KMS bucket) by size and pinned ETag, and asks
// S3 for a CRC32 on the copy.
//
// The target package carries the source package ARN in CustomerMetadataProperties and in a tag,
// both under LineageKey ("smcd:source-model-package-arn"), and the source package's tags when
// they can be read. Fields that cannot exist in the target account (ValidationSpecification with
// its source-account role, SecurityConfig with its source-account key) are left out and reported.
// A copy is set to Rejected when its source is, and back to the configured status when the source
// is approved again.
package promotion
