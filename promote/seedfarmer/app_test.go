package seedfarmer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-cd/sagemaker-cd/internal/cdktest"
	"github.com/sagemaker-cd/sagemaker-cd/promote"
	"github.com/sagemaker-cd/sagemaker-cd/promotion"
)

// sampleManifest is the seed's sample manifest as Seedfarmer hands it to the app, with the
// placeholder region xx-xxxx-x replaced by us-east-1.
func sampleManifest() map[string]string {
	return map[string]string{
		"SEEDFARMER_PROJECT_NAME":                             "mlops",
		"SEEDFARMER_DEPLOYMENT_NAME":                          "dev",
		"SEEDFARMER_MODULE_NAME":                              "promote-test",
		"CDK_DEFAULT_ACCOUNT":                                 "111222333444",
		"CDK_DEFAULT_REGION":                                  "us-east-1",
		"SEEDFARMER_PARAMETER_SOURCE_MODEL_PACKAGE_GROUP_ARN": "arn:aws:sagemaker:us-east-1:444333666777:model-package-group/my-model-pkg",
		"SEEDFARMER_PARAMETER_TARGET_BUCKET_NAME":             "mlops-unified-modelartifacts-111222333444-us-east-1",
		"SEEDFARMER_PARAMETER_PERMISSIONS_BOUNDARY_NAME":      "my-permissions-boundary",
	}
}

func getenv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestEnvName(t *testing.T) {
	for param, want := range map[string]string{
		"permissions-boundary-name":      "SEEDFARMER_PARAMETER_PERMISSIONS_BOUNDARY_NAME",
		"source_model_package_group_arn": "SEEDFARMER_PARAMETER_SOURCE_MODEL_PACKAGE_GROUP_ARN",
		"retain_on_delete":               "SEEDFARMER_PARAMETER_RETAIN_ON_DELETE",
	} {
		if got := envName(param); got != want {
			t.Errorf("envName(%q) = %q, want %q", param, got, want)
		}
	}
}

