package promotion

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

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
}

// Grants is what the source account must apply so the target account can promote, each part
// ready to pass to the matching AWS API or CloudFormation property.
type Grants struct {
	// ModelPackageGroupPolicy for PutModelPackageGroupPolicy on the source group.
	ModelPackageGroupPolicy json.RawMessage `json:"modelPackageGroupPolicy"`
	// BucketPolicies per source bucket, for PutBucketPolicy (merge with existing statements).
	BucketPolicies map[string]json.RawMessage `json:"bucketPolicies,omitempty"`
	// KMSKeyPolicyStatements to add to the source key's policy.
	KMSKeyPolicyStatements json.RawMessage `json:"kmsKeyPolicyStatements,omitempty"`
	// EventRule is the source account rule that forwards state changes to the target bus.
	EventRule EventRuleGrant `json:"eventRule"`
	// TargetEventBusPolicy is applied in the target account (PutPermission / bus policy).
	TargetEventBusPolicy json.RawMessage `json:"targetEventBusPolicy"`
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
	"and need the group policy and the bucket policies below. " +
	"The group policy does not grant sagemaker:ListTags (SageMaker documents only the registry reads for model package group policies), " +
	"so the source package's tags are copied only through a source role allowed sagemaker:ListTags on the packages; otherwise the package is promoted without them and the output says so."

// EventRuleGrant is an EventBridge rule in the source account.
type EventRuleGrant struct {
	Name         string          `json:"name"`
	EventPattern json.RawMessage `json:"eventPattern"`
	TargetARN    string          `json:"targetArn"`
	// RoleNote says which role the rule needs to put events on another account's bus.
	RoleNote string `json:"roleNote"`
}

var accountPattern = regexp.MustCompile(`^\d{12}$`)
var kmsKeyPattern = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$`)

// ValidateKMSKeyARN checks arn:aws:kms:REGION:ACCOUNT:key/ID.
func ValidateKMSKeyARN(s string) error {
	if !kmsKeyPattern.MatchString(s) {
		return fmt.Errorf("KMS key ARN %q: expected arn:aws:kms:REGION:ACCOUNT:key/KEY-ID", s)
	}
	return nil
}

// ValidateAccountID checks a 12-digit AWS account id.
func ValidateAccountID(s string) error {
	if !accountPattern.MatchString(s) {
		return fmt.Errorf("account ID %q: expected 12 digits", s)
	}
	return nil
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
		if err := ValidateBucketName(b); err != nil {
			return nil, err
		}
	}
	if in.KMSKeyARN != "" {
		if err := ValidateKMSKeyARN(in.KMSKeyARN); err != nil {
			return nil, err
		}
	}
	principal := "arn:" + g.Partition + ":iam::" + in.TargetAccountID + ":root"
	packagesARN := "arn:" + g.Partition + ":sagemaker:" + g.Region + ":" + g.AccountID + ":model-package/" + strings.ToLower(g.Name) + "/*"
	type stmt map[string]any
	doc := func(stmts ...stmt) json.RawMessage {
		b, _ := json.MarshalIndent(map[string]any{"Version": "2012-10-17", "Statement": stmts}, "", "  ")
		return b
	}
	out := &Grants{BucketPolicies: map[string]json.RawMessage{}}
	out.ModelPackageGroupPolicy = doc(stmt{
		"Sid":       "SmcdPromoteReadGroup",
		"Effect":    "Allow",
		"Principal": map[string]string{"AWS": principal},
		"Action":    []string{"sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages"},
		"Resource":  g.String(),
	}, stmt{
		"Sid":       "SmcdPromoteReadPackages",
		"Effect":    "Allow",
		"Principal": map[string]string{"AWS": principal},
		"Action":    []string{"sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"},
		"Resource":  packagesARN,
	})
	for _, b := range in.Buckets {
		bucketARN := "arn:" + g.Partition + ":s3:::" + b
		out.BucketPolicies[b] = doc(stmt{
			"Sid":       "SmcdPromoteReadObjects",
			"Effect":    "Allow",
			"Principal": map[string]string{"AWS": principal},
			// CopyObject and UploadPartCopy read the pinned version (?versionId=) and copy its tags.
			"Action":   []string{"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:GetObjectVersionTagging"},
			"Resource": bucketARN + "/*",
		}, stmt{
			"Sid":       "SmcdPromoteListBucket",
			"Effect":    "Allow",
			"Principal": map[string]string{"AWS": principal},
			"Action":    "s3:ListBucket",
			"Resource":  bucketARN,
		})
	}
	if in.KMSKeyARN != "" {
		// S3 decrypts the source objects for the copy on the caller's behalf: only through S3 in
		// the group's region, and only for callers of the target account.
		b, _ := json.MarshalIndent([]stmt{{
			"Sid":       "SmcdPromoteDecrypt",
			"Effect":    "Allow",
			"Principal": map[string]string{"AWS": principal},
			"Action":    "kms:Decrypt",
			"Resource":  "*",
			"Condition": map[string]any{"StringEquals": map[string]string{
				"kms:ViaService":    "s3." + g.Region + ".amazonaws.com",
				"kms:CallerAccount": in.TargetAccountID,
			}},
		}}, "", "  ")
		out.KMSKeyPolicyStatements = b
	}
	bus := in.TargetEventBus
	if bus == "" {
		bus = "default"
	}
	busARN := "arn:" + g.Partition + ":events:" + g.Region + ":" + in.TargetAccountID + ":event-bus/" + bus
	pattern, _ := json.MarshalIndent(map[string]any{
		"source":      []string{events.SourceSageMaker},
		"detail-type": []string{events.DetailTypeModelPackageStateChange},
		"detail": map[string]any{
			"ModelPackageGroupName": []string{g.Name},
			"ModelApprovalStatus":   []events.ModelApprovalStatus{events.ModelApprovalStatusApproved, events.ModelApprovalStatusRejected},
		},
	}, "", "  ")
	out.EventRule = EventRuleGrant{
		Name:         "smcd-forward-" + g.Name,
		EventPattern: pattern,
		TargetARN:    busARN,
		RoleNote:     "the rule's target needs a role in account " + g.AccountID + " allowed events:PutEvents on " + busARN,
	}
	out.TargetEventBusPolicy = doc(stmt{
		"Sid":       "SmcdAllowSourceAccount" + g.AccountID,
		"Effect":    "Allow",
		"Principal": map[string]string{"AWS": "arn:" + g.Partition + ":iam::" + g.AccountID + ":root"},
		"Action":    "events:PutEvents",
		"Resource":  busARN,
	})
	out.Notes = []string{CopyPrincipalNote}
	return out, nil
}
