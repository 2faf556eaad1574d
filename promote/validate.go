package promote

import (
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/sagemaker-cd/sagemaker-cd/promotion"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

// Approval statuses a promoted package can be given.
const (
	ApprovalApproved              = "Approved"
	ApprovalPendingManualApproval = "PendingManualApproval"
)

var (
	groupNameRE    = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)
	eventBusRE     = regexp.MustCompile(`^[/.\-_A-Za-z0-9]{1,256}$`)
	policyNameRE   = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	accountRE      = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE       = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]+$`)
	bucketRE       = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	keyIDRE        = regexp.MustCompile(`^key/[a-zA-Z0-9-]{1,128}$`)
	roleResourceRE = regexp.MustCompile(`^role/([\x21-\x7E]+/)?[\w+=,.@-]{1,64}$`)
)

// computeTypes maps accepted compute sizes to the CDK enum values.
var computeTypes = map[string]string{
	"SMALL": "SMALL", "MEDIUM": "MEDIUM", "LARGE": "LARGE", "X_LARGE": "X_LARGE", "X2_LARGE": "X2_LARGE",
	"BUILD_GENERAL1_SMALL": "SMALL", "BUILD_GENERAL1_MEDIUM": "MEDIUM", "BUILD_GENERAL1_LARGE": "LARGE",
	"BUILD_GENERAL1_XLARGE": "X_LARGE", "BUILD_GENERAL1_2XLARGE": "X2_LARGE",
}

// partitions maps region prefixes to partitions; the first match wins, "aws" otherwise.
var partitions = []struct{ prefix, partition string }{
	{"cn-", "aws-cn"}, {"us-gov-", "aws-us-gov"}, {"us-isob-", "aws-iso-b"}, {"us-isof-", "aws-iso-f"},
	{"eu-isoe-", "aws-iso-e"}, {"us-iso-", "aws-iso"}, {"eusc-", "aws-eusc"},
}

func partitionOf(region string) string {
	for _, p := range partitions {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}

func knownPartition(p string) bool {
	if p == "aws" {
		return true
	}
	for _, q := range partitions {
		if q.partition == p {
			return true
		}
	}
	return false
}

// arn is a parsed Amazon Resource Name.
type arn struct{ Partition, Service, Region, Account, Resource string }

// parseARN checks the shape shared by every ARN and the partition, service and region the
// stack allows: field names the prop, want describes the expected form for the message.
func parseARN(field, value, service, want, stackRegion string, regional bool) (arn, error) {
	parts := strings.SplitN(value, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return arn{}, fmt.Errorf("%s %q: expected an ARN of the form %s", field, value, want)
	}
	a := arn{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}
	switch {
	case !knownPartition(a.Partition):
		return a, fmt.Errorf("%s %q: partition %q is not an AWS partition (expected aws, aws-cn, aws-us-gov, ...)", field, value, a.Partition)
	case a.Service != service:
		return a, fmt.Errorf("%s %q: service %q, expected %s (%s)", field, value, a.Service, service, want)
	case regional && !regionRE.MatchString(a.Region):
		return a, fmt.Errorf("%s %q: region %q is not a region name (expected e.g. us-east-1)", field, value, a.Region)
	case !regional && a.Region != "":
		return a, fmt.Errorf("%s %q: %s ARNs have no region (expected %s)", field, value, service, want)
	case !accountRE.MatchString(a.Account):
		return a, fmt.Errorf("%s %q: account %q, expected a 12-digit account ID", field, value, a.Account)
	}
	if stackRegion != "" {
		if p := partitionOf(stackRegion); a.Partition != p {
			return a, fmt.Errorf("%s %q: partition %q does not match the stack's region %s (partition %s)", field, value, a.Partition, stackRegion, p)
		}
		if regional && a.Region != stackRegion {
			return a, fmt.Errorf("%s %q: region %s does not match the stack's region %s (promotion works within one region)", field, value, a.Region, stackRegion)
		}
	} else if regional && partitionOf(a.Region) != a.Partition {
		return a, fmt.Errorf("%s %q: region %s is not in partition %s", field, value, a.Region, a.Partition)
	}
	return a, nil
}

// checkBucketName applies the S3 general purpose bucket naming rules.
func checkBucketName(name string) error {
	const want = "expected an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"
	switch {
	case !bucketRE.MatchString(name):
		return fmt.Errorf("TargetBucketName %q: %s", name, want)
	case strings.Contains(name, ".."):
		return fmt.Errorf("TargetBucketName %q: two adjacent periods; %s", name, want)
	case net.ParseIP(name) != nil:
		return fmt.Errorf("TargetBucketName %q: formatted as an IP address; %s", name, want)
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return fmt.Errorf("TargetBucketName %q: the prefix %q is reserved by S3; %s", name, p, want)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return fmt.Errorf("TargetBucketName %q: the suffix %q is reserved by S3; %s", name, s, want)
		}
	}
	return nil
}

// resolved holds the validated props with defaults applied.
type resolved struct {
	source         arn
	sourceGroup    string
	targetBucket   string
	targetGroup    string
	eventBus       string
	projectID      string
	projectName    string
	kmsKeyArn      string
	retainOnDelete bool
	boundary       string
	approval       string
	compute        string
	sourceRoleArn  string
	verify         string
	createOutputs  bool
}

// Validate checks every prop and returns the first problem as a one-line error naming the bad
// value and what was expected. stackRegion is the region the stack deploys to, or "" when unknown
// (an environment-agnostic stack); when known, ARNs must be in its partition and region.
func (p *ModelPackagePromotePipelineProps) Validate(stackRegion string) error {
	_, err := p.resolve(stackRegion)
	return err
}

func (p *ModelPackagePromotePipelineProps) resolve(stackRegion string) (*resolved, error) {
	if p == nil {
		return nil, fmt.Errorf("props are nil: expected SourceModelPackageGroupArn and TargetBucketName")
	}
	if stackRegion != "" && !regionRE.MatchString(stackRegion) {
		return nil, fmt.Errorf("stack region %q: expected a region name such as us-east-1", stackRegion)
	}
	s := func(v *string) string {
		if v == nil {
			return ""
		}
		return *v
	}
	r := &resolved{
		targetBucket: s(p.TargetBucketName), eventBus: s(p.EventBusName), projectID: s(p.SagemakerProjectId),
		projectName: s(p.SagemakerProjectName), kmsKeyArn: s(p.KmsKeyArn), boundary: s(p.PermissionsBoundaryName),
		approval: s(p.ApprovalStatus), sourceRoleArn: s(p.SourceRoleArn), verify: s(p.VerifyMode), retainOnDelete: true, createOutputs: true,
	}
	if p.RetainOnDelete != nil {
		r.retainOnDelete = *p.RetainOnDelete
	}
	if p.CreateOutputs != nil {
		r.createOutputs = *p.CreateOutputs
	}
	var missing []string
	if s(p.SourceModelPackageGroupArn) == "" {
		missing = append(missing, "SourceModelPackageGroupArn")
	}
	if r.targetBucket == "" {
		missing = append(missing, "TargetBucketName")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing required props: %s", strings.Join(missing, ", "))
	}
	for _, v := range []string{s(p.SourceModelPackageGroupArn), r.targetBucket, r.eventBus, s(p.TargetModelPackageGroupName), r.projectID, r.projectName, r.kmsKeyArn, r.boundary, r.approval, s(p.BuildComputeType), r.sourceRoleArn, r.verify} {
		if *awscdk.Token_IsUnresolved(v) {
			return nil, fmt.Errorf("prop value %q is a token: expected literal values, which the construct validates and places into ARNs", v)
		}
	}

	const groupForm = "arn:<partition>:sagemaker:<region>:<account>:model-package-group/<name>"
	src, err := parseARN("SourceModelPackageGroupArn", *p.SourceModelPackageGroupArn, "sagemaker", groupForm, stackRegion, true)
	if err != nil {
		return nil, err
	}
	name, ok := strings.CutPrefix(src.Resource, "model-package-group/")
	if !ok {
		return nil, fmt.Errorf("SourceModelPackageGroupArn %q: resource %q, expected %s", *p.SourceModelPackageGroupArn, src.Resource, groupForm)
	}
	if !groupNameRE.MatchString(name) {
		return nil, fmt.Errorf("SourceModelPackageGroupArn %q: group name %q, expected 1-63 letters, digits and single hyphens (^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$)", *p.SourceModelPackageGroupArn, name)
	}
	r.source, r.sourceGroup = src, name

	if err := checkBucketName(r.targetBucket); err != nil {
		return nil, err
	}
	r.targetGroup = name
	if p.TargetModelPackageGroupName != nil {
		r.targetGroup = *p.TargetModelPackageGroupName
		if !groupNameRE.MatchString(r.targetGroup) {
			return nil, fmt.Errorf("TargetModelPackageGroupName %q: expected 1-63 letters, digits and single hyphens (^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$)", r.targetGroup)
		}
	}
	if p.EventBusName != nil && !eventBusRE.MatchString(r.eventBus) {
		return nil, fmt.Errorf("EventBusName %q: expected an event bus name of 1-256 letters, digits, and . - _ /", r.eventBus)
	}
	// The same rules as smcd promote --project-id/--project-name (promotion.ValidateProject*).
	if p.SagemakerProjectId != nil && promotion.ValidateProjectID(r.projectID) != nil {
		return nil, fmt.Errorf("SagemakerProjectId %q: expected a SageMaker project ID such as p-abcdef123456 (1-20 letters, digits and single hyphens)", r.projectID)
	}
	if p.SagemakerProjectName != nil && promotion.ValidateProjectName(r.projectName) != nil {
		return nil, fmt.Errorf("SagemakerProjectName %q: expected 1-32 letters, digits and single hyphens", r.projectName)
	}
	if p.KmsKeyArn != nil {
		const keyForm = "arn:<partition>:kms:<region>:<account>:key/<key-id>"
		k, err := parseARN("KmsKeyArn", r.kmsKeyArn, "kms", keyForm, stackRegion, true)
		if err != nil {
			return nil, err
		}
		if !keyIDRE.MatchString(k.Resource) {
			return nil, fmt.Errorf("KmsKeyArn %q: resource %q, expected key/<key-id> (an alias cannot scope IAM permissions)", r.kmsKeyArn, k.Resource)
		}
		if k.Partition != src.Partition || k.Region != src.Region {
			return nil, fmt.Errorf("KmsKeyArn %q: expected a key in %s %s, where the model packages are", r.kmsKeyArn, src.Partition, src.Region)
		}
	}
	if p.PermissionsBoundaryName != nil && !policyNameRE.MatchString(r.boundary) {
		return nil, fmt.Errorf("PermissionsBoundaryName %q: expected an IAM policy name (1-128 letters, digits and +=,.@_-), not an ARN or path", r.boundary)
	}
	if p.ApprovalStatus == nil {
		r.approval = ApprovalApproved
	} else if r.approval != ApprovalApproved && r.approval != ApprovalPendingManualApproval {
		return nil, fmt.Errorf("ApprovalStatus %q: expected %s or %s", r.approval, ApprovalApproved, ApprovalPendingManualApproval)
	}
	r.compute = "SMALL"
	if p.BuildComputeType != nil {
		c, ok := computeTypes[strings.ToUpper(*p.BuildComputeType)]
		if !ok {
			return nil, fmt.Errorf("BuildComputeType %q: expected SMALL, MEDIUM, LARGE, X_LARGE or X2_LARGE", *p.BuildComputeType)
		}
		r.compute = c
	}
	switch s3copy.VerifyMode(r.verify) {
	case s3copy.VerifyChecksum, s3copy.VerifySize:
	default:
		if p.VerifyMode != nil {
			return nil, fmt.Errorf("VerifyMode %q: expected %s or %s", r.verify, s3copy.VerifyChecksum, s3copy.VerifySize)
		}
		r.verify = string(s3copy.VerifyChecksum)
	}
	if p.SourceRoleArn != nil {
		const roleForm = "arn:<partition>:iam::<source account>:role/<name>"
		role, err := parseARN("SourceRoleArn", r.sourceRoleArn, "iam", roleForm, "", false)
		if err != nil {
			return nil, err
		}
		if !roleResourceRE.MatchString(role.Resource) {
			return nil, fmt.Errorf("SourceRoleArn %q: resource %q, expected %s", r.sourceRoleArn, role.Resource, roleForm)
		}
		if role.Partition != src.Partition || role.Account != src.Account {
			return nil, fmt.Errorf("SourceRoleArn %q: expected a role in the source account %s (partition %s)", r.sourceRoleArn, src.Account, src.Partition)
		}
	}
	return r, nil
}
