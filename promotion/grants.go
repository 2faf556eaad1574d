package promotion

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/events"
)

// GrantsInput names the source group, the target account and what it reads.
type GrantsInput struct {
	SourceGroupARN  string
	TargetAccountID string
	// Buckets hold the source artifacts (the source account's bucket policies).
	Buckets []string
	// KMSKeyARN encrypts source artifacts (optional).
	KMSKeyARN string
	// TargetEventBus receives forwarded events (default: the target account's default bus).
	TargetEventBus string
	// ImageRepositories are private ECR repositories of the source account holding the
	// packages' container images (names, or URIs such as
	// 444333666777.dkr.ecr.eu-west-1.amazonaws.com/churn:1).
	ImageRepositories []string
}

// Grants is what the source account must apply so the target account can promote. Every policy
// is a compact JSON string (no newlines), ready to pass as is to the matching AWS API
// (PutModelPackageGroupPolicy's ResourcePolicy, PutBucketPolicy's Policy, ...).
type Grants struct {
	// ModelPackageGroupPolicy for PutModelPackageGroupPolicy on the source group.
	ModelPackageGroupPolicy string `json:"modelPackageGroupPolicy"`
	// BucketPolicies per source bucket, for PutBucketPolicy (merge with existing statements).
	BucketPolicies map[string]string `json:"bucketPolicies,omitempty"`
	// KMSKeyPolicyStatements (a JSON array) to add to the source key's policy.
	KMSKeyPolicyStatements string `json:"kmsKeyPolicyStatements,omitempty"`
	// SourceRolePolicy is the IAM policy of the role given as --source-role-arn (optional way to
	// read the source): the registry reads with ListTags, the object reads, and kms:Decrypt
	// through S3 when the artifacts are SSE-KMS (HeadObject asks for checksums, which S3
	// decrypts for the caller).
	SourceRolePolicy string `json:"sourceRolePolicy"`
	// ECRRepositoryPolicies per private ECR repository of the source account, for
	// SetRepositoryPolicy: lets the target account pull the packages' images.
	ECRRepositoryPolicies map[string]string `json:"ecrRepositoryPolicies,omitempty"`
	// EventRule is the source account rule that forwards state changes to the target bus.
	EventRule EventRuleGrant `json:"eventRule"`
	// TargetEventBusPolicy is applied in the target account (PutPermission / bus policy).
	TargetEventBusPolicy string `json:"targetEventBusPolicy"`
	// Notes explain who uses which grant (CopyPrincipalNote first).
	Notes []string `json:"notes"`
}

// CopyPrincipalNote says which principal each grant is for. The copies (CopyObject and
// UploadPartCopy) are issued by the target account's S3 client, so the bucket and key policies
// must allow the target account even when a source role is assumed.
const CopyPrincipalNote = "The copies (CopyObject, UploadPartCopy) always run as the target account's principal, " +
	"also with --source-role-arn: the source bucket policies and the KMS key policy must allow the target account in every case. " +
	"--source-role-arn is used only for the reads made while planning (SageMaker DescribeModelPackageGroup, ListModelPackages, " +
	"DescribeModelPackage, ListTags; S3 ListObjectsV2, HeadObject, and GetObjectTagging of objects copied in parts); without it those reads also run as the target account " +
	"and need the group policy and the bucket policies below; with it, the role needs sourceRolePolicy. " +
	"The group policy does not grant sagemaker:ListTags (SageMaker documents only the registry reads for model package group policies), " +
	"so the source package's tags are copied only through a source role allowed sagemaker:ListTags on the packages; otherwise the package is promoted without them and the output says so."

// ECRNote says who pulls the images and what else the target account needs.
const ECRNote = "Container images in the source account's private ECR are pulled by SageMaker in the target account (with the execution role of the model or endpoint created from the promoted package): " +
	"each repository needs ecrRepositoryPolicies, and that role needs ecr:BatchGetImage, ecr:GetDownloadUrlForLayer and ecr:BatchCheckLayerAvailability on the repository and ecr:GetAuthorizationToken. " +
	"An image encrypted with a customer managed KMS key also needs kms:Decrypt for the target account on that key."

// EventRuleGrant is an EventBridge rule in the source account.
type EventRuleGrant struct {
	// Name is at most 64 characters (EventBridge's limit), whatever the group name's length.
	Name string `json:"name"`
	// EventPattern is compact JSON for PutRule.
	EventPattern string `json:"eventPattern"`
	TargetARN    string `json:"targetArn"`
	// RoleNote says which role the rule needs to put events on another account's bus.
	RoleNote string `json:"roleNote"`
}

// MaxRuleNameLength is EventBridge's limit on rule names.
const MaxRuleNameLength = 64

// ForwardRuleName is the name of the source account rule that forwards a group's events:
// "smcd-forward-<group>", or, when that exceeds MaxRuleNameLength, the group name cut short and
// followed by 8 hex digits of its SHA-256, so different groups keep different names.
func ForwardRuleName(group string) string {
	const prefix = "smcd-forward-"
	name := prefix + group
	if len(name) <= MaxRuleNameLength {
		return name
	}
	sum := sha256.Sum256([]byte(group))
	suffix := "-" + hex.EncodeToString(sum[:4])
	return name[:MaxRuleNameLength-len(suffix)] + suffix
}