// TestEverySettingHasAParameter: every setting of smcd promote (promotion.Settings) is a module
// parameter whose value reaches the construct's prop for it.
func TestEverySettingHasAParameter(t *testing.T) {
	values := map[string]string{
		promotion.EnvTargetGroup: "prod", promotion.EnvTargetPrefix: "promoted/prod",
		promotion.EnvKMSKeyARN:      "arn:aws:kms:us-east-1:111222333444:key/1234abcd",
		promotion.EnvSourceRoleARN:  "arn:aws:iam::444333666777:role/reader",
		promotion.EnvApprovalStatus: "PendingManualApproval", promotion.EnvProjectID: "p-abcdef123456", promotion.EnvProjectName: "mlops",
		promotion.EnvVerify: "size", promotion.EnvConcurrency: "16",
	}
	params := settingParams()
	for _, s := range promotion.Settings() {
		param := params[s.Env]
		if param == "" {
			t.Errorf("setting %s (smcd promote --%s) has no module parameter", s.Env, s.Flag)
			continue
		}
		env := sampleManifest()
		want := env[envName(param)] // the required ones are in the sample manifest
		if v := values[s.Env]; v != "" {
			env[envName(param)], want = v, v
		}
		if want == "" {
			t.Errorf("setting %s: the test has no value for parameter %s", s.Env, param)
			continue
		}
		c, err := loadConfig(getenv(env))
		if err != nil {
			t.Errorf("parameter %s=%q: %v", param, want, err)
			continue
		}
		if got, set := c.Props.Setting(s.Env); !set || got != want {
			t.Errorf("parameter %s=%q: prop %s = %q (set %v)", param, want, promote.PropOf(s.Env), got, set)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		edit    map[string]string // "" deletes
		wantErr string
		check   func(t *testing.T, c *config)
	}{
		{name: "sample manifest", check: func(t *testing.T, c *config) {
			if c.StackName() != "mlops-dev-promote-test" || c.Account != "111222333444" || c.Region != "us-east-1" {
				t.Errorf("config = %+v", c)
			}
			if *c.Props.PermissionsBoundaryName != "my-permissions-boundary" || c.Props.RetainOnDelete != nil || c.Props.EventBusName != nil {
				t.Errorf("props = %+v", c.Props)
			}
		}},
		{name: "every parameter", edit: map[string]string{
			"SEEDFARMER_PARAMETER_EVENT_BUS_NAME":                  "mlops-bus",
			"SEEDFARMER_PARAMETER_TARGET_MODEL_PACKAGE_GROUP_NAME": "prod",
			"SEEDFARMER_PARAMETER_SAGEMAKER_PROJECT_ID":            "p-abcdef123456",
			"SEEDFARMER_PARAMETER_SAGEMAKER_PROJECT_NAME":          "mlops",
			"SEEDFARMER_PARAMETER_KMS_KEY_ARN":                     "arn:aws:kms:us-east-1:111222333444:key/abcd",
			"SEEDFARMER_PARAMETER_RETAIN_ON_DELETE":                "False",
			"SEEDFARMER_PARAMETER_APPROVAL_STATUS":                 "PendingManualApproval",
			"SEEDFARMER_PARAMETER_BUILD_COMPUTE_TYPE":              "MEDIUM",
			"SEEDFARMER_PARAMETER_SOURCE_ROLE_ARN":                 "arn:aws:iam::444333666777:role/reader",
			"SEEDFARMER_PARAMETER_VERIFY_MODE":                     "size",
			"SEEDFARMER_PARAMETER_CONCURRENCY":                     "32",
			"SEEDFARMER_PARAMETER_TARGET_PREFIX":                   "promoted/prod",
		}, check: func(t *testing.T, c *config) {
			p := c.Props
			if p.TargetPrefix == nil || *p.TargetPrefix != "promoted/prod" {
				t.Errorf("TargetPrefix = %v, want promoted/prod", p.TargetPrefix)
			}
			if p.Concurrency == nil || *p.Concurrency != 32 {
				t.Errorf("Concurrency = %v, want 32", p.Concurrency)
			}
			got := []string{*p.EventBusName, *p.TargetModelPackageGroupName, *p.SagemakerProjectId, *p.SagemakerProjectName, *p.KmsKeyArn, *p.ApprovalStatus, *p.BuildComputeType, *p.SourceRoleArn, *p.VerifyMode}
			want := []string{"mlops-bus", "prod", "p-abcdef123456", "mlops", "arn:aws:kms:us-east-1:111222333444:key/abcd", "PendingManualApproval", "MEDIUM", "arn:aws:iam::444333666777:role/reader", "size"}
			if !reflect.DeepEqual(got, want) || p.RetainOnDelete == nil || *p.RetainOnDelete {
				t.Errorf("props = %v retain=%v, want %v retain=false", got, p.RetainOnDelete, want)
			}
		}},
		{name: "no account or region: environment-agnostic", edit: map[string]string{"CDK_DEFAULT_ACCOUNT": "", "CDK_DEFAULT_REGION": ""}, check: func(t *testing.T, c *config) {
			if c.Account != "" || c.Region != "" {
				t.Errorf("config = %+v", c)
			}
		}},
		{name: "everything missing is listed at once", edit: map[string]string{
			"SEEDFARMER_PROJECT_NAME": "", "SEEDFARMER_MODULE_NAME": "",
			"SEEDFARMER_PARAMETER_SOURCE_MODEL_PACKAGE_GROUP_ARN": "", "SEEDFARMER_PARAMETER_TARGET_BUCKET_NAME": "",
		}, wantErr: "missing required environment: SEEDFARMER_PROJECT_NAME, SEEDFARMER_MODULE_NAME, " +
			"SEEDFARMER_PARAMETER_SOURCE_MODEL_PACKAGE_GROUP_ARN (parameter source_model_package_group_arn), " +
			"SEEDFARMER_PARAMETER_TARGET_BUCKET_NAME (parameter target_bucket_name)"},
		{name: "Seedfarmer's AWS_ACCOUNT_ID and AWS_DEFAULT_REGION when the CDK CLI sets none", edit: map[string]string{
			"CDK_DEFAULT_ACCOUNT": "", "CDK_DEFAULT_REGION": "", "AWS_ACCOUNT_ID": "999888777666", "AWS_DEFAULT_REGION": "eu-west-1",
			"SEEDFARMER_PARAMETER_SOURCE_MODEL_PACKAGE_GROUP_ARN": "arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/my-model-pkg",
		}, check: func(t *testing.T, c *config) {
			if c.Account != "999888777666" || c.Region != "eu-west-1" {
				t.Errorf("account, region = %q, %q; want Seedfarmer's 999888777666, eu-west-1", c.Account, c.Region)
			}
		}},
		{name: "missing and bad parameters in one message", edit: map[string]string{
			"SEEDFARMER_PARAMETER_TARGET_BUCKET_NAME": "", "SEEDFARMER_PARAMETER_RETAIN_ON_DELETE": "maybe",
		}, wantErr: `missing required environment: SEEDFARMER_PARAMETER_TARGET_BUCKET_NAME (parameter target_bucket_name); ` +
			`SEEDFARMER_PARAMETER_RETAIN_ON_DELETE "maybe": expected true or false`},
		{name: "one missing", edit: map[string]string{"SEEDFARMER_PARAMETER_TARGET_BUCKET_NAME": ""},
			wantErr: "missing required environment: SEEDFARMER_PARAMETER_TARGET_BUCKET_NAME (parameter target_bucket_name)"},
		{name: "bad boolean", edit: map[string]string{"SEEDFARMER_PARAMETER_RETAIN_ON_DELETE": "maybe"},
			wantErr: `SEEDFARMER_PARAMETER_RETAIN_ON_DELETE "maybe": expected true or false`},
		{name: "bad verify mode", edit: map[string]string{"SEEDFARMER_PARAMETER_VERIFY_MODE": "strict"},
			wantErr: `invalid module parameter verify_mode (SEEDFARMER_PARAMETER_VERIFY_MODE) "strict": expected checksum or size`},
		{name: "concurrency not a number", edit: map[string]string{"SEEDFARMER_PARAMETER_CONCURRENCY": "x"},
			wantErr: `invalid module parameter concurrency (SEEDFARMER_PARAMETER_CONCURRENCY) "x": expected an integer 1-1000`},
		{name: "concurrency above the bound", edit: map[string]string{"SEEDFARMER_PARAMETER_CONCURRENCY": "1001"},
			wantErr: `invalid module parameter concurrency (SEEDFARMER_PARAMETER_CONCURRENCY) "1001": expected an integer 1-1000`},
		{name: "concurrency not an integer", edit: map[string]string{"SEEDFARMER_PARAMETER_CONCURRENCY": "2.5"},
			wantErr: `invalid module parameter concurrency (SEEDFARMER_PARAMETER_CONCURRENCY) "2.5": expected an integer 1-1000`},
		{name: "invalid value", edit: map[string]string{"SEEDFARMER_PARAMETER_TARGET_BUCKET_NAME": "Bad_Bucket"},
			wantErr: `invalid module parameter target_bucket_name (SEEDFARMER_PARAMETER_TARGET_BUCKET_NAME) "Bad_Bucket": expected an S3 bucket name`},
		{name: "placeholder region from the seed", edit: map[string]string{"CDK_DEFAULT_REGION": "xx-xxxx-x"},
			wantErr: `stack region "xx-xxxx-x": expected a region name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := sampleManifest()
			for k, v := range tt.edit {
				if v == "" {
					delete(env, k)
				} else {
					env[k] = v
				}
			}
			c, err := loadConfig(getenv(env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

// The app as `cdk deploy --app "go run ."` runs it, from the seed's sample manifest: the stack
// is named <project>-<deployment>-<module> and its outputs carry the seed's keys and metadata.
func TestRunSampleManifest(t *testing.T) {
	out := t.TempDir()
	if err := Run(getenv(sampleManifest()), out); err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(filepath.Join(out, "mlops-dev-promote-test.template.json"))
	if err != nil {
		t.Fatalf("no template for stack mlops-dev-promote-test: %v", err)
	}
	var tmpl struct {
		Outputs   map[string]any
		Resources map[string]struct{ Type string }
	}
	if err := json.Unmarshal(body, &tmpl); err != nil {
		t.Fatal(err)
	}
	if got := keys(tmpl.Outputs); !reflect.DeepEqual(got, []string{"PipelineArn", "PipelineName", "metadata"}) {
		t.Errorf("outputs = %v, want PipelineArn, PipelineName, metadata (no event bus, no rule)", got)
	}
	pipelines := 0
	for _, r := range tmpl.Resources {
		if r.Type == "AWS::CodePipeline::Pipeline" {
			pipelines++
		}
	}
	if pipelines != 1 {
		t.Errorf("%d pipelines, want 1", pipelines)
	}
}

func TestRunMissingParameters(t *testing.T) {
	err := Run(getenv(map[string]string{}), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "missing required environment: SEEDFARMER_PROJECT_NAME, SEEDFARMER_DEPLOYMENT_NAME, SEEDFARMER_MODULE_NAME, SEEDFARMER_PARAMETER_SOURCE_MODEL_PACKAGE_GROUP_ARN") {
		t.Fatalf("error = %v", err)
	}
}

// With event_bus_name the stack also outputs the rule, and passes cdk-nag and cfn-lint.
func TestStackWithEventBus(t *testing.T) {
	env := sampleManifest()
	env["SEEDFARMER_PARAMETER_EVENT_BUS_NAME"] = "mlops-bus"
	env["SEEDFARMER_PARAMETER_RETAIN_ON_DELETE"] = "false"
	env["SEEDFARMER_PARAMETER_VERIFY_MODE"] = "size"
	env["SEEDFARMER_PARAMETER_CONCURRENCY"] = "32"
	c, err := loadConfig(getenv(env))
	if err != nil {
		t.Fatal(err)
	}
	stack := newStack(cdktest.NewApp(), c)
	if *stack.StackName() != "mlops-dev-promote-test" {
		t.Errorf("stack name = %s", *stack.StackName())
	}
	tmpl := cdktest.Check(t, stack)
	outputs := *tmpl.FindOutputs(jsii.String("*"), nil)
	names := make([]string, 0, len(outputs))
	for k := range outputs {
		names = append(names, k)
	}
	sort.Strings(names)
	if want := []string{"EventRuleArn", "EventRuleName", "PipelineArn", "PipelineName", "metadata"}; !reflect.DeepEqual(names, want) {
		t.Errorf("outputs = %v, want %v", names, want)
	}
	// verify_mode and concurrency reach the promoter as SMCD_VERIFY and SMCD_CONCURRENCY.
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("CodeBuild environment: %v", r)
			}
		}()
		tmpl.HasResourceProperties(jsii.String("AWS::CodeBuild::Project"), map[string]any{
			"Environment": assertions.Match_ObjectLike(&map[string]any{"EnvironmentVariables": assertions.Match_ArrayWith(&[]any{
				map[string]any{"Name": "SMCD_CONCURRENCY", "Type": "PLAINTEXT", "Value": "32"},
				map[string]any{"Name": "SMCD_VERIFY", "Type": "PLAINTEXT", "Value": "size"},
			})}),
		})
	}()
	meta, _ := json.Marshal(outputs["metadata"])
	for _, k := range []string{"PipelineArn", "PipelineName", "EventRuleArn", "EventRuleName"} {
		if !strings.Contains(string(meta), `\"`+k+`\":`) {
			t.Errorf("metadata %s lacks %s", meta, k)
		}
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
