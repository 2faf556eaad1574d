package iamcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/smithy-go"
)

// Role is an IAM role as the checker evaluates it.
type Role struct {
	// Name is the name calls are recorded under (Recorder.Instrument).
	Name string
	// ARN is the role's ARN; its account is the caller's.
	ARN string
	// Identity are the role's identity policies.
	Identity []Policy
	// Boundary is the role's permissions boundary (none when empty).
	Boundary []Policy
}

// ResourcePolicies returns the resource policy that applies to a request's resource, with a name
// that says where it comes from; nil when the resource has none.
type ResourcePolicies interface {
	ResourcePolicy(ctx context.Context, r Request) (name string, doc json.RawMessage, err error)
}

// Checker evaluates recorded calls against the roles' policies with the IAM policy engine.
type Checker struct {
	// Roles by name.
	Roles map[string]Role
	// Facts about the resources the calls touch.
	Facts Facts
	// Policies are the resource policies.
	Policies ResourcePolicies
}

// Decision is the engine's answer to one request.
type Decision struct {
	Request
	// Allowed is true when the engine allowed the request.
	Allowed bool
	// Result is the engine's result: Allowed, ImplicitlyDenied or ExplicitlyDenied.
	Result string
	// Why names the policies that allowed it, or that should allow it.
	Why string
}

// String is one line: role, action, resource, result and the policies concerned.
func (d Decision) String() string {
	verb, note := "denied", ""
	if d.Allowed {
		verb = "allowed"
	}
	if d.CallDenied {
		note = " (the emulator answered the call AccessDenied too)"
	}
	return fmt.Sprintf("role %s %s %s on %s (%s, for %s%s): %s", d.Role, verb, d.Action, d.Resource, d.Result, d.Call, note, d.Why)
}

// Evaluate authorizes every call and evaluates each resulting request.
func (c *Checker) Evaluate(ctx context.Context, calls []Call) ([]Decision, error) {
	var reqs []Request
	for _, call := range calls {
		role, ok := c.Roles[call.Role]
		if !ok {
			return nil, fmt.Errorf("call %s %s made by role %q, which the checker does not know", call.Service, call.Operation, call.Role)
		}
		r, err := Authorize(ctx, call, arnAccount(role.ARN), c.Facts)
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, r...)
	}
	reqs = dedupe(reqs)
	sims := make([]simulation, len(reqs))
	policyNames := make([]string, len(reqs))
	for i, r := range reqs {
		role := c.Roles[r.Role]
		s := &sims[i]
		s.Request.Principal = role.ARN
		s.Request.Action = r.Action
		s.Request.Resource.Resource = r.Resource
		s.Request.Resource.AccountID = r.ResourceAccount
		s.Request.ContextVariables = r.Context
		s.Request.ContextVariables["aws:PrincipalArn"] = role.ARN
		s.IdentityPolicies = role.Identity
		s.PermissionBoundaryPolicies = role.Boundary
		s.ServiceControlPolicies, s.ResourceControlPolicies = []any{}, []any{}
		name, doc, err := c.Policies.ResourcePolicy(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("resource policy of %s: %w", r.Resource, err)
		}
		s.ResourcePolicy, policyNames[i] = doc, name
	}
	res, err := simulate(ctx, sims)
	if err != nil {
		return nil, err
	}
	out := make([]Decision, len(reqs))
	for i, r := range res {
		if r.Result == "Error" {
			return nil, fmt.Errorf("the IAM policy engine refused %s on %s (for %s): %s", reqs[i].Action, reqs[i].Resource, reqs[i].Call, r.Errors)
		}
		d := Decision{Request: reqs[i], Allowed: r.Result == "Allowed", Result: r.Result}
		role := c.Roles[reqs[i].Role]
		reasons := r.Denials
		if d.Allowed {
			reasons = r.Grants
		}
		var why []string
		for _, rs := range reasons {
			why = append(why, describe(rs, role, policyNames[i], d.Allowed))
		}
		if !d.Allowed && len(why) == 0 {
			why = append(why, "no policy allows it")
		}
		d.Why = strings.Join(unique(why), "; ")
		out[i] = d
	}
	return out, nil
}

// Unexpected reports whether d is a denial the runtime did not meet: the call succeeded in the
// emulator but AWS would refuse it.
func (d Decision) Unexpected() bool { return !d.Allowed && !d.CallDenied }