var ecrRepoPattern = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// ImageRepository is a container image in a private ECR registry.
type ImageRepository struct {
	AccountID, Region, Name string
}

// ARN returns the repository ARN in partition.
func (r ImageRepository) ARN(partition string) string {
	return "arn:" + partition + ":ecr:" + r.Region + ":" + r.AccountID + ":repository/" + r.Name
}

var ecrImagePattern = regexp.MustCompile(`^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)(?:[:@].*)?$`)

// ParseECRImage reads a private ECR image URI (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG
// or @sha256:...). ok is false for any other image (public ECR, Docker Hub, ...).
func ParseECRImage(image string) (repo ImageRepository, ok bool) {
	m := ecrImagePattern.FindStringSubmatch(image)
	if m == nil {
		return ImageRepository{}, false
	}
	return ImageRepository{AccountID: m[1], Region: m[2], Name: m[3]}, true
}

// ForeignImages returns the private ECR repositories of another account than accountID that
// the package's containers use (distinct, in order of appearance).
func ForeignImages(images []string, accountID string) []ImageRepository {
	var out []ImageRepository
	for _, img := range images {
		if r, ok := ParseECRImage(img); ok && r.AccountID != accountID && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// ImageWarnings warns about container images of d in a private ECR repository of the source
// account (when it is not the target's, known from targetGroupARN; empty when not created yet): SageMaker in the
// target account pulls them only if the repository policy allows it. Images of other accounts
// are not warned about: AWS's own images (built-in algorithms, deep learning containers) live in
// AWS accounts that every account may pull from.
func ImageWarnings(d *sagemaker.DescribeModelPackageOutput, sourceAccount, targetGroupARN string) []string {
	var images []string
	add := func(cs []types.ModelPackageContainerDefinition) {
		for _, c := range cs {
			images = append(images, aws.ToString(c.Image))
		}
	}
	if d.InferenceSpecification != nil {
		add(d.InferenceSpecification.Containers)
	}
	for _, a := range d.AdditionalInferenceSpecifications {
		add(a.Containers)
	}
	if a, err := ParseGroupARN(targetGroupARN); err == nil && a.AccountID == sourceAccount {
		return nil
	}
	var out []string
	for _, r := range ForeignImages(images, "") {
		if r.AccountID != sourceAccount {
			continue
		}
		out = append(out, fmt.Sprintf("container image repository %s is in the private ECR of the source account %s: its repository policy must let this account pull it "+
			"(ecr:BatchGetImage, ecr:GetDownloadUrlForLayer, ecr:BatchCheckLayerAvailability), or models created from the promoted package fail; "+
			"smcd promote grants --image-repository %s prints it", r.ARN(PartitionOf(r.Region)), r.AccountID, r.Name))
	}
	return out
}

// compact marshals v without indentation (policy strings must not contain newlines).
func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("promotion: marshal policy: %v", err)) // only maps of strings: cannot fail
	}
	return string(b)
}

