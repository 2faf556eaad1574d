package promote_test

import (
	"fmt"
	"sort"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-cd/sagemaker-cd/promote"
)

// A promote pipeline in the target (tooling) account, started by the source account's model
// package events forwarded to the mlops-bus event bus.
func ExampleNewModelPackagePromotePipeline() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Promote"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111222333444"), Region: jsii.String("us-east-1")},
	})
	promote.NewModelPackagePromotePipeline(stack, jsii.String("Pipeline"), &promote.ModelPackagePromotePipelineProps{
		SourceModelPackageGroupArn: jsii.String("arn:aws:sagemaker:us-east-1:444333666777:model-package-group/my-model-pkg"),
		TargetBucketName:           jsii.String("mlops-unified-modelartifacts-111222333444-us-east-1"),
		EventBusName:               jsii.String("mlops-bus"),
		PermissionsBoundaryName:    jsii.String("my-permissions-boundary"),
	})
	outputs := *assertions.Template_FromStack(stack, nil).FindOutputs(jsii.String("*"), nil)
	names := make([]string, 0, len(outputs))
	for name := range outputs {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Println(names)
	// Output: [EventRuleArn EventRuleName PipelineArn PipelineName metadata]
}

// Validate reports bad props as an error, before anything is built.
func ExampleModelPackagePromotePipelineProps_Validate() {
	props := &promote.ModelPackagePromotePipelineProps{
		SourceModelPackageGroupArn: jsii.String("arn:aws:sagemaker:us-east-1:444333666777:model-package-group/my-model-pkg"),
		TargetBucketName:           jsii.String("Model_Artifacts"),
	}
	fmt.Println(props.Validate("us-east-1"))
	// Output: TargetBucketName "Model_Artifacts": expected an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit
}

// Two promote pipelines in one stack: the stack outputs have fixed logical IDs, so all but one
// pipeline set CreateOutputs to false; their attributes stay available on the construct.
func ExampleNewModelPackagePromotePipeline_twoPipelines() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Promote"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111222333444"), Region: jsii.String("us-east-1")},
	})
	for _, group := range []string{"churn", "fraud"} {
		p := promote.NewModelPackagePromotePipeline(stack, jsii.String(group), &promote.ModelPackagePromotePipelineProps{
			SourceModelPackageGroupArn: jsii.String("arn:aws:sagemaker:us-east-1:444333666777:model-package-group/" + group),
			TargetBucketName:           jsii.String("mlops-unified-modelartifacts-111222333444-us-east-1"),
			CreateOutputs:              jsii.Bool(false),
			VerifyMode:                 jsii.String("size"),
		})
		awscdk.NewCfnOutput(stack, jsii.String(group+"Pipeline"), &awscdk.CfnOutputProps{Value: p.PipelineName()})
	}
	outputs := *assertions.Template_FromStack(stack, nil).FindOutputs(jsii.String("*"), nil)
	names := make([]string, 0, len(outputs))
	for name := range outputs {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Println(names)
	// Output: [churnPipeline fraudPipeline]
}