// describe names the policy behind a grant or denial.
func describe(r reason, role Role, resourcePolicy string, allowed bool) string {
	names := func(ps []Policy) string {
		var n []string
		for _, p := range ps {
			n = append(n, p.Name)
		}
		return strings.Join(n, ", ")
	}
	var what string
	switch r.PolicyType {
	case "identity":
		what = "identity policies of role " + role.Name + " (" + names(role.Identity) + ")"
	case "pb":
		what = "permissions boundary of role " + role.Name + " (" + names(role.Boundary) + ")"
	case "resource":
		what = resourcePolicy
		if what == "" {
			what = "resource policy (none found)"
		}
	default:
		what = r.PolicyType + " policy " + r.PolicyIdentifier + r.Identifier
	}
	switch {
	case allowed:
		return "allowed by " + what + statementRef(r)
	case r.DenialType == "Explicit":
		return "explicitly denied by " + what + statementRef(r)
	default:
		return "should be allowed by " + what
	}
}

func statementRef(r reason) string {
	if r.StatementID == "" {
		return ""
	}
	return " statement " + r.StatementID
}

func unique(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// dedupe drops repeated requests (same role, action, resource and context), keeping order.
func dedupe(reqs []Request) []Request {
	seen := map[string]bool{}
	var out []Request
	for _, r := range reqs {
		keys := make([]string, 0, len(r.Context))
		for k := range r.Context {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		id := r.Role + "|" + r.Action + "|" + r.Resource
		for _, k := range keys {
			id += fmt.Sprintf("|%s=%v", k, r.Context[k])
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, r)
		}
	}
	return out
}

// Emulator answers Facts and ResourcePolicies from the emulator, with clients that act in each
// account and are not recorded.
type Emulator struct {
	// Configs act in each account, by account ID.
	Configs map[string]aws.Config
	// Buckets maps each bucket the calls touch to the account that owns it.
	Buckets map[string]string
}

var _ Facts = (*Emulator)(nil)
var _ ResourcePolicies = (*Emulator)(nil)

func (e *Emulator) config(account string) (aws.Config, error) {
	cfg, ok := e.Configs[account]
	if !ok {
		return aws.Config{}, fmt.Errorf("no emulator configuration for account %s", account)
	}
	return cfg, nil
}

func (e *Emulator) s3(account string) (*s3.Client, error) {
	cfg, err := e.config(account)
	if err != nil {
		return nil, err
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), nil
}

// BucketOwner implements Facts.
func (e *Emulator) BucketOwner(bucket string) (string, error) {
	owner, ok := e.Buckets[bucket]
	if !ok {
		return "", fmt.Errorf("bucket %s: owner unknown (add it to Emulator.Buckets)", bucket)
	}
	return owner, nil
}

func (e *Emulator) bucketClient(bucket string) (*s3.Client, string, error) {
	owner, err := e.BucketOwner(bucket)
	if err != nil {
		return nil, "", err
	}
	c, err := e.s3(owner)
	return c, owner, err
}

// keyARN turns a key ID reported by S3 into an ARN in account.
func keyARN(key, region, account string) string {
	if key == "" || strings.HasPrefix(key, "arn:") {
		return key
	}
	return fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", Partition, region, account, key)
}

// Object implements Facts.
func (e *Emulator) Object(ctx context.Context, bucket, key, versionID string) (string, bool, error) {
	c, owner, err := e.bucketClient(bucket)
	if err != nil {
		return "", false, err
	}
	var version *string
	if versionID != "" {
		version = aws.String(versionID)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: version})
	if err != nil {
		return "", false, fmt.Errorf("head s3://%s/%s: %w", bucket, key, err)
	}
	tags, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: version})
	if err != nil {
		return "", false, fmt.Errorf("get tags of s3://%s/%s: %w", bucket, key, err)
	}
	k := ""
	if head.ServerSideEncryption == "aws:kms" || head.ServerSideEncryption == "aws:kms:dsse" {
		k = keyARN(aws.ToString(head.SSEKMSKeyId), c.Options().Region, owner)
	}
	return k, len(tags.TagSet) > 0, nil
}

