package promotion

import (
	"errors"
	"fmt"
	"net"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

// Config is what to promote and where: every setting of a promotion, whichever way it is given
// (smcd promote flags, the SMCD_* environment of the pipeline's build, the construct's props, the
// Seedfarmer module's parameters). Validate is the one set of rules for all of them; Env and
// ConfigFromEnv carry it between the construct and the promoter.
type Config struct {
	// SourceGroupARN is the source model package group (EnvSourceGroupARN). Required.
	SourceGroupARN string
	// TargetBucket receives the copied artifacts (EnvTargetBucket). Required.
	TargetBucket string
	// TargetGroup is the target group name (EnvTargetGroup; default: the source group's name).
	TargetGroup string
	// TargetPrefix is the first segment(s) of every target key (EnvTargetPrefix; optional).
	TargetPrefix string
	// KMSKeyARN encrypts the copies with SSE-KMS (EnvKMSKeyARN; default: the target bucket's
	// default encryption, which must then not be a customer managed key).
	KMSKeyARN string
	// SourceRoleARN is a role in the source account the reads go through (EnvSourceRoleARN;
	// default: read by ARN through the source account's resource policies).
	SourceRoleARN string
	// ApprovalStatus of the registered package (EnvApprovalStatus; default Approved).
	ApprovalStatus types.ModelApprovalStatus
	// ProjectID and ProjectName tag a target group the promoter creates (EnvProjectID,
	// EnvProjectName).
	ProjectID, ProjectName string
	// Verify is how copies are verified (EnvVerify; default s3copy.VerifyChecksum).
	Verify s3copy.VerifyMode
	// Concurrency is the number of S3 requests in flight at once, shared by whole-object copies
	// and part copies (EnvConcurrency; 0 means s3copy.DefaultConcurrency).
	Concurrency int
	// badConcurrency is the text Setting.Set was given for Concurrency when it is not an
	// integer, kept so that Validate names it.
	badConcurrency string
	// PageSize is ListModelPackages' and Search's MaxResults (default 100; tests lower it).
	PageSize int32
}

// ConfigError is a setting with a bad value: Env names the setting (its environment variable,
// see Settings), Want says what was expected. Each front end names the setting its own way
// (flag, prop, parameter) from Env.
type ConfigError struct {
	Env, Value, Want string
}

func (e *ConfigError) Error() string { return e.Named(SettingOf(e.Env).Label) }

// Named words the error with the setting called name, e.g. "--target-bucket" or
// "TargetBucketName".
func (e *ConfigError) Named(name string) string {
	return fmt.Sprintf("%s %q: %s", name, e.Value, e.Want)
}

// ErrMissing is wrapped by the ConfigError of a required setting left empty.
var ErrMissing = errors.New("required setting missing")

// MissingError reports required settings left empty, by environment variable.
type MissingError struct{ Envs []string }

func (e *MissingError) Error() string {
	var names []string
	for _, env := range e.Envs {
		names = append(names, SettingOf(env).Label)
	}
	return "missing " + strings.Join(names, ", ")
}

// Unwrap makes errors.Is(err, ErrMissing) true.
func (e *MissingError) Unwrap() error { return ErrMissing }

// Validate checks every setting and returns the first problem: a *MissingError when required
// settings are empty, else a *ConfigError naming the setting, the bad value and what was expected.
func (c Config) Validate() error {
	var missing []string
	if c.SourceGroupARN == "" {
		missing = append(missing, EnvSourceGroupARN)
	}
	if c.TargetBucket == "" {
		missing = append(missing, EnvTargetBucket)
	}
	if len(missing) > 0 {
		return &MissingError{Envs: missing}
	}
	src, err := ParseGroupARN(c.SourceGroupARN)
	if err != nil {
		return err
	}
	if err := ValidateBucketName(c.TargetBucket); err != nil {
		return bad(EnvTargetBucket, c.TargetBucket, err)
	}
	if c.TargetGroup != "" {
		if err := ValidateGroupName(c.TargetGroup); err != nil {
			return bad(EnvTargetGroup, c.TargetGroup, err)
		}
	}
	if err := ValidatePrefix(c.TargetPrefix); err != nil {
		return bad(EnvTargetPrefix, c.TargetPrefix, err)
	}
	if c.KMSKeyARN != "" {
		k, err := ParseKMSKeyARN(c.KMSKeyARN)
		if err != nil {
			return bad(EnvKMSKeyARN, c.KMSKeyARN, err)
		}
		if k.Partition != src.Partition || k.Region != src.Region {
			return &ConfigError{EnvKMSKeyARN, c.KMSKeyARN, fmt.Sprintf("expected a key in %s %s, where the model packages are (promotion works within one region)", src.Partition, src.Region)}
		}
	}
	if c.SourceRoleARN != "" {
		r, err := parseRoleARN(c.SourceRoleARN)
		if err != nil {
			return bad(EnvSourceRoleARN, c.SourceRoleARN, err)
		}
		if r.Partition != src.Partition || r.AccountID != src.AccountID {
			return &ConfigError{EnvSourceRoleARN, c.SourceRoleARN, fmt.Sprintf("expected a role in the source account %s (partition %s)", src.AccountID, src.Partition)}
		}
	}
	switch c.ApprovalStatus {
	case "", types.ModelApprovalStatusApproved, types.ModelApprovalStatusPendingManualApproval:
	default:
		return &ConfigError{EnvApprovalStatus, string(c.ApprovalStatus), "expected Approved or PendingManualApproval"}
	}
	if c.ProjectID != "" && (len(c.ProjectID) > 20 || !projectIDPattern.MatchString(c.ProjectID)) {
		return &ConfigError{EnvProjectID, c.ProjectID, "expected a SageMaker project ID such as p-abcdef123456 (1-20 letters, digits and single hyphens, starting and ending with a letter or digit)"}
	}
	if c.ProjectName != "" && (len(c.ProjectName) > 32 || !projectNamePattern.MatchString(c.ProjectName)) {
		return &ConfigError{EnvProjectName, c.ProjectName, "expected 1-32 letters, digits and single hyphens, starting and ending with a letter or digit"}
	}
	switch c.Verify {
	case "", s3copy.VerifyChecksum, s3copy.VerifySize:
	default:
		return &ConfigError{EnvVerify, string(c.Verify), fmt.Sprintf("expected %s or %s", s3copy.VerifyChecksum, s3copy.VerifySize)}
	}
	if c.badConcurrency != "" {
		return &ConfigError{EnvConcurrency, c.badConcurrency, concurrencyWant()}
	}
	if c.Concurrency < 0 || c.Concurrency > MaxConcurrency {
		return &ConfigError{EnvConcurrency, strconv.Itoa(c.Concurrency), concurrencyWant()}
	}
	if c.PageSize < 0 || c.PageSize > 100 {
		return fmt.Errorf("page size %d: expected 1-100 (0 means 100)", c.PageSize)
	}
	return nil
}

// MaxConcurrency is the largest Concurrency Validate accepts. S3 serves thousands of requests
// per second per prefix, so the bound is the client's: each request in flight holds a
// connection (s3copy.HTTPClient keeps that many idle) and a goroutine, and well above a
// thousand the build's file descriptors and memory, not S3, become the limit.
const MaxConcurrency = 1000

// concurrencyWant is what Validate expects of Concurrency.
func concurrencyWant() string {
	return fmt.Sprintf("expected an integer 1-%d (S3 requests in flight at once; unset or 0 means %d)", MaxConcurrency, s3copy.DefaultConcurrency)
}

// bad turns a rule's error into a ConfigError, keeping only what was expected.
func bad(env, value string, err error) error {
	var ce *ConfigError
	if errors.As(err, &ce) {
		return &ConfigError{env, value, ce.Want}
	}
	return &ConfigError{env, value, err.Error()}
}

// Group returns the target group name: TargetGroup, or the source group's name.
func (c Config) Group() string {
	if c.TargetGroup != "" {
		return c.TargetGroup
	}
	g, err := ParseGroupARN(c.SourceGroupARN)
	if err != nil {
		return ""
	}
	return g.Name
}

// Status returns the approval status promoted packages get (default Approved).
func (c Config) Status() types.ModelApprovalStatus {
	if c.ApprovalStatus == "" {
		return types.ModelApprovalStatusApproved
	}
	return c.ApprovalStatus
}

// VerifyMode returns the verify mode (default s3copy.VerifyChecksum).
func (c Config) VerifyMode() s3copy.VerifyMode {
	if c.Verify == "" {
		return s3copy.VerifyChecksum
	}
	return c.Verify
}

// CopyConcurrency returns the number of S3 requests in flight at once (default
// s3copy.DefaultConcurrency).
func (c Config) CopyConcurrency() int {
	if c.Concurrency == 0 {
		return s3copy.DefaultConcurrency
	}
	return c.Concurrency
}

// partitions maps region prefixes to partitions; the first match wins, "aws" otherwise.
var partitions = []struct{ prefix, partition string }{
	{"cn-", "aws-cn"}, {"us-gov-", "aws-us-gov"}, {"us-isob-", "aws-iso-b"}, {"us-isof-", "aws-iso-f"},
	{"eu-isoe-", "aws-iso-e"}, {"us-iso-", "aws-iso"}, {"eusc-", "aws-eusc"},
}

// PartitionOf returns the partition of a region (aws, aws-cn, aws-us-gov, ...).
func PartitionOf(region string) string {
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

var (
	regionPattern  = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]+$`)
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
)

// ValidateRegion checks a region name such as us-east-1.
func ValidateRegion(s string) error {
	if !regionPattern.MatchString(s) {
		return fmt.Errorf("region %q: expected a region name such as us-east-1", s)
	}
	return nil
}

// parseARN parses s with aws/arn and checks the parts every ARN we take shares: an AWS
// partition, the service, a region in that partition (regional) or none, a 12-digit account.
// form is the expected shape for messages.
func parseARN(s, service, form string, regional bool) (arn.ARN, error) {
	want := func(why string) error {
		return &ConfigError{"", s, why + "expected " + form}
	}
	a, err := arn.Parse(s)
	switch {
	case err != nil:
		return a, want("")
	case !knownPartition(a.Partition):
		return a, want(fmt.Sprintf("partition %q is not an AWS partition (aws, aws-cn, aws-us-gov, ...); ", a.Partition))
	case a.Service != service:
		return a, want(fmt.Sprintf("service %q; ", a.Service))
	case regional && !regionPattern.MatchString(a.Region):
		return a, want(fmt.Sprintf("region %q is not a region name; ", a.Region))
	case regional && PartitionOf(a.Region) != a.Partition:
		return a, want(fmt.Sprintf("region %s is not in partition %s; ", a.Region, a.Partition))
	case !regional && a.Region != "":
		return a, want(fmt.Sprintf("%s ARNs have no region; ", service))
	case !accountPattern.MatchString(a.AccountID):
		return a, want(fmt.Sprintf("account %q is not a 12-digit account ID; ", a.AccountID))
	}
	return a, nil
}

// GroupARN is a parsed model package group ARN.
type GroupARN struct {
	Partition, Region, AccountID, Name string
}

// String returns the ARN.
func (g GroupARN) String() string {
	return arn.ARN{Partition: g.Partition, Service: "sagemaker", Region: g.Region, AccountID: g.AccountID, Resource: "model-package-group/" + g.Name}.String()
}

// PackagesARN returns the ARN pattern of the group's model packages as SageMaker writes it (the
// name lower-cased): arn:aws:sagemaker:REGION:ACCOUNT:model-package/NAME/*.
func (g GroupARN) PackagesARN() string {
	return arn.ARN{Partition: g.Partition, Service: "sagemaker", Region: g.Region, AccountID: g.AccountID, Resource: "model-package/" + strings.ToLower(g.Name) + "/*"}.String()
}

// LowerString returns the group ARN as SageMaker writes it (the name lower-cased); IAM and
// resource policies compare ARNs case-sensitively.
func (g GroupARN) LowerString() string {
	l := g
	l.Name = strings.ToLower(g.Name)
	return l.String()
}

const groupForm = "arn:<partition>:sagemaker:<region>:<account>:model-package-group/<name>"

// ParseGroupARN parses arn:aws:sagemaker:REGION:ACCOUNT:model-package-group/NAME. Its errors
// are *ConfigError for EnvSourceGroupARN.
func ParseGroupARN(s string) (GroupARN, error) {
	a, err := parseARN(s, "sagemaker", groupForm, true)
	if err != nil {
		return GroupARN{}, bad(EnvSourceGroupARN, s, err)
	}
	name, ok := strings.CutPrefix(a.Resource, "model-package-group/")
	if !ok {
		return GroupARN{}, &ConfigError{EnvSourceGroupARN, s, fmt.Sprintf("resource %q; expected %s", a.Resource, groupForm)}
	}
	if !groupNamePattern.MatchString(name) {
		return GroupARN{}, &ConfigError{EnvSourceGroupARN, s, fmt.Sprintf("group name %q: %s", name, groupNameWant)}
	}
	return GroupARN{Partition: a.Partition, Region: a.Region, AccountID: a.AccountID, Name: name}, nil
}

// ValidateGroupName checks a model package group name as SageMaker does; the error says what
// is expected.
func ValidateGroupName(s string) error {
	if !groupNamePattern.MatchString(s) {
		return errors.New(groupNameWant)
	}
	return nil
}

var groupNamePattern = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)

const groupNameWant = "expected 1-63 letters, digits and single hyphens, starting with a letter or digit (^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$)"

// SageMaker's patterns for project IDs and names (CreateProject, DescribeProject). The patterns
// do not count repeated hyphens, so the API's length limits (20 and 32) are checked as well.
var (
	projectIDPattern   = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,19}$`)
	projectNamePattern = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$`)
)

var bucketPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

const bucketWant = "expected an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit"

// ValidateBucketName applies the S3 general purpose bucket naming rules: 3-63 lowercase
// letters, digits, dots and hyphens; no "..", not an IP address, none of the prefixes and
// suffixes S3 reserves.
func ValidateBucketName(s string) error {
	e := func(why string) error { return &ConfigError{EnvTargetBucket, s, why + bucketWant} }
	switch {
	case !bucketPattern.MatchString(s):
		return e("")
	case strings.Contains(s, ".."):
		return e("two adjacent periods; ")
	case net.ParseIP(s) != nil:
		return e("formatted as an IP address; ")
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(s, p) {
			return e(fmt.Sprintf("the prefix %q is reserved by S3; ", p))
		}
	}
	for _, x := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(s, x) {
			return e(fmt.Sprintf("the suffix %q is reserved by S3; ", x))
		}
	}
	return nil
}

// ValidatePrefix checks a target prefix: no empty, "." or ".." segments once trimmed of "/".
func ValidatePrefix(p string) error {
	t := strings.Trim(p, "/")
	if t == "" {
		return nil
	}
	if path.Clean(t) != t || strings.HasPrefix(t, "../") || t == ".." || t == "." || len(t) > 512 {
		return &ConfigError{EnvTargetPrefix, p, `expected key segments without "..", "." or "//" (at most 512 characters)`}
	}
	return nil
}

var keyResourcePattern = regexp.MustCompile(`^key/[a-zA-Z0-9-]{1,128}$`)

const keyForm = "arn:<partition>:kms:<region>:<account>:key/<key-id>"

// ParseKMSKeyARN parses arn:aws:kms:REGION:ACCOUNT:key/KEY-ID. An alias ARN is refused: it
// cannot scope IAM permissions or key policies.
func ParseKMSKeyARN(s string) (arn.ARN, error) {
	a, err := parseARN(s, "kms", keyForm, true)
	if err != nil {
		return a, bad(EnvKMSKeyARN, s, err)
	}
	if !keyResourcePattern.MatchString(a.Resource) {
		return a, &ConfigError{EnvKMSKeyARN, s, fmt.Sprintf("resource %q; expected key/<key-id> (an alias cannot scope IAM permissions); expected %s", a.Resource, keyForm)}
	}
	return a, nil
}

var roleResourcePattern = regexp.MustCompile(`^role/([\x21-\x7E]+/)?[\w+=,.@-]{1,64}$`)

const roleForm = "arn:<partition>:iam::<source account>:role/<name>"

func parseRoleARN(s string) (arn.ARN, error) {
	a, err := parseARN(s, "iam", roleForm, false)
	if err != nil {
		return a, err
	}
	if !roleResourcePattern.MatchString(a.Resource) {
		return a, &ConfigError{EnvSourceRoleARN, s, fmt.Sprintf("resource %q; expected %s", a.Resource, roleForm)}
	}
	return a, nil
}

// ValidateAccountID checks a 12-digit AWS account ID.
func ValidateAccountID(s string) error {
	if !accountPattern.MatchString(s) {
		return fmt.Errorf("account ID %q: expected 12 digits", s)
	}
	return nil
}
