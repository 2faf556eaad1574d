package promote

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// arns are the resources the promoter and the cleaner act on. Partition, region and account of
// the target come from the stack (tokens in an environment-agnostic stack); the source's from its
// validated ARN, whose partition and region equal the stack's.
type arns struct {
	sourceGroup    *[]*string // the source group and its packages
	target         *[]*string // the target group and its packages
	sourceObjects  *[]*string // any bucket and object (constrained to the source account by condition)
	sourceKeys     *[]*string // any key of the source account in this region
	targetBucket   *[]*string
	targetObjects  *[]*string
	sourceAccount  string
	s3ViaService   string
	targetGroupArn string
}

// groupAndPackages lists a group's ARN and its packages' ARNs. SageMaker writes names lower case
// in ARNs; the given spelling is kept too when it differs, so the policy matches either way.
func groupAndPackages(prefix, name string) *[]*string {
	names := []string{name}
	if l := strings.ToLower(name); l != name {
		names = append(names, l)
	}
	var out []*string
	for _, n := range names {
		out = append(out, jsii.String(prefix+"model-package-group/"+n), jsii.String(prefix+"model-package/"+n+"/*"))
	}
	return &out
}

func newARNs(stack awscdk.Stack, r *resolved) *arns {
	partition := *stack.Partition()
	src := r.source
	srcPrefix := fmt.Sprintf("arn:%s:sagemaker:%s:%s:", partition, src.Region, src.AccountID)
	tgtPrefix := fmt.Sprintf("arn:%s:sagemaker:%s:%s:", partition, *stack.Region(), *stack.Account())
	return &arns{
		sourceGroup:    groupAndPackages(srcPrefix, r.sourceGroup),
		target:         groupAndPackages(tgtPrefix, r.targetGroup),
		sourceObjects:  jsii.Strings(fmt.Sprintf("arn:%s:s3:::*", partition), fmt.Sprintf("arn:%s:s3:::*/*", partition)),
		sourceKeys:     jsii.Strings(fmt.Sprintf("arn:%s:kms:%s:%s:key/*", partition, src.Region, src.AccountID)),
		targetBucket:   jsii.Strings(fmt.Sprintf("arn:%s:s3:::%s", partition, r.targetBucket)),
		targetObjects:  jsii.Strings(fmt.Sprintf("arn:%s:s3:::%s/*", partition, r.targetBucket)),
		sourceAccount:  src.AccountID,
		s3ViaService:   fmt.Sprintf("s3.%s.amazonaws.com", src.Region),
		targetGroupArn: tgtPrefix + "model-package-group/" + r.targetGroup,
	}
}

func statement(sid string, actions []string, resources *[]*string, conditions map[string]interface{}) awsiam.PolicyStatement {
	props := &awsiam.PolicyStatementProps{Sid: jsii.String(sid), Actions: jsii.Strings(actions...), Resources: resources}
	if conditions != nil {
		props.Conditions = &conditions
	}
	return awsiam.NewPolicyStatement(props)
}

// promoterStatements is the least privilege `smcd promote` needs in the target account.
func promoterStatements(a *arns, r *resolved) []awsiam.PolicyStatement {
	s := []awsiam.PolicyStatement{
		// ListTags reads the source package's tags, which the promoted package carries over.
		statement("ReadSourceModelPackages", []string{
			"sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup",
			"sagemaker:ListTags",
		}, a.sourceGroup, nil),
		// Source bucket names are only known at run time (they are in the package): any bucket,
		// but only one owned by the source account. The copies pin the planned version
		// (?versionId=) and copy its tags (a single CopyObject with the tagging directive COPY; a
		// multipart copy reads them with GetObjectTagging?versionId=), so they need the Version
		// forms of GetObject and GetObjectTagging besides the plain ones (an unversioned bucket's
		// objects have no version ID).
		statement("ReadSourceArtifacts", []string{
			"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:GetObjectVersionTagging", "s3:ListBucket",
		}, a.sourceObjects, map[string]interface{}{"StringEquals": map[string]interface{}{"s3:ResourceAccount": a.sourceAccount}}),
		// Source objects encrypted with a source-account key are decrypted by S3 during the copy.
		statement("DecryptSourceArtifacts", []string{"kms:Decrypt", "kms:DescribeKey"}, a.sourceKeys,
			map[string]interface{}{"StringEquals": map[string]interface{}{"kms:ViaService": a.s3ViaService}}),
		// GetEncryptionConfiguration: without KmsKeyArn, the promoter checks that the bucket's
		// default encryption is not a customer managed key it could not use.
		statement("WriteTargetBucket", []string{"s3:GetEncryptionConfiguration", "s3:ListBucket", "s3:ListBucketMultipartUploads"}, a.targetBucket, nil),
		// PutObjectTagging: a copy that carries tags (CopyObject copying the source's, or
		// CreateMultipartUpload with x-amz-tagging) needs it on the new object besides PutObject.
		statement("WriteTargetArtifacts", []string{
			"s3:PutObject", "s3:PutObjectTagging", "s3:GetObject", "s3:GetObjectAttributes", "s3:GetObjectTagging",
			"s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
		}, a.targetObjects, nil),
		statement("RegisterTargetModelPackages", []string{
			"sagemaker:CreateModelPackage", "sagemaker:CreateModelPackageGroup", "sagemaker:UpdateModelPackage",
			"sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup",
			"sagemaker:AddTags", "sagemaker:ListTags",
		}, a.target, nil),
		// Search finds the target copies by their lineage tag without describing every package.
		// It has no resource-level permissions (the service authorization reference lists "*").
		statement("FindTargetCopies", []string{"sagemaker:Search"}, jsii.Strings("*"), nil),
	}
	if r.kmsKeyArn != "" {
		s = append(s, statement("EncryptTargetArtifacts", []string{
			"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey",
		}, jsii.Strings(r.kmsKeyArn), nil))
	}
	if r.sourceRoleArn != "" {
		s = append(s, statement("AssumeSourceRole", []string{"sts:AssumeRole"}, jsii.Strings(r.sourceRoleArn), nil))
	}
	return s
}
