package cdktest

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

// A bare bucket breaks several AwsSolutions rules: the checker must see them.
func TestNagSeesFindings(t *testing.T) {
	app := NewApp()
	stack := awscdk.NewStack(app, jsii.String("Bare"), &awscdk.StackProps{Env: Env})
	awss3.NewBucket(stack, jsii.String("B"), nil)
	ann := assertions.Annotations_FromStack(stack)
	errs := *ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
	if len(errs) == 0 {
		t.Fatal("cdk-nag reported nothing for a bare bucket; the pack is not wired")
	}
}