// BucketKey implements Facts.
func (e *Emulator) BucketKey(ctx context.Context, bucket string) (string, error) {
	c, owner, err := e.bucketClient(bucket)
	if err != nil {
		return "", err
	}
	out, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)})
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "ServerSideEncryptionConfigurationNotFoundError" {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get default encryption of bucket %s: %w", bucket, err)
	}
	for _, r := range out.ServerSideEncryptionConfiguration.Rules {
		if d := r.ApplyServerSideEncryptionByDefault; d != nil && (d.SSEAlgorithm == "aws:kms" || d.SSEAlgorithm == "aws:kms:dsse") {
			return keyARN(aws.ToString(d.KMSMasterKeyID), c.Options().Region, owner), nil
		}
	}
	return "", nil
}

// EndpointConfigKey implements Facts.
func (e *Emulator) EndpointConfigKey(ctx context.Context, account, region, name string) (string, error) {
	cfg, err := e.config(account)
	if err != nil {
		return "", err
	}
	out, err := sagemaker.NewFromConfig(cfg).DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("describe endpoint config %s: %w", name, err)
	}
	return keyARN(aws.ToString(out.KmsKeyId), region, account), nil
}

// ResourcePolicy implements ResourcePolicies: a model package group's policy for the group and
// its packages, a bucket policy for a bucket and its objects, a key policy for a key.
func (e *Emulator) ResourcePolicy(ctx context.Context, r Request) (string, json.RawMessage, error) {
	p, err := arn.Parse(r.Resource)
	if err != nil {
		return "", nil, err
	}
	switch p.Service {
	case "sagemaker":
		typ, rest, _ := strings.Cut(p.Resource, "/")
		if typ != "model-package-group" && typ != "model-package" {
			return "", nil, nil
		}
		group, _, _ := strings.Cut(rest, "/")
		return e.groupPolicy(ctx, p.AccountID, group)
	case "s3":
		bucket, _, _ := strings.Cut(p.Resource, "/")
		c, _, err := e.bucketClient(bucket)
		if err != nil {
			return "", nil, err
		}
		out, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
		var api smithy.APIError
		if errors.As(err, &api) && api.ErrorCode() == "NoSuchBucketPolicy" {
			return "", nil, nil
		}
		if err != nil {
			return "", nil, fmt.Errorf("get policy of bucket %s: %w", bucket, err)
		}
		return "bucket policy of " + bucket, json.RawMessage(aws.ToString(out.Policy)), nil
	case "kms":
		cfg, err := e.config(p.AccountID)
		if err != nil {
			return "", nil, err
		}
		out, err := kms.NewFromConfig(cfg).GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(r.Resource), PolicyName: aws.String("default")})
		if err != nil {
			return "", nil, fmt.Errorf("get policy of key %s: %w", r.Resource, err)
		}
		return "key policy of " + r.Resource, json.RawMessage(aws.ToString(out.Policy)), nil
	}
	return "", nil, nil
}

// groupPolicy reads the policy of the group whose lower-cased name is lower (SageMaker ARNs
// carry names lower-cased; the emulator keys groups by their given name).
func (e *Emulator) groupPolicy(ctx context.Context, account, lower string) (string, json.RawMessage, error) {
	cfg, err := e.config(account)
	if err != nil {
		return "", nil, err
	}
	sm := sagemaker.NewFromConfig(cfg)
	pages := sagemaker.NewListModelPackageGroupsPaginator(sm, &sagemaker.ListModelPackageGroupsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", nil, fmt.Errorf("list model package groups of account %s: %w", account, err)
		}
		for _, g := range page.ModelPackageGroupSummaryList {
			name := aws.ToString(g.ModelPackageGroupName)
			if strings.ToLower(name) != lower {
				continue
			}
			out, err := sm.GetModelPackageGroupPolicy(ctx, &sagemaker.GetModelPackageGroupPolicyInput{ModelPackageGroupName: aws.String(name)})
			var api smithy.APIError
			if errors.As(err, &api) && (api.ErrorCode() == "ResourceNotFound" || api.ErrorCode() == "ValidationException") {
				return "", nil, nil
			}
			if err != nil {
				return "", nil, fmt.Errorf("get policy of model package group %s: %w", name, err)
			}
			return "model package group policy of " + name, json.RawMessage(aws.ToString(out.ResourcePolicy)), nil
		}
	}
	return "", nil, nil
}
