package promote

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/sagemaker-cd/sagemaker-cd/internal/cdktest"
)

// template is a synthesized CloudFormation template as plain data, for walking.
type template struct {
	Resources map[string]struct {
		Type       string
		Properties map[string]any
	}
	Outputs map[string]struct{ Value any }
}

func parse(t *testing.T, tmpl assertions.Template) *template {
	t.Helper()
	b, err := json.Marshal(tmpl.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var out template
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

// has is Template.HasResourceProperties reporting a mismatch through t instead of a panic, so
// the other subtests still run.
func has(t *testing.T, tmpl assertions.Template, typ string, props any) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", typ, r)
		}
	}()
	tmpl.HasResourceProperties(jsii.String(typ), props)
}

func (tp *template) ofType(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tp.Resources {
		if r.Type == typ {
			out[id] = r.Properties
		}
	}
	return out
}

// statements returns the IAM statements of every policy (managed, inline on roles) by Sid.
func (tp *template) statements() map[string][]map[string]any {
	out := map[string][]map[string]any{}
	add := func(doc any) {
		d, _ := doc.(map[string]any)
		st, _ := d["Statement"].([]any)
		for _, s := range st {
			m := s.(map[string]any)
			sid, _ := m["Sid"].(string)
			out[sid] = append(out[sid], m)
		}
	}
	for _, p := range tp.ofType("AWS::IAM::Policy") {
		add(p["PolicyDocument"])
	}
	for _, r := range tp.ofType("AWS::IAM::Role") {
		pols, _ := r["Policies"].([]any)
		for _, p := range pols {
			add(p.(map[string]any)["PolicyDocument"])
		}
	}
	return out
}

