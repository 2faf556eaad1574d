package promotion_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/promotion"
)

func summary(arn string, v int32, status types.ModelApprovalStatus, minute int) types.ModelPackageSummary {
	t := time.Date(2026, 1, 1, 0, minute, 0, 0, time.UTC)
	return types.ModelPackageSummary{ModelPackageArn: aws.String(arn), ModelPackageVersion: aws.Int32(v), ModelApprovalStatus: status, CreationTime: &t}
}

func TestLatestApproved(t *testing.T) {
	tests := []struct {
		name string
		in   []types.ModelPackageSummary
		want string
	}{
		{"newest approved wins over newer rejected", []types.ModelPackageSummary{summary("v1", 1, "Approved", 1), summary("v2", 2, "Approved", 2), summary("v3", 3, "Rejected", 3)}, "v2"},
		{"order of input does not matter", []types.ModelPackageSummary{summary("v2", 2, "Approved", 2), summary("v1", 1, "Approved", 1)}, "v2"},
		{"ascending input", []types.ModelPackageSummary{summary("v1", 1, "Approved", 1), summary("v2", 2, "Approved", 2)}, "v2"},
		{"tie on time: higher version", []types.ModelPackageSummary{summary("v1", 1, "Approved", 5), summary("v2", 2, "Approved", 5)}, "v2"},
		{"pending is not approved", []types.ModelPackageSummary{summary("v1", 1, "Approved", 1), summary("v2", 2, "PendingManualApproval", 2)}, "v1"},
		{"nothing approved", []types.ModelPackageSummary{summary("v1", 1, "Rejected", 1)}, ""},
		{"empty", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := promotion.LatestApproved(tc.in)
			if ok != (tc.want != "") || aws.ToString(got.ModelPackageArn) != tc.want {
				t.Errorf("got %q ok=%v, want %q", aws.ToString(got.ModelPackageArn), ok, tc.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	latest := summary("src/2", 2, "Approved", 2)
	rejectedBySmcd := promotion.RejectionNote("src/2")
	tests := []struct {
		name       string
		latest     *types.ModelPackageSummary
		rejected   map[string]bool
		copies     []promotion.TargetCopy
		status     types.ModelApprovalStatus
		want       promotion.Action
		wantReject []string
		wantStatus types.ModelApprovalStatus // ActionReapprove only
	}{
		{"first promotion", &latest, nil, nil, "", promotion.ActionPromote, nil, ""},
		{"already promoted", &latest, nil, []promotion.TargetCopy{{ARN: "t/1", SourceARN: "src/2", Status: "Approved"}}, "", promotion.ActionUpToDate, nil, ""},
		{"already promoted for manual approval", &latest, nil, []promotion.TargetCopy{{ARN: "t/1", SourceARN: "src/2", Status: "PendingManualApproval"}}, "PendingManualApproval", promotion.ActionUpToDate, nil, ""},
		{"pending copy is left for its reviewer when the status is now Approved", &latest, nil, []promotion.TargetCopy{{ARN: "t/1", SourceARN: "src/2", Status: "PendingManualApproval"}}, "Approved", promotion.ActionUpToDate, nil, ""},
		{"approved copy is not demoted when the status is now PendingManualApproval", &latest, nil, []promotion.TargetCopy{{ARN: "t/1", SourceARN: "src/2", Status: "Approved"}}, "PendingManualApproval", promotion.ActionUpToDate, nil, ""},
		{"newer package than the copy", &latest, nil, []promotion.TargetCopy{{ARN: "t/1", SourceARN: "src/1", Status: "Approved"}}, "", promotion.ActionPromote, nil, ""},
		{"rejected source: reject copy then promote", &latest, map[string]bool{"src/3": true}, []promotion.TargetCopy{{ARN: "t/3", SourceARN: "src/3", Status: "Approved"}}, "", promotion.ActionPromote, []string{"t/3"}, ""},
		{"copy already rejected", &latest, map[string]bool{"src/3": true}, []promotion.TargetCopy{{ARN: "t/3", SourceARN: "src/3", Status: "Rejected"}, {ARN: "t/2", SourceARN: "src/2", Status: "Approved"}}, "", promotion.ActionUpToDate, nil, ""},
		{"source approved again: copy rejected by a pass is re-approved", &latest, nil, []promotion.TargetCopy{{ARN: "t/2", SourceARN: "src/2", Status: "Rejected", ApprovalDescription: rejectedBySmcd}}, "", promotion.ActionReapprove, nil, "Approved"},
		{"source approved again: back to PendingManualApproval when configured", &latest, nil, []promotion.TargetCopy{{ARN: "t/2", SourceARN: "src/2", Status: "Rejected", ApprovalDescription: rejectedBySmcd}}, "PendingManualApproval", promotion.ActionReapprove, nil, "PendingManualApproval"},
		{"re-approve and reject another copy in one pass", &latest, map[string]bool{"src/3": true}, []promotion.TargetCopy{{ARN: "t/2", SourceARN: "src/2", Status: "Rejected", ApprovalDescription: rejectedBySmcd}, {ARN: "t/3", SourceARN: "src/3", Status: "Approved"}}, "", promotion.ActionReapprove, []string{"t/3"}, "Approved"},
		{"copy rejected by a person in the target stays rejected", &latest, nil, []promotion.TargetCopy{{ARN: "t/2", SourceARN: "src/2", Status: "Rejected", ApprovalDescription: "fails the fairness review"}}, "", promotion.ActionUpToDate, nil, ""},
		{"nothing approved still rejects", nil, map[string]bool{"src/1": true}, []promotion.TargetCopy{{ARN: "t/1", SourceARN: "src/1", Status: "Approved"}}, "", promotion.ActionNothingApproved, []string{"t/1"}, ""},
		{"nothing approved, nothing promoted", nil, nil, nil, "", promotion.ActionNothingApproved, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := promotion.Decide(tc.latest, tc.rejected, tc.copies, tc.status)
			var rejected []string
			for _, r := range d.Reject {
				rejected = append(rejected, r.ARN)
			}
			if d.Action != tc.want || fmt.Sprint(rejected) != fmt.Sprint(tc.wantReject) || d.Reason == "" || d.Status != tc.wantStatus {
				t.Errorf("got %s reject %v status %q (%q), want %s reject %v status %q", d.Action, rejected, d.Status, d.Reason, tc.want, tc.wantReject, tc.wantStatus)
			}
			if (d.Action == promotion.ActionUpToDate || d.Action == promotion.ActionReapprove) && (d.Existing == nil || d.Existing.SourceARN != "src/2") {
				t.Errorf("%s without the existing copy of src/2: %+v", d.Action, d.Existing)
			}
		})
	}
}

func TestCheckKey(t *testing.T) {
	tests := []struct {
		key      string
		size     int64
		inPrefix bool
		ok       bool
	}{
		{"models/model.tar.gz", 10, false, true},
		{"models/w/shard-1.bin", 10, true, true},
		{"models/w/", 0, true, false},
		{"models/../etc", 10, false, false},
		{"models/./x", 10, false, false},
		{"models//x", 10, true, false},
		{"/x", 10, false, false},
		{"", 0, false, false},
		{"a..b/c", 10, false, true},
	}
	for _, tc := range tests {
		err := promotion.CheckKey("b", tc.key, tc.size, tc.inPrefix)
		var unsafe *promotion.UnsafeKeyError
		if (err == nil) != tc.ok || (err != nil && !errors.As(err, &unsafe)) {
			t.Errorf("CheckKey(%q) = %v, want ok=%v", tc.key, err, tc.ok)
		}
	}
}

func TestTargetKey(t *testing.T) {
	src := promotion.S3Location{Bucket: "src-bkt", Key: "models/v2/model.tar.gz"}
	tests := []struct{ prefix, want string }{
		{"", "churn/7/src-bkt/models/v2/model.tar.gz"},
		{"promoted", "promoted/churn/7/src-bkt/models/v2/model.tar.gz"},
		{"/a/b/", "a/b/churn/7/src-bkt/models/v2/model.tar.gz"},
	}
	for _, tc := range tests {
		if got := promotion.TargetKey(tc.prefix, "churn", 7, src); got != tc.want {
			t.Errorf("TargetKey(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
	}
}

func TestBuildTargetRewritesEveryURIAndKeepsSource(t *testing.T) {
	src := &sagemaker.DescribeModelPackageOutput{
		ModelPackageArn: aws.String("arn:aws:sagemaker:us-east-1:444333666777:model-package/churn/3"),
		InferenceSpecification: &types.InferenceSpecification{Containers: []types.ModelPackageContainerDefinition{{
			ModelDataUrl: aws.String("s3://b/m.tar.gz"), ModelDataETag: aws.String("etag"),
			ModelDataSource: &types.ModelDataSource{S3DataSource: &types.S3ModelDataSource{S3Uri: aws.String("s3://b/p/"), S3DataType: types.S3ModelDataTypeS3Prefix}},
		}}},
		ModelMetrics:        &types.ModelMetrics{Explainability: &types.Explainability{Report: &types.MetricsSource{S3Uri: aws.String("s3://b/x.json")}}},
		DriftCheckBaselines: &types.DriftCheckBaselines{Explainability: &types.DriftCheckExplainability{ConfigFile: &types.FileSource{S3Uri: aws.String("s3://b/c.json")}}},
		ValidationSpecification: &types.ModelPackageValidationSpecification{ValidationProfiles: []types.ModelPackageValidationProfile{{
			TransformJobDefinition: &types.TransformJobDefinition{
				TransformInput:  &types.TransformInput{DataSource: &types.TransformDataSource{S3DataSource: &types.TransformS3DataSource{S3Uri: aws.String("s3://b/in/"), S3DataType: types.S3DataTypeS3Prefix}}},
				TransformOutput: &types.TransformOutput{S3OutputPath: aws.String("s3://b/out/")}}}}},
		SourceAlgorithmSpecification: &types.SourceAlgorithmSpecification{SourceAlgorithms: []types.SourceAlgorithm{{AlgorithmName: aws.String("xgb"), ModelDataUrl: aws.String("s3://b/algo.tar.gz")}}},
		SamplePayloadUrl:             aws.String("s3://b/sample.tar.gz"),
		CustomerMetadataProperties:   map[string]string{"k": "v"},
	}
	before, _ := json.Marshal(src)
	in, refs, _ := promotion.BuildTarget(src, "target", types.ModelApprovalStatusPendingManualApproval)
	wantKinds := map[string]promotion.RefKind{
		"SamplePayloadUrl": promotion.RefObject,
		"InferenceSpecification.Containers[0].ModelDataUrl":                       promotion.RefObject,
		"InferenceSpecification.Containers[0].ModelDataSource.S3DataSource.S3Uri": promotion.RefPrefix,
		"SourceAlgorithmSpecification.SourceAlgorithms[0].ModelDataUrl":           promotion.RefObject,
		"ModelMetrics.Explainability.Report.S3Uri":                                promotion.RefObject,
		"DriftCheckBaselines.Explainability.ConfigFile.S3Uri":                     promotion.RefObject,
	}
	if len(refs) != len(wantKinds) {
		t.Errorf("%d refs, want %d", len(refs), len(wantKinds))
	}
	for _, r := range refs {
		if k, ok := wantKinds[r.Field]; !ok || k != r.Kind {
			t.Errorf("ref %s kind %s unexpected", r.Field, r.Kind)
		}
		*r.URI = aws.String("s3://t/" + r.Field)
	}
	after, _ := json.Marshal(src)
	if string(before) != string(after) {
		t.Error("rewriting the target modified the source description")
	}
	got, _ := json.Marshal(in)
	if strings.Contains(string(got), "s3://b/") {
		t.Errorf("target still references the source bucket: %s", got)
	}
	if in.CustomerMetadataProperties[promotion.LineageKey] != *src.ModelPackageArn || in.CustomerMetadataProperties["k"] != "v" ||
		in.ModelApprovalStatus != types.ModelApprovalStatusPendingManualApproval || aws.ToString(in.ModelPackageGroupName) != "target" {
		t.Errorf("target %s", got)
	}
}

func TestBuildTargetDropsSourceAccountFields(t *testing.T) {
	const role = "arn:aws:iam::444333666777:role/validation"
	validation := &types.ModelPackageValidationSpecification{ValidationRole: aws.String(role), ValidationProfiles: []types.ModelPackageValidationProfile{{
		ProfileName: aws.String("p1"),
		TransformJobDefinition: &types.TransformJobDefinition{
			TransformInput:  &types.TransformInput{DataSource: &types.TransformDataSource{S3DataSource: &types.TransformS3DataSource{S3Uri: aws.String("s3://b/in/"), S3DataType: types.S3DataTypeS3Prefix}}},
			TransformOutput: &types.TransformOutput{S3OutputPath: aws.String("s3://b/out/")}}}}}
	security := &types.ModelPackageSecurityConfig{KmsKeyId: aws.String("arn:aws:kms:us-east-1:444333666777:key/k")}
	tests := []struct {
		name        string
		validation  *types.ModelPackageValidationSpecification
		security    *types.ModelPackageSecurityConfig
		wantDropped []string // "Field: words the reason must hold"
	}{
		{"nothing to drop", nil, nil, nil},
		{"validation profiles", validation, nil, []string{"ValidationSpecification: " + role + " belongs to the source account"}},
		{"source account key", nil, security, []string{"SecurityConfig: arn:aws:kms:us-east-1:444333666777:key/k belongs to the source account"}},
		{"both", validation, security, []string{"ValidationSpecification: ran in the source account", "SecurityConfig: target account chooses"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := &sagemaker.DescribeModelPackageOutput{
				ModelPackageArn: aws.String("arn:aws:sagemaker:us-east-1:444333666777:model-package/churn/3"),
				InferenceSpecification: &types.InferenceSpecification{Containers: []types.ModelPackageContainerDefinition{{
					Image: aws.String("img"), ModelDataUrl: aws.String("s3://b/m.tar.gz")}}},
				ValidationSpecification: tc.validation, SecurityConfig: tc.security,
			}
			in, refs, dropped := promotion.BuildTarget(src, "target", types.ModelApprovalStatusApproved)
			if in.ValidationSpecification != nil || in.SecurityConfig != nil {
				t.Errorf("target keeps a source-account field: %+v %+v", in.ValidationSpecification, in.SecurityConfig)
			}
			if len(refs) != 1 || refs[0].Field != "InferenceSpecification.Containers[0].ModelDataUrl" {
				t.Errorf("refs %+v, want only the model data (validation inputs are not copied)", refs)
			}
			if len(dropped) != len(tc.wantDropped) {
				t.Fatalf("dropped %+v, want %q", dropped, tc.wantDropped)
			}
			for i, want := range tc.wantDropped {
				field, words, _ := strings.Cut(want, ": ")
				if dropped[i].Field != field || !strings.Contains(dropped[i].Reason, words) {
					t.Errorf("dropped[%d] = %+v, want %s with %q", i, dropped[i], field, words)
				}
			}
		})
	}
}

func TestSourceTags(t *testing.T) {
	const src = "arn:aws:sagemaker:us-east-1:444333666777:model-package/churn/3"
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	many := make([]types.Tag, 60)
	for i := range many {
		many[i] = tag(fmt.Sprintf("k%02d", i), "v")
	}
	tests := []struct {
		name        string
		in          []types.Tag
		want        string // keys=values in order
		wantDropped []string
	}{
		{"no source tags: lineage only", nil, "smcd:source-model-package-arn=" + src, nil},
		{"source tags kept, lineage last", []types.Tag{tag("team", "risk"), tag("cost-center", "42")}, "team=risk cost-center=42 smcd:source-model-package-arn=" + src, nil},
		{"aws: keys skipped", []types.Tag{tag("aws:cloudformation:stack-name", "s"), tag("team", "risk")}, "team=risk smcd:source-model-package-arn=" + src, nil},
		{"our lineage wins over the source's", []types.Tag{tag(promotion.LineageKey, "arn:older"), tag("team", "risk")}, "team=risk smcd:source-model-package-arn=" + src, nil},
		{"source project tags dropped", []types.Tag{tag(promotion.ProjectIDTag, "p-abc"), tag(promotion.ProjectNameTag, "src"), tag("team", "risk")},
			"team=risk smcd:source-model-package-arn=" + src, []string{"Tags.sagemaker:project-id", "Tags.sagemaker:project-name"}},
		{"capped at the SageMaker limit", many, "", []string{"Tags"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, dropped := promotion.SourceTags(tc.in, src)
			var kv []string
			for _, t := range got {
				kv = append(kv, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
			}
			var fields []string
			for _, d := range dropped {
				fields = append(fields, d.Field)
			}
			if tc.want != "" && strings.Join(kv, " ") != tc.want {
				t.Errorf("tags %q, want %q", strings.Join(kv, " "), tc.want)
			}
			if len(got) > promotion.MaxTags || kv[len(kv)-1] != "smcd:source-model-package-arn="+src {
				t.Errorf("%d tags ending %q, want at most %d ending with the lineage", len(got), kv[len(kv)-1], promotion.MaxTags)
			}
			if fmt.Sprint(fields) != fmt.Sprint(tc.wantDropped) {
				t.Errorf("dropped %v, want %v", fields, tc.wantDropped)
			}
		})
	}
}

func TestBuildGrants(t *testing.T) {
	g, err := promotion.BuildGrants(promotion.GrantsInput{SourceGroupARN: "arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn",
		TargetAccountID: "111222333444", Buckets: []string{"models-a"}, KMSKeyARN: "arn:aws:kms:eu-west-1:444333666777:key/abcd-1234"})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := json.Marshal(g)
	for _, want := range []string{"sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage",
		"model-package/churn/*", "s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:ListBucket", "kms:Decrypt",
		"SageMaker Model Package State Change", "aws.sagemaker", "Rejected", "arn:aws:events:eu-west-1:111222333444:event-bus/default",
		"events:PutEvents", "arn:aws:iam::444333666777:root", "arn:aws:iam::111222333444:root"} {
		if !strings.Contains(string(all), want) {
			t.Errorf("grants lack %q", want)
		}
	}
	if _, err := promotion.BuildGrants(promotion.GrantsInput{SourceGroupARN: "arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn", TargetAccountID: "12"}); err == nil {
		t.Error("a 2-digit account was accepted")
	}
}

// TestGrantsCopyStatements checks the statements the copies rely on: the bucket policy allows
// exactly the reads a pinned, tag-preserving copy makes, and the key policy lets the target
// account decrypt only through S3 in the group's region.
func TestGrantsCopyStatements(t *testing.T) {
	g, err := promotion.BuildGrants(promotion.GrantsInput{SourceGroupARN: "arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn",
		TargetAccountID: "111222333444", Buckets: []string{"models-a"}, KMSKeyARN: "arn:aws:kms:eu-west-1:444333666777:key/abcd-1234"})
	if err != nil {
		t.Fatal(err)
	}
	type statement struct {
		Sid       string
		Principal map[string]string
		Action    any
		Resource  string
		Condition map[string]map[string]string
	}
	var bucket struct{ Statement []statement }
	if err := json.Unmarshal([]byte(g.BucketPolicies["models-a"]), &bucket); err != nil {
		t.Fatal(err)
	}
	var objects *statement
	for i := range bucket.Statement {
		if bucket.Statement[i].Resource == "arn:aws:s3:::models-a/*" {
			objects = &bucket.Statement[i]
		}
	}
	wantObjectActions := []any{"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:GetObjectVersionTagging"}
	if objects == nil || fmt.Sprint(objects.Action) != fmt.Sprint(wantObjectActions) || objects.Principal["AWS"] != "arn:aws:iam::111222333444:root" {
		t.Errorf("object statement %+v, want %v for the target account", objects, wantObjectActions)
	}
	var key []statement
	if err := json.Unmarshal([]byte(g.KMSKeyPolicyStatements), &key); err != nil {
		t.Fatal(err)
	}
	wantCondition := map[string]map[string]string{"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com", "kms:CallerAccount": "111222333444"}}
	if len(key) != 1 || key[0].Action != "kms:Decrypt" || key[0].Principal["AWS"] != "arn:aws:iam::111222333444:root" ||
		fmt.Sprint(key[0].Condition) != fmt.Sprint(wantCondition) {
		t.Errorf("key statements %+v, want kms:Decrypt for the target account with %v", key, wantCondition)
	}
	if len(g.Notes) == 0 || g.Notes[0] != promotion.CopyPrincipalNote || !strings.Contains(g.Notes[0], "always run as the target account") {
		t.Errorf("notes %q lack the copy principal", g.Notes)
	}
}

// TestClientToken: the same promotion always sends the same CreateModelPackage token, a
// different source or target group another one, and every token fits SageMaker's
// ClientToken (1-36 characters of [a-zA-Z0-9-]).
func TestClientToken(t *testing.T) {
	const src = "arn:aws:sagemaker:eu-west-1:444333666777:model-package/churn/3"
	a := promotion.ClientToken(src, "churn")
	tokens := map[string]string{
		"same":         promotion.ClientToken(src, "churn"),
		"other source": promotion.ClientToken(strings.TrimSuffix(src, "3")+"4", "churn"),
		"other group":  promotion.ClientToken(src, "churn-prod"),
	}
	if tokens["same"] != a {
		t.Errorf("ClientToken is not deterministic: %q then %q", a, tokens["same"])
	}
	for name, tok := range tokens {
		if name != "same" && tok == a {
			t.Errorf("%s: token %q equals the original's", name, tok)
		}
		if !regexp.MustCompile(`^[a-zA-Z0-9-]{1,36}$`).MatchString(tok) {
			t.Errorf("%s: token %q is not a valid SageMaker ClientToken", name, tok)
		}
	}
}
