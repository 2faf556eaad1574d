package promote

// ModelPackagePromotePipelineProps configures a ModelPackagePromotePipeline. Field names follow the
// Seedfarmer module's parameters (source_model_package_group_arn is SourceModelPackageGroupArn, and
// so on) and CDK's naming for Go props.
type ModelPackagePromotePipelineProps struct {
	// SourceModelPackageGroupArn is the model package group the latest approved package is read
	// from; it may be in another account (the source account). Required.
	SourceModelPackageGroupArn *string
	// TargetBucketName is the S3 bucket in this (the target) account that receives the copied
	// model artifacts. Required. The construct imports it, so it adds no lifecycle rule: give the
	// bucket an AbortIncompleteMultipartUpload rule (for example 7 days) as a backstop for a
	// multipart copy's upload the promoter could not abort (it names such uploads by ID).
	TargetBucketName *string
	// EventBusName is the event bus in this account that receives the source account's SageMaker
	// "Model Package State Change" events. When set, a rule on it starts the pipeline on Approved
	// and Rejected; when nil, no rule is created and the pipeline runs on demand only.
	EventBusName *string
	// TargetModelPackageGroupName is the group promoted packages are registered in (created when
	// missing). Default: the source group's name.
	TargetModelPackageGroupName *string
	// TargetPrefix is the first segment(s) of every target key (smcd promote --target-prefix):
	// <prefix>/<source-group>/<source-version>/<source-bucket>/<source-key>. Default: none.
	TargetPrefix *string
	// SagemakerProjectId tags the target group with sagemaker:project-id.
	SagemakerProjectId *string
	// SagemakerProjectName tags the target group with sagemaker:project-name.
	SagemakerProjectName *string
	// KmsKeyArn is the KMS key (in this account and region) that encrypts the copied artifacts.
	// Default: the target bucket's default encryption.
	KmsKeyArn *string
	// RetainOnDelete keeps the promoted model packages when the stack is deleted. Default true.
	// When false, a custom resource deletes, on stack deletion only, the packages of the target
	// group that were promoted from the source group, and nothing else (not the group, not the
	// bucket, not packages registered by other means). It never touches this stack's own resources.
	RetainOnDelete *bool
	// PermissionsBoundaryName is the name of an IAM managed policy in this account attached as
	// permissions boundary to every IAM role of the stack the construct is in: the pipeline's,
	// the helper roles CDK creates (custom resource providers such as a bucket's
	// AutoDeleteObjects), and roles (and IAM users) you add to the same stack, before or after the
	// construct. Promote pipelines sharing a stack must name the same policy.
	PermissionsBoundaryName *string

	// ApprovalStatus is the approval status given to promoted packages: "Approved" (default) or
	// "PendingManualApproval".
	ApprovalStatus *string
	// BuildComputeType is the CodeBuild compute size: SMALL (default), MEDIUM, LARGE, X_LARGE or
	// X2_LARGE (the CloudFormation spellings BUILD_GENERAL1_SMALL ... BUILD_GENERAL1_2XLARGE are
	// accepted too). Copies are server-side, so SMALL suffices for any artifact size.
	BuildComputeType *string
	// SourceRoleArn is a role in the source account the promoter assumes to read the source group,
	// buckets and keys. Default: read by ARN through the source account's resource policies.
	SourceRoleArn *string
	// VerifyMode is how the promoter verifies each copy (smcd promote --verify, SMCD_VERIFY):
	// "checksum" (default) compares size and the source's full-object CRC checksum (or MD5 ETag
	// where comparable) and refuses, before copying, artifacts that have neither; "size" also
	// promotes those (artifacts uploaded before S3's default checksums, copied under KmsKeyArn),
	// copying them pinned to the source ETag seen while planning and verifying size and key only.
	VerifyMode *string
	// Concurrency is the number of S3 requests the promoter keeps in flight at once (smcd promote
	// --concurrency, SMCD_CONCURRENCY), shared by whole-object copies and the parts of multipart
	// copies: an integer 1-1000. Default 64 (S3 serves thousands of requests per second per
	// prefix; the build's connections are the limit).
	Concurrency *float64
	// CreateOutputs adds the stack outputs PipelineArn, PipelineName, EventRuleArn, EventRuleName
	// and metadata (fixed logical IDs, as the Seedfarmer module publishes them). Default true. A
	// stack can hold only one set: set it to false on every other promote pipeline of the stack;
	// the construct's PipelineArn, PipelineName, EventRuleArn and EventRuleName stay available.
	CreateOutputs *bool
}