// str renders any template value (strings and Fn::Join of strings and refs) as one string,
// with pseudo parameters and refs as ${Name}.
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = str(e)
		}
		return strings.Join(parts, ",")
	case map[string]any:
		if r, ok := x["Ref"].(string); ok {
			return "${" + r + "}"
		}
		if j, ok := x["Fn::Join"].([]any); ok {
			var b strings.Builder
			for _, e := range j[1].([]any) {
				b.WriteString(str(e))
			}
			return b.String()
		}
		if g, ok := x["Fn::GetAtt"].([]any); ok {
			return "${" + str(g[0]) + "." + str(g[1]) + "}"
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func strs(v any) []string {
	if l, ok := v.([]any); ok {
		out := make([]string, len(l))
		for i, e := range l {
			out[i] = str(e)
		}
		sort.Strings(out)
		return out
	}
	return []string{str(v)}
}

// fullBoundary is the boundary ARN fullProps' PermissionsBoundaryName renders to in a stack in
// cdktest.Env(): partition from the stack, account from the stack.
const fullBoundary = "arn:${AWS::Partition}:iam::111222333444:policy/my-permissions-boundary"

// checkBoundary fails t for every AWS::IAM::Role of the template, whichever construct rendered
// it, whose PermissionsBoundary is not want, and when the template has fewer than minRoles roles
// (a walk over a few roles would prove little). It returns the roles' logical IDs.
func (tp *template) checkBoundary(t *testing.T, want string, minRoles int) []string {
	t.Helper()
	roles := tp.ofType("AWS::IAM::Role")
	if len(roles) < minRoles {
		t.Fatalf("only %d roles, want at least %d: the walk would prove little", len(roles), minRoles)
	}
	ids := make([]string, 0, len(roles))
	for id, r := range roles {
		ids = append(ids, id)
		if got := str(r["PermissionsBoundary"]); got != want {
			t.Errorf("role %s boundary = %q, want %q", id, got, want)
		}
	}
	sort.Strings(ids)
	return ids
}

func fullProps() *ModelPackagePromotePipelineProps {
	return &ModelPackagePromotePipelineProps{
		SourceModelPackageGroupArn:  jsii.String("arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/My-Model-Pkg"),
		TargetBucketName:            jsii.String("mlops-artifacts-111222333444"),
		EventBusName:                jsii.String("mlops-bus"),
		TargetModelPackageGroupName: jsii.String("prod-models"),
		SagemakerProjectId:          jsii.String("p-abcdef123456"),
		SagemakerProjectName:        jsii.String("mlops"),
		KmsKeyArn:                   jsii.String("arn:aws:kms:eu-west-1:111222333444:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
		RetainOnDelete:              jsii.Bool(false),
		PermissionsBoundaryName:     jsii.String("my-permissions-boundary"),
		ApprovalStatus:              jsii.String("PendingManualApproval"),
		BuildComputeType:            jsii.String("LARGE"),
		SourceRoleArn:               jsii.String("arn:aws:iam::444333666777:role/promote-reader"),
		VerifyMode:                  jsii.String("size"),
		TargetPrefix:                jsii.String("promoted"),
		Concurrency:                 jsii.Number(200),
	}
}

// TestFullStack synthesizes one stack with every option and checks it from several sides.
func TestFullStack(t *testing.T) {
	app := cdktest.NewApp()
	stack := awscdk.NewStack(app, jsii.String("Full"), &awscdk.StackProps{Env: cdktest.Env()})
	p := NewModelPackagePromotePipeline(stack, jsii.String("Promote"), fullProps())
	tmpl := cdktest.Check(t, stack)
	tp := parse(t, tmpl)
	if p.Rule() == nil || p.Project() == nil || p.Pipeline() == nil {
		t.Fatal("construct does not expose its rule, project and pipeline")
	}

	t.Run("pipeline is V2, superseded, with a KMS artifact store", func(t *testing.T) {
		has(t, tmpl, "AWS::CodePipeline::Pipeline", map[string]any{
			"PipelineType":  "V2",
			"ExecutionMode": "SUPERSEDED",
			"ArtifactStore": map[string]any{"Type": "S3", "EncryptionKey": map[string]any{"Type": "KMS"}},
			"Stages": []any{
				map[string]any{"Name": "Source", "Actions": []any{assertions.Match_ObjectLike(&map[string]any{
					"ActionTypeId":  map[string]any{"Category": "Source", "Provider": "S3"},
					"Configuration": map[string]any{"PollForSourceChanges": false, "S3Bucket": assertions.Match_AnyValue(), "S3ObjectKey": assertions.Match_StringLikeRegexp(jsii.String(`^[0-9a-f]{64}\.zip$`))},
				})}},
				map[string]any{"Name": "Promote", "Actions": []any{assertions.Match_ObjectLike(&map[string]any{
					"ActionTypeId": map[string]any{"Category": "Build", "Provider": "CodeBuild"},
				})},
					// A failed promotion is retried once (a lost answer must not strand the package).
					"OnFailure": map[string]any{"Result": "RETRY", "RetryConfiguration": map[string]any{"RetryMode": "FAILED_ACTIONS"}}},
			},
		})
	})

	t.Run("key rotation and bucket hygiene", func(t *testing.T) {
		has(t, tmpl, "AWS::KMS::Key", map[string]any{"EnableKeyRotation": true})
		buckets := tp.ofType("AWS::S3::Bucket")
		if len(buckets) != 2 {
			t.Fatalf("%d buckets, want the artifact store and its access log bucket", len(buckets))
		}
		logged := 0
		for id, b := range buckets {
			if str(b["PublicAccessBlockConfiguration"]) != `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}` {
				t.Errorf("bucket %s does not block public access: %v", id, b["PublicAccessBlockConfiguration"])
			}
			if b["LoggingConfiguration"] != nil {
				logged++
				if !strings.Contains(str(b["BucketEncryption"]), `"SSEAlgorithm":"aws:kms"`) {
					t.Errorf("artifact bucket %s is not KMS-encrypted: %v", id, b["BucketEncryption"])
				}
			}
		}
		if logged != 1 {
			t.Errorf("%d buckets log server access, want the artifact store", logged)
		}
		ssl := 0
		for _, pol := range tp.ofType("AWS::S3::BucketPolicy") {
			if strings.Contains(str(pol["PolicyDocument"]), `"aws:SecureTransport":"false"`) {
				ssl++
			}
		}
		if ssl != 2 {
			t.Errorf("%d bucket policies deny non-TLS access, want 2", ssl)
		}
	})

	t.Run("codebuild runs smcd promote with the configuration as environment", func(t *testing.T) {
		projects := tp.ofType("AWS::CodeBuild::Project")
		if len(projects) != 1 {
			t.Fatalf("%d projects, want 1", len(projects))
		}
		for _, pr := range projects {
			env := pr["Environment"].(map[string]any)
			if env["Image"] != "aws/codebuild/standard:7.0" || env["ComputeType"] != "BUILD_GENERAL1_LARGE" || env["PrivilegedMode"] != false {
				t.Errorf("environment = %v", env)
			}
			got := map[string]string{}
			for _, v := range env["EnvironmentVariables"].([]any) {
				m := v.(map[string]any)
				got[m["Name"].(string)] = str(m["Value"])
			}
			want := map[string]string{
				"SMCD_SOURCE_GROUP_ARN": "arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/My-Model-Pkg",
				"SMCD_TARGET_BUCKET":    "mlops-artifacts-111222333444",
				"SMCD_TARGET_GROUP":     "prod-models",
				"SMCD_KMS_KEY_ARN":      "arn:aws:kms:eu-west-1:111222333444:key/1234abcd-12ab-34cd-56ef-1234567890ab",
				"SMCD_SOURCE_ROLE_ARN":  "arn:aws:iam::444333666777:role/promote-reader",
				"SMCD_APPROVAL_STATUS":  "PendingManualApproval",
				"SMCD_PROJECT_ID":       "p-abcdef123456",
				"SMCD_PROJECT_NAME":     "mlops",
				"SMCD_VERIFY":           "size",
				"SMCD_TARGET_PREFIX":    "promoted",
				"SMCD_CONCURRENCY":      "200",
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("environment variables = %v, want %v", got, want)
			}
			if pr["EncryptionKey"] == nil {
				t.Error("project has no encryption key")
			}
			spec := str(pr["Source"].(map[string]any)["BuildSpec"])
			if !strings.Contains(spec, `"./smcd promote --output json"`) || strings.Contains(spec, "cdk ") {
				t.Errorf("buildspec = %s", spec)
			}
		}
	})

	t.Run("event rule on the bus with the seed's pattern", func(t *testing.T) {
		has(t, tmpl, "AWS::Events::Rule", map[string]any{
			"EventBusName": "mlops-bus",
			"EventPattern": map[string]any{
				"source":      []any{"aws.sagemaker"},
				"detail-type": []any{"SageMaker Model Package State Change"},
				"account":     []any{"444333666777"},
				"detail": map[string]any{
					"ModelPackageGroupName": []any{"My-Model-Pkg"},
					"ModelApprovalStatus":   []any{"Approved", "Rejected"},
				},
			},
		})
		rules := tp.ofType("AWS::Events::Rule")
		for _, r := range rules {
			targets := r["Targets"].([]any)
			if len(targets) != 1 {
				t.Fatalf("targets = %v", targets)
			}
		}
		st := tp.statements()[""]
		var starts []map[string]any
		for _, s := range st {
			if str(s["Action"]) == "codepipeline:StartPipelineExecution" {
				starts = append(starts, s)
			}
		}
		if len(starts) != 1 || str(starts[0]["Resource"]) != "arn:${AWS::Partition}:codepipeline:eu-west-1:111222333444:${PromotePipelineB1741DF7}" {
			t.Errorf("start statements = %v, want one on the pipeline ARN", starts)
		}
	})

	t.Run("promoter IAM is scoped", func(t *testing.T) {
		st := tp.statements()
		want := map[string]struct {
			actions, resources []string
			condition          string
		}{
			"ReadSourceModelPackages": {
				[]string{"sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages", "sagemaker:ListTags"},
				[]string{
					"arn:${AWS::Partition}:sagemaker:eu-west-1:444333666777:model-package-group/My-Model-Pkg",
					"arn:${AWS::Partition}:sagemaker:eu-west-1:444333666777:model-package-group/my-model-pkg",
					"arn:${AWS::Partition}:sagemaker:eu-west-1:444333666777:model-package/My-Model-Pkg/*",
					"arn:${AWS::Partition}:sagemaker:eu-west-1:444333666777:model-package/my-model-pkg/*",
				}, ""},
			"ReadSourceArtifacts": {
				[]string{"s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectVersion", "s3:GetObjectVersionTagging", "s3:ListBucket"},
				[]string{"arn:${AWS::Partition}:s3:::*", "arn:${AWS::Partition}:s3:::*/*"},
				`{"StringEquals":{"s3:ResourceAccount":"444333666777"}}`},
			"DecryptSourceArtifacts": {
				[]string{"kms:Decrypt", "kms:DescribeKey"},
				[]string{"arn:${AWS::Partition}:kms:eu-west-1:444333666777:key/*"},
				`{"StringEquals":{"kms:ViaService":"s3.eu-west-1.amazonaws.com"}}`},
			"WriteTargetBucket": {
				[]string{"s3:GetEncryptionConfiguration", "s3:ListBucket", "s3:ListBucketMultipartUploads"},
				[]string{"arn:${AWS::Partition}:s3:::mlops-artifacts-111222333444"}, ""},
			"FindTargetCopies": {[]string{"sagemaker:Search"}, []string{"*"}, ""},
			"WriteTargetArtifacts": {
				[]string{"s3:AbortMultipartUpload", "s3:GetObject", "s3:GetObjectAttributes", "s3:GetObjectTagging", "s3:ListMultipartUploadParts", "s3:PutObject", "s3:PutObjectTagging"},
				[]string{"arn:${AWS::Partition}:s3:::mlops-artifacts-111222333444/*"}, ""},
			"RegisterTargetModelPackages": {
				[]string{"sagemaker:AddTags", "sagemaker:CreateModelPackage", "sagemaker:CreateModelPackageGroup", "sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages", "sagemaker:ListTags", "sagemaker:UpdateModelPackage"},
				[]string{"arn:${AWS::Partition}:sagemaker:eu-west-1:111222333444:model-package-group/prod-models", "arn:${AWS::Partition}:sagemaker:eu-west-1:111222333444:model-package/prod-models/*"}, ""},
			"EncryptTargetArtifacts": {
				[]string{"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"},
				[]string{"arn:aws:kms:eu-west-1:111222333444:key/1234abcd-12ab-34cd-56ef-1234567890ab"}, ""},
			"AssumeSourceRole": {
				[]string{"sts:AssumeRole"}, []string{"arn:aws:iam::444333666777:role/promote-reader"}, ""},
		}
		for sid, w := range want {
			got := st[sid]
			if len(got) != 1 {
				t.Errorf("%s: %d statements, want 1", sid, len(got))
				continue
			}
			s := got[0]
			if a := strs(s["Action"]); !reflect.DeepEqual(a, w.actions) {
				t.Errorf("%s actions = %v, want %v", sid, a, w.actions)
			}
			if r := strs(s["Resource"]); !reflect.DeepEqual(r, w.resources) {
				t.Errorf("%s resources = %v, want %v", sid, r, w.resources)
			}
			if c := s["Condition"]; (w.condition == "") != (c == nil) || (c != nil && str(c) != w.condition) {
				t.Errorf("%s condition = %v, want %s", sid, c, w.condition)
			}
		}
		for sid, list := range st {
			for _, s := range list {
				// sagemaker:Search has no resource-level permissions: the one action allowed on "*".
				searchOnly := sid == "FindTargetCopies" && reflect.DeepEqual(strs(s["Action"]), []string{"sagemaker:Search"})
				if (strings.Contains(str(s["Resource"]), `"*"`) || str(s["Resource"]) == "*") && !searchOnly {
					t.Errorf("statement %q allows %v on every resource", sid, s["Action"])
				}
			}
		}
	})

	t.Run("package cleaner custom resource", func(t *testing.T) {
		has(t, tmpl, "Custom::ModelPackageCleaner", map[string]any{
			"SourceModelPackageGroupArn":  "arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/My-Model-Pkg",
			"TargetModelPackageGroupName": "prod-models",
		})
		has(t, tmpl, "AWS::Lambda::Function", map[string]any{
			"Runtime": "provided.al2023", "Architectures": []any{"arm64"}, "Handler": "bootstrap",
		})
		clean := tp.statements()["TargetPackages"]
		if len(clean) != 1 || !reflect.DeepEqual(strs(clean[0]["Action"]), []string{"sagemaker:DeleteModelPackage", "sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages"}) ||
			!reflect.DeepEqual(strs(clean[0]["Resource"]), []string{"arn:${AWS::Partition}:sagemaker:eu-west-1:111222333444:model-package-group/prod-models", "arn:${AWS::Partition}:sagemaker:eu-west-1:111222333444:model-package/prod-models/*"}) {
			t.Errorf("cleaner statement = %v, want delete on the target group's packages only", clean)
		}
		if s := tp.statements()["StackStatus"]; len(s) != 1 || str(s[0]["Resource"]) != "${AWS::StackId}" {
			t.Errorf("stack status statement = %v", s)
		}
	})

	t.Run("permissions boundary on every role", func(t *testing.T) {
		tp.checkBoundary(t, fullBoundary, 6)
	})

	t.Run("outputs", func(t *testing.T) {
		keys := make([]string, 0, len(tp.Outputs))
		for k := range tp.Outputs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if want := []string{"EventRuleArn", "EventRuleName", "PipelineArn", "PipelineName", "metadata"}; !reflect.DeepEqual(keys, want) {
			t.Fatalf("outputs = %v, want %v", keys, want)
		}
		rule := "PromoteSageMakerModelPackageStateChangeB225D1B7"
		if got := str(tp.Outputs["EventRuleName"].Value); got != "${"+rule+"}" {
			t.Errorf("EventRuleName = %s, want the rule's Ref (bus|rule for a custom bus)", got)
		}
		meta := str(tp.Outputs["metadata"].Value)
		for _, k := range []string{`"PipelineArn":"arn:${AWS::Partition}:codepipeline:eu-west-1:111222333444:${PromotePipelineB1741DF7}"`, `"PipelineName":"${PromotePipelineB1741DF7}"`, `"EventRuleArn":"${` + rule + `.Arn}"`, `"EventRuleName":"${` + rule + `}"`} {
			if !strings.Contains(meta, k) {
				t.Errorf("metadata %s lacks %s", meta, k)
			}
		}
	})
}

// TestMinimalStack is the seed's minimum in an environment-agnostic stack: no bus, no rule, no
// cleaner, no boundary, and outputs without the rule.
func TestMinimalStack(t *testing.T) {
	app := cdktest.NewApp()
	stack := awscdk.NewStack(app, jsii.String("Minimal"), nil)
	p := NewModelPackagePromotePipeline(stack, jsii.String("Promote"), validProps())
	tmpl := cdktest.Check(t, stack)
	tp := parse(t, tmpl)
	if p.Rule() != nil || p.EventRuleArn() != nil || p.EventRuleName() != nil {
		t.Error("a rule without an event bus")
	}
	for _, typ := range []string{"AWS::Events::Rule", "Custom::ModelPackageCleaner", "AWS::Lambda::Function"} {
		if n := len(tp.ofType(typ)); n != 0 {
			t.Errorf("%d %s, want none", n, typ)
		}
	}
	for id, r := range tp.ofType("AWS::IAM::Role") {
		if r["PermissionsBoundary"] != nil {
			t.Errorf("role %s has a boundary nobody asked for", id)
		}
	}
	if len(tp.Outputs) != 3 || tp.Outputs["PipelineArn"].Value == nil || tp.Outputs["PipelineName"].Value == nil {
		t.Errorf("outputs = %v, want PipelineArn, PipelineName, metadata", tp.Outputs)
	}
	if meta := str(tp.Outputs["metadata"].Value); strings.Contains(meta, "EventRule") {
		t.Errorf("metadata %s names a rule", meta)
	}
	has(t, tmpl, "AWS::CodeBuild::Project", map[string]any{
		"Environment": assertions.Match_ObjectLike(&map[string]any{
			"ComputeType": "BUILD_GENERAL1_SMALL",
			"EnvironmentVariables": assertions.Match_ArrayWith(&[]any{
				map[string]any{"Name": "SMCD_APPROVAL_STATUS", "Type": "PLAINTEXT", "Value": "Approved"},
				map[string]any{"Name": "SMCD_CONCURRENCY", "Type": "PLAINTEXT", "Value": "64"},
				map[string]any{"Name": "SMCD_TARGET_GROUP", "Type": "PLAINTEXT", "Value": "my-model-pkg"},
				map[string]any{"Name": "SMCD_VERIFY", "Type": "PLAINTEXT", "Value": "checksum"},
			}),
		}),
	})
	st := tp.statements()["RegisterTargetModelPackages"]
	if len(st) != 1 || !strings.Contains(str(st[0]["Resource"]), "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:model-package/my-model-pkg/*") {
		t.Errorf("target statement in an env-agnostic stack = %v", st)
	}
}

// usEast1 is the region of validProps' source group.
var usEast1 = &awscdk.Environment{Account: jsii.String("111222333444"), Region: jsii.String("us-east-1")}

// secondProps is a second pipeline for the same stack: another source group and target group.
func secondProps(createOutputs *bool) *ModelPackagePromotePipelineProps {
	p := validProps()
	p.SourceModelPackageGroupArn = jsii.String("arn:aws:sagemaker:us-east-1:444333666777:model-package-group/fraud")
	p.EventBusName = jsii.String("mlops-bus")
	p.CreateOutputs = createOutputs
	return p
}

// TestTwoPipelinesInOneStack: with CreateOutputs=false on all but (at most) one, two promote
// pipelines share a stack; the outputs are the first pipeline's, or none.
func TestTwoPipelinesInOneStack(t *testing.T) {
	tests := []struct {
		name        string
		first       *bool
		boundary    *string // on both pipelines
		wantOutputs []string
	}{
		{"first with outputs (default), second without", nil, nil, []string{"PipelineArn", "PipelineName", "metadata"}},
		{"neither with outputs, both with the same boundary", jsii.Bool(false), jsii.String("my-permissions-boundary"), []string{}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := cdktest.NewApp()
			stack := awscdk.NewStack(app, jsii.Sprintf("Two%d", i), &awscdk.StackProps{Env: usEast1})
			first := validProps()
			first.CreateOutputs = tc.first
			first.PermissionsBoundaryName = tc.boundary
			p1 := NewModelPackagePromotePipeline(stack, jsii.String("Churn"), first)
			second := secondProps(jsii.Bool(false))
			second.PermissionsBoundaryName = tc.boundary
			p2 := NewModelPackagePromotePipeline(stack, jsii.String("Fraud"), second)
			tmpl := cdktest.Check(t, stack)
			tp := parse(t, tmpl)
			if tc.boundary != nil {
				tp.checkBoundary(t, "arn:${AWS::Partition}:iam::111222333444:policy/"+*tc.boundary, 8)
			}
			if n := len(tp.ofType("AWS::CodePipeline::Pipeline")); n != 2 {
				t.Fatalf("%d pipelines, want 2", n)
			}
			if n := len(tp.ofType("AWS::Events::Rule")); n != 1 {
				t.Errorf("%d rules, want the second pipeline's", n)
			}
			got := make([]string, 0, len(tp.Outputs))
			for k := range tp.Outputs {
				got = append(got, k)
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, tc.wantOutputs) {
				t.Fatalf("outputs %v, want %v", got, tc.wantOutputs)
			}
			pipe1 := *stack.GetLogicalId(p1.Pipeline().Node().DefaultChild().(awscdk.CfnElement))
			if len(got) > 0 && str(tp.Outputs["PipelineName"].Value) != "${"+pipe1+"}" {
				t.Errorf("PipelineName output = %s, want the first pipeline's (%s)", str(tp.Outputs["PipelineName"].Value), pipe1)
			}
			// Without outputs, the attributes stay on the construct.
			pipe2 := *stack.GetLogicalId(p2.Pipeline().Node().DefaultChild().(awscdk.CfnElement))
			rule2 := *stack.GetLogicalId(p2.Rule().Node().DefaultChild().(awscdk.CfnElement))
			for name, v := range map[string]*string{"PipelineName": p2.PipelineName(), "PipelineArn": p2.PipelineArn(), "EventRuleArn": p2.EventRuleArn(), "EventRuleName": p2.EventRuleName()} {
				resolved := str(stack.Resolve(v))
				if v == nil || (!strings.Contains(resolved, pipe2) && !strings.Contains(resolved, rule2)) {
					t.Errorf("second pipeline's %s = %s, want a reference to %s or %s", name, resolved, pipe2, rule2)
				}
			}
		})
	}
}

// A second pipeline that would clash with the first fails with one line naming the prop, before
// it builds anything: outputs again (instead of CDK's duplicate-output error at synth), or another
// permissions boundary (the boundary covers the whole stack, so only one can apply).
func TestSecondPipelinePanics(t *testing.T) {
	tests := []struct {
		name          string
		first, second func(p *ModelPackagePromotePipelineProps)
		want          []string // prefix, then substrings
	}{
		{"outputs again", func(p *ModelPackagePromotePipelineProps) {}, func(p *ModelPackagePromotePipelineProps) {},
			[]string{"promote: Fraud: stack Dup0 already has a promote pipeline's outputs", "set CreateOutputs=false"}},
		{"another boundary",
			func(p *ModelPackagePromotePipelineProps) { p.PermissionsBoundaryName = jsii.String("boundary-a") },
			func(p *ModelPackagePromotePipelineProps) {
				p.CreateOutputs = jsii.Bool(false)
				p.PermissionsBoundaryName = jsii.String("boundary-b")
			},
			[]string{`promote: Fraud: PermissionsBoundaryName "boundary-b": stack Dup1 already has promote pipeline permissions boundary "boundary-a"`, "the same PermissionsBoundaryName"}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := cdktest.NewApp()
			stack := awscdk.NewStack(app, jsii.Sprintf("Dup%d", i), &awscdk.StackProps{Env: usEast1})
			first, second := validProps(), secondProps(nil)
			tc.first(first)
			tc.second(second)
			NewModelPackagePromotePipeline(stack, jsii.String("Churn"), first)
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, tc.want[0]) || strings.Contains(msg, "\n") {
					t.Fatalf("panic = %q, want one line starting %q", msg, tc.want[0])
				}
				for _, w := range tc.want[1:] {
					if !strings.Contains(msg, w) {
						t.Errorf("panic = %q, want it to name %q", msg, w)
					}
				}
				if stack.Node().TryFindChild(jsii.String("Fraud")) != nil {
					t.Error("the rejected pipeline left constructs in the stack")
				}
			}()
			NewModelPackagePromotePipeline(stack, jsii.String("Fraud"), second)
		})
	}
}

