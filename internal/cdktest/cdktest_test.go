package cdktest

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

// A bare bucket breaks several AwsSolutions rules: the checker must see them.
func TestNagSeesFindings(t *testing.T) {
	app := NewApp()
	stack := awscdk.NewStack(app, jsii.String("Bare"), &awscdk.StackProps{Env: Env()})
	awss3.NewBucket(stack, jsii.String("B"), nil)
	ann := assertions.Annotations_FromStack(stack)
	errs := *ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
	if len(errs) == 0 {
		t.Fatal("cdk-nag reported nothing for a bare bucket; the pack is not wired")
	}
}

// cfn-lint must reject a template with an unknown property.
func TestLintSeesErrors(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Bad"), &awscdk.StackProps{Env: Env()})
	awscdk.NewCfnResource(stack, jsii.String("B"), &awscdk.CfnResourceProps{
		Type:       jsii.String("AWS::S3::Bucket"),
		Properties: &map[string]any{"NoSuchProperty": "x"},
	})
	err := LintTemplate(assertions.Template_FromStack(stack, nil), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "NoSuchProperty") {
		t.Fatalf("LintTemplate on an unknown property: %v, want a finding naming it", err)
	}
}
