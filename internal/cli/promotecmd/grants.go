package promotecmd

import (
	"github.com/spf13/cobra"

	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/cmdutil"
	"github.com/sagemaker-cd/sagemaker-cd/promotion"
)

// GrantsOptions are the flags of `smcd promote grants`.
type GrantsOptions struct {
	SourceGroupARN  string
	TargetAccountID string
	Buckets         []string
	KMSKeyARN       string
	TargetEventBus  string
	// ImageRepositories are private ECR repositories of the source account with the images.
	ImageRepositories []string
}

// NewCmdGrants builds `smcd promote grants`.
func NewCmdGrants(f *cmdutil.Factory) *cobra.Command {
	o := &GrantsOptions{}
	cmd := &cobra.Command{
		Use:   "grants --source-group-arn ARN --target-account ID [--bucket NAME]... [--kms-key-arn ARN] [--image-repository NAME]...",
		Short: "Print what the source account must grant so this account can promote",
		Long: `Print, as JSON ready to apply, every grant the source account needs so the target
account can promote from it. Every policy is a compact JSON string (one line, SageMaker refuses
policies with newlines), ready to pass as is: jq -r .modelPackageGroupPolicy. SageMaker ARNs are
written with the group name lower-cased, as SageMaker writes them (IAM compares case-sensitively).

  modelPackageGroupPolicy  PutModelPackageGroupPolicy on the source group (DescribeModelPackageGroup,
                           ListModelPackages, DescribeModelPackage on the group and its packages)
  bucketPolicies           per source bucket (s3:GetObject, GetObjectVersion, GetObjectTagging,
                           GetObjectVersionTagging, ListBucket): the copies are pinned to a
                           version (?versionId=) and carry the object's tags
  kmsKeyPolicyStatements   for the source artifacts' key: kms:Decrypt for the target account, only
                           through S3 in the group's region (kms:ViaService s3.REGION.amazonaws.com,
                           kms:CallerAccount TARGET)
  sourceRolePolicy         IAM policy of the role given to smcd promote as --source-role-arn:
                           the registry reads with sagemaker:ListTags, the object reads, and,
                           with --kms-key-arn, kms:Decrypt through S3 (HeadObject returns the
                           checksums of SSE-KMS objects only to callers allowed to decrypt)
  ecrRepositoryPolicies    per --image-repository: lets the target account pull the packages'
                           container images from the source account's private ECR (SageMaker
                           pulls them with the target's execution role when the model is created)
  eventRule                source-account rule forwarding "SageMaker Model Package State Change"
                           (Approved/Rejected) of the group to the target account's event bus;
                           its name fits EventBridge's 64 characters for any group name (long
                           names are cut and end in 8 hex digits of their SHA-256)
  targetEventBusPolicy     target-account bus policy allowing events:PutEvents from the source
  notes                    who uses which grant (below)

Who copies: CopyObject and UploadPartCopy are always issued with the target account's
credentials, also when smcd promote is given --source-role-arn. The bucket policies and the KMS
key policy must therefore allow the target account in every case. --source-role-arn covers only
the reads made while planning: the SageMaker registry (DescribeModelPackageGroup,
ListModelPackages, DescribeModelPackage, ListTags) and the S3 listing, heads and tags of the
source objects (ListObjectsV2, HeadObject, and GetObjectTagging of the objects copied in parts,
whose tags are set on CreateMultipartUpload). Without a role, those reads run as the target
account too, through the group policy and the bucket policies.

Package tags: the source package's tags are copied to the target package when the reader may
call sagemaker:ListTags on it. The printed group policy does not include ListTags (SageMaker
documents model package group policies for the registry reads only), so reading by ARN copies
no tags; grant sagemaker:ListTags on arn:aws:sagemaker:REGION:SOURCE:model-package/GROUP/* to
the role given as --source-role-arn to have them copied. Without it, the package is promoted
without them and the output says "source tags not readable".

Nothing is read or changed; no AWS credentials are needed.`,
		Example: `  # Grants for a target account reading one bucket
  smcd promote grants --source-group-arn arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn \
    --target-account 111222333444 --bucket mlops-models-444333666777

  # Include the source artifacts' KMS key and apply the group policy with the AWS CLI
  smcd promote grants --source-group-arn arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn \
    --target-account 111222333444 --bucket mlops-models-444333666777 \
    --kms-key-arn arn:aws:kms:eu-west-1:444333666777:key/1234abcd-12ab-34cd-56ef-1234567890ab | \
    jq -r .modelPackageGroupPolicy

  # Let the target account pull the model's image from the source account's private ECR
  smcd promote grants --source-group-arn arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn \
    --target-account 111222333444 --image-repository team/churn`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			g, err := promotion.BuildGrants(promotion.GrantsInput{SourceGroupARN: o.SourceGroupARN, TargetAccountID: o.TargetAccountID,
				Buckets: o.Buckets, KMSKeyARN: o.KMSKeyARN, TargetEventBus: o.TargetEventBus, ImageRepositories: o.ImageRepositories})
			if err != nil {
				return &cmdutil.UsageError{Command: c.CommandPath(), Err: err}
			}
			return writeJSON(f.Stdout, g)
		},
	}
	cmd.Flags().StringVar(&o.SourceGroupARN, "source-group-arn", "", "source model package group ARN (required)")
	cmd.Flags().StringVar(&o.TargetAccountID, "target-account", "", "target account ID, 12 digits (required)")
	cmd.Flags().StringArrayVar(&o.Buckets, "bucket", nil, "source bucket holding artifacts (repeat for several)")
	cmd.Flags().StringVar(&o.KMSKeyARN, "kms-key-arn", "", "KMS key encrypting the source artifacts")
	cmd.Flags().StringArrayVar(&o.ImageRepositories, "image-repository", nil, "private ECR repository of the source account holding the container images, as a name or image URI (repeat for several)")
	cmd.Flags().StringVar(&o.TargetEventBus, "target-event-bus", "", "event bus name in the target account (default: default)")
	_ = cmd.MarkFlagRequired("source-group-arn")
	_ = cmd.MarkFlagRequired("target-account")
	return cmd
}