// The boundary reaches every role of the stack the pipeline is in, including roles the CDK
// renders as a generic CfnResource of type AWS::IAM::Role (not awsiam.CfnRole): those of
// CustomResourceProvider, such as the provider behind a bucket's AutoDeleteObjects, and roles the
// user adds beside the pipeline. The ARN's partition and account are the stack's.
func TestBoundaryOnEveryRoleOfTheStack(t *testing.T) {
	agnostic := validProps()
	agnostic.PermissionsBoundaryName = jsii.String("my-permissions-boundary")
	tests := []struct {
		name  string
		env   *awscdk.Environment
		props *ModelPackagePromotePipelineProps
		want  string
	}{
		{"stack with an environment", cdktest.Env(), fullProps(), fullBoundary},
		{"environment-agnostic stack", nil, agnostic, "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/my-permissions-boundary"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := cdktest.NewApp()
			stack := awscdk.NewStack(app, jsii.Sprintf("Helpers%d", i), &awscdk.StackProps{Env: tc.env})
			NewModelPackagePromotePipeline(stack, jsii.String("Promote"), tc.props)
			addHelperRoles(t, stack)
			tp := parse(t, cdktest.Check(t, stack))
			ids := tp.checkBoundary(t, tc.want, 4)
			for _, prefix := range []string{
				"CustomS3AutoDeleteObjectsCustomResourceProviderRole", // the bucket's AutoDeleteObjects provider
				"CustomBoundaryProbeCustomResourceProviderRole",       // a provider the user adds
				"UserRole", // an awsiam.Role the user adds
			} {
				found := false
				for _, id := range ids {
					found = found || strings.HasPrefix(id, prefix)
				}
				if !found {
					t.Errorf("no role %s* among %v: the test no longer covers it", prefix, ids)
				}
			}
		})
	}
}

