package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// The app synthesizes; both stacks pass cdk-nag's AwsSolutions pack and cfn-lint; the endpoint
// stack holds the model, both endpoint configs, the endpoint and its refresher wiring.
func TestAppSynthesizes(t *testing.T) {
	os.Setenv("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
	app := awscdk.NewApp(nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	env := &awscdk.Environment{Account: jsii.String("111222333444"), Region: jsii.String("eu-west-1")}
	models, ep := NewApp(app, env)

	for _, stack := range []awscdk.Stack{models.Stack, ep.Stack} {
		t.Run(*stack.StackName(), func(t *testing.T) {
			ann := assertions.Annotations_FromStack(stack)
			match := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
			for _, m := range append(*ann.FindError(jsii.String("*"), match), *ann.FindWarning(jsii.String("*"), match)...) {
				t.Errorf("cdk-nag finding at %s: %v", *m.Id, m.Entry.Data)
			}
			lint(t, assertions.Template_FromStack(stack, nil))
		})
	}

	tmpl := assertions.Template_FromStack(ep.Stack, nil)
	check := func(what string, f func()) {
		t.Helper()
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("%s: %v", what, r)
			}
		}()
		f()
	}
	check("model", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::SageMaker::Model"), &map[string]any{
			"PrimaryContainer": map[string]any{
				"Image": PyTorchImage("eu-west-1"),
				"ModelDataUrl": map[string]any{"Fn::Join": []any{"", []any{
					"s3://", map[string]any{"Fn::ImportValue": assertions.Match_AnyValue()}, "/" + ModelKey,
				}}},
			},
		})
	})
	check("configs", func() { tmpl.ResourceCountIs(jsii.String("AWS::SageMaker::EndpointConfig"), jsii.Number(2)) })
	check("endpoint", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::SageMaker::Endpoint"), &map[string]any{
			"EndpointName": "smcd-pytorch", "RetainAllVariantProperties": true,
		})
	})
	check("refresher", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), &map[string]any{
			"Runtime": "provided.al2023", "Architectures": []any{"arm64"}, "Handler": "bootstrap",
		})
	})
	check("rules", func() { tmpl.ResourceCountIs(jsii.String("AWS::Events::Rule"), jsii.Number(3)) })
	check("state table", func() { tmpl.ResourceCountIs(jsii.String("AWS::DynamoDB::Table"), jsii.Number(1)) })
	check("bucket sends events to EventBridge", func() {
		assertions.Template_FromStack(models.Stack, nil).HasResourceProperties(jsii.String("Custom::S3BucketNotifications"), &map[string]any{
			"NotificationConfiguration": map[string]any{"EventBridgeConfiguration": map[string]any{}},
		})
	})
}

// lint runs cfn-lint (installed by `make deps`) on tmpl. W3005, a DependsOn that a GetAtt
// already implies, is how the CDK renders every Lambda function with a role.
func lint(t *testing.T, tmpl assertions.Template) {
	t.Helper()
	if _, err := exec.LookPath("cfn-lint"); err != nil {
		t.Fatalf("cfn-lint not found on PATH: install it with `make deps` or `python3 -m pip install cfn-lint`")
	}
	body, err := json.Marshal(tmpl.ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "template.json")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cfn-lint", "--format", "parseable", "--ignore-checks", "W3005", "--", path).CombinedOutput(); err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, strings.TrimSpace(string(out)))
	}
}