// BuildGrants returns the grants as JSON documents. It is pure: nothing is read or applied.
func BuildGrants(in GrantsInput) (*Grants, error) {
	g, err := ParseGroupARN(in.SourceGroupARN)
	if err != nil {
		return nil, err
	}
	if err := ValidateAccountID(in.TargetAccountID); err != nil {
		return nil, fmt.Errorf("target %w", err)
	}
	for _, b := range in.Buckets {
		var ce *ConfigError
		if err := ValidateBucketName(b); errors.As(err, &ce) {
			return nil, errors.New(ce.Named("source bucket"))
		}
	}
	if in.KMSKeyARN != "" {
		if _, err := ParseKMSKeyARN(in.KMSKeyARN); err != nil {
			return nil, err
		}
	}
	var repos []ImageRepository
	for _, r := range in.ImageRepositories {
		repo, ok := ParseECRImage(r)
		switch {
		case ok && repo.AccountID != g.AccountID:
			return nil, fmt.Errorf("image repository %q: expected a repository of the source account %s", r, g.AccountID)
		case !ok && !ecrRepoPattern.MatchString(r):
			return nil, fmt.Errorf("image repository %q: expected an ECR repository name (e.g. team/churn) or image URI (ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME:TAG)", r)
		case !ok:
			repo = ImageRepository{AccountID: g.AccountID, Region: g.Region, Name: r}
		}
		if !slices.Contains(repos, repo) {
			repos = append(repos, repo)
		}
	}
	principal := "arn:" + g.Partition + ":iam::" + in.TargetAccountID + ":root"
	type stmt map[string]any
	doc := func(stmts ...stmt) string {
		return compact(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	}
	registryReads := []string{"sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages"}
	packageReads := []string{"sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"}
	out := &Grants{BucketPolicies: map[string]string{}}
	out.ModelPackageGroupPolicy = doc(stmt{
		"Sid":       "SmcdPromoteReadGroup",
		"Effect":    "Allow",
		"Principal": map[string]string{"AWS": principal},
		"Action":    registryReads,
		"Resource":  g.LowerString(),
	}, stmt{
		"Sid":       "SmcdPromoteReadPackages",
		"Effect":    "Allow",
		"Principal": map[string]string{"AWS": principal},
		"Action":    packageReads,
		"Resource":  g.PackagesARN(),
	})
	// CopyObject and UploadPartCopy read the pinned version (?versionId=) and copy its tags.
	objectReads := []string{"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:GetObjectVersionTagging"}
	var bucketARNs, objectARNs []string
	for _, b := range in.Buckets {
		bucketARN := "arn:" + g.Partition + ":s3:::" + b
		bucketARNs, objectARNs = append(bucketARNs, bucketARN), append(objectARNs, bucketARN+"/*")
		out.BucketPolicies[b] = doc(stmt{
			"Sid":       "SmcdPromoteReadObjects",
			"Effect":    "Allow",
			"Principal": map[string]string{"AWS": principal},
			"Action":    objectReads,
			"Resource":  bucketARN + "/*",
		}, stmt{
			"Sid":       "SmcdPromoteListBucket",
			"Effect":    "Allow",
			"Principal": map[string]string{"AWS": principal},
			"Action":    "s3:ListBucket",
			"Resource":  bucketARN,
		})
	}
	s3Via := "s3." + g.Region + ".amazonaws.com"
	if in.KMSKeyARN != "" {
		// S3 decrypts the source objects for the copy on the caller's behalf: only through S3 in
		// the group's region, and only for callers of the target account.
		out.KMSKeyPolicyStatements = compact([]stmt{{
			"Sid":       "SmcdPromoteDecrypt",
			"Effect":    "Allow",
			"Principal": map[string]string{"AWS": principal},
			"Action":    "kms:Decrypt",
			"Resource":  "*",
			"Condition": map[string]any{"StringEquals": map[string]string{
				"kms:ViaService":    s3Via,
				"kms:CallerAccount": in.TargetAccountID,
			}},
		}})
	}
	role := []stmt{{
		"Sid":      "SmcdPromoteReadRegistry",
		"Effect":   "Allow",
		"Action":   append(slices.Clone(registryReads), "sagemaker:DescribeModelPackage", "sagemaker:ListTags"),
		"Resource": []string{g.LowerString(), g.PackagesARN()},
	}}
	if len(in.Buckets) > 0 {
		role = append(role, stmt{
			"Sid":      "SmcdPromoteReadObjects",
			"Effect":   "Allow",
			"Action":   objectReads,
			"Resource": objectARNs,
		}, stmt{
			"Sid":      "SmcdPromoteListBuckets",
			"Effect":   "Allow",
			"Action":   "s3:ListBucket",
			"Resource": bucketARNs,
		})
	}
	if in.KMSKeyARN != "" {
		// HeadObject with checksum mode on an SSE-KMS object needs kms:Decrypt on its key.
		role = append(role, stmt{
			"Sid":       "SmcdPromoteDecryptForChecksums",
			"Effect":    "Allow",
			"Action":    "kms:Decrypt",
			"Resource":  in.KMSKeyARN,
			"Condition": map[string]any{"StringEquals": map[string]string{"kms:ViaService": s3Via}},
		})
	}
	out.SourceRolePolicy = doc(role...)
	if len(repos) > 0 {
		out.ECRRepositoryPolicies = map[string]string{}
		for _, r := range repos {
			out.ECRRepositoryPolicies[r.Name] = doc(stmt{
				"Sid":       "SmcdPromotePullImages",
				"Effect":    "Allow",
				"Principal": map[string]string{"AWS": principal},
				"Action":    []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"},
			})
		}
	}
	bus := in.TargetEventBus
	if bus == "" {
		bus = "default"
	}
	busARN := "arn:" + g.Partition + ":events:" + g.Region + ":" + in.TargetAccountID + ":event-bus/" + bus
	out.EventRule = EventRuleGrant{
		Name: ForwardRuleName(g.Name),
		EventPattern: compact(map[string]any{
			"source":      []string{events.SourceSageMaker},
			"detail-type": []string{events.DetailTypeModelPackageStateChange},
			"detail": map[string]any{
				"ModelPackageGroupName": []string{g.Name},
				"ModelApprovalStatus":   []events.ModelApprovalStatus{events.ModelApprovalStatusApproved, events.ModelApprovalStatusRejected},
			},
		}),
		TargetARN: busARN,
		RoleNote:  "the rule's target needs a role in account " + g.AccountID + " allowed events:PutEvents on " + busARN,
	}
	out.TargetEventBusPolicy = doc(stmt{
		"Sid":       "SmcdAllowSourceAccount" + g.AccountID,
		"Effect":    "Allow",
		"Principal": map[string]string{"AWS": "arn:" + g.Partition + ":iam::" + g.AccountID + ":root"},
		"Action":    "events:PutEvents",
		"Resource":  busARN,
	})
	out.Notes = []string{CopyPrincipalNote}
	if len(repos) > 0 {
		out.Notes = append(out.Notes, ECRNote)
	}
	return out, nil
}