// addHelperRoles adds, beside a pipeline, resources whose roles the CDK renders as a generic
// CfnResource (a bucket with AutoDeleteObjects, a CustomResourceProvider) and a plain role.
func addHelperRoles(t *testing.T, stack awscdk.Stack) {
	t.Helper()
	bucket := awss3.NewBucket(stack, jsii.String("Scratch"), &awss3.BucketProps{
		AutoDeleteObjects: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(bucket, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-S1"), Reason: jsii.String("Test-only bucket: it exists to bring the AutoDeleteObjects provider's role into the stack."),
	}}, jsii.Bool(false))

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte("exports.handler = async () => ({});\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	provider := awscdk.CustomResourceProvider_GetOrCreateProvider(stack, jsii.String("Custom::BoundaryProbe"), &awscdk.CustomResourceProviderProps{
		CodeDirectory: jsii.String(dir),
		Runtime:       awscdk.CustomResourceProviderRuntime_NODEJS_22_X,
	})
	awscdk.NewCustomResource(stack, jsii.String("Probe"), &awscdk.CustomResourceProps{
		ServiceToken: provider.ServiceToken(),
		ResourceType: jsii.String("Custom::BoundaryProbe"),
	})

	awsiam.NewRole(stack, jsii.String("UserRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
	})
}
