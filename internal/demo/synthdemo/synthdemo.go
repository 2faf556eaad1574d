// Package synthdemo is the first part of `make demo`: it synthesizes both constructs the way a
// user's CDK app would (the refresher and smcd compiled from this module's source, no Docker),
// checks the templates with cdk-nag and cfn-lint, and prints what they would deploy.
package synthdemo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/sagemaker-cd/sagemaker-cd/endpoint"
	"github.com/sagemaker-cd/sagemaker-cd/internal/cdktest"
	"github.com/sagemaker-cd/sagemaker-cd/promote"
)

// Run synthesizes an endpoint stack and a promote pipeline stack and reports on them. It fails
// when a template has an unsuppressed cdk-nag finding or a cfn-lint error.
func Run(ctx context.Context, w io.Writer) error {
	start := time.Now()
	dir, err := os.MkdirTemp("", "smcd-synth-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintln(w, "Synthesize the two constructs as a CDK app would: the refresher Lambda and the smcd binary for")
	fmt.Fprintln(w, "CodeBuild are compiled from this module's source (the first run takes a minute, later runs reuse them).")
	app := cdktest.NewApp()
	env := &awscdk.Environment{Account: jsii.String("111222333444"), Region: jsii.String("eu-west-1")}
	endpointStack := awscdk.NewStack(app, jsii.String("DemoEndpoint"), &awscdk.StackProps{Env: env})
	ep := newEndpoint(endpointStack)
	promoteStack := awscdk.NewStack(app, jsii.String("DemoPromote"), &awscdk.StackProps{Env: env})
	promote.NewModelPackagePromotePipeline(promoteStack, jsii.String("Promote"), &promote.ModelPackagePromotePipelineProps{
		SourceModelPackageGroupArn: jsii.String("arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn"),
		TargetBucketName:           jsii.String("mlops-unified-modelartifacts-111222333444-eu-west-1"),
		EventBusName:               jsii.String("mlops-bus"),
		PermissionsBoundaryName:    jsii.String("my-permissions-boundary"),
	})
	for _, s := range []struct {
		stack   awscdk.Stack
		summary func(assertions.Template) []string
	}{
		{endpointStack, func(t assertions.Template) []string { return endpointFacts(t, ep) }},
		{promoteStack, promoteFacts},
	} {
		if err := ctx.Err(); err != nil {
			return err
		}
		tmpl := assertions.Template_FromStack(s.stack, nil)
		findings := cdktest.NagFindings(s.stack)
		if len(findings) > 0 {
			return fmt.Errorf("stack %s: %d cdk-nag finding(s):\n  %s", *s.stack.StackName(), len(findings), strings.Join(findings, "\n  "))
		}
		if err := cdktest.LintTemplate(tmpl, dir); err != nil {
			return fmt.Errorf("stack %s: %w", *s.stack.StackName(), err)
		}
		fmt.Fprintf(w, "\n   Stack %s: %s\n", *s.stack.StackName(), resourceSummary(tmpl))
		fmt.Fprintln(w, "   cdk-nag AwsSolutions: 0 unsuppressed findings; cfn-lint: clean.")
		for _, f := range s.summary(tmpl) {
			fmt.Fprintln(w, "   -", f)
		}
	}
	fmt.Fprintf(w, "\n   Synthesized and checked in %s. Nothing is deployed: the next parts run the same code against the emulator.\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// newEndpoint is the endpoint of examples/endpoint-app, reduced to what the demo shows.
func newEndpoint(stack awscdk.Stack) endpoint.SagemakerEndpoint {
	bucket := awss3.NewBucket(stack, jsii.String("Models"), &awss3.BucketProps{
		Encryption: awss3.BucketEncryption_S3_MANAGED, EnforceSSL: jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(), Versioned: jsii.Bool(true),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(bucket, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-S1"), Reason: jsii.String("Demo stack: access logging is shown in examples/endpoint-app"),
	}}, nil)
	role := awsiam.NewRole(stack, jsii.String("Execution"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("sagemaker.amazonaws.com"), nil)})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("s3:GetObject"), Resources: jsii.Strings(*bucket.ArnForObjects(jsii.String("models/model.tar.gz"))),
	}))
	return endpoint.NewSagemakerEndpoint(stack, jsii.String("Endpoint"), &endpoint.SagemakerEndpointProps{
		Models: []endpoint.ModelProps{{CustomID: jsii.String("churn"), Props: &awssagemaker.CfnModelProps{
			ExecutionRoleArn: role.RoleArn(),
			PrimaryContainer: &awssagemaker.CfnModel_ContainerDefinitionProperty{
				Image:        jsii.String("763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310"),
				ModelDataUrl: jsii.String("s3://" + *bucket.BucketName() + "/models/model.tar.gz"),
			},
		}}},
		EndpointConfigProps: &awssagemaker.CfnEndpointConfigProps{ProductionVariants: []*awssagemaker.CfnEndpointConfig_ProductionVariantProperty{{
			VariantName: jsii.String("AllTraffic"), ModelName: jsii.String("churn"), InstanceType: jsii.String("ml.m5.large"),
			InitialInstanceCount: jsii.Number(1), InitialVariantWeight: jsii.Number(1),
		}}},
		EndpointProps: &awssagemaker.CfnEndpointProps{EndpointName: jsii.String("churn")},
		ModelsBucket:  bucket,
	})
}

func resourceSummary(t assertions.Template) string {
	counts := map[string]int{}
	total := 0
	for _, r := range resources(t) {
		typ, _ := r["Type"].(string)
		counts[strings.TrimPrefix(typ, "AWS::")]++
		total++
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		if strings.HasPrefix(k, "IAM::") || strings.HasPrefix(k, "SageMaker::") || strings.HasPrefix(k, "CodePipeline::") ||
			strings.HasPrefix(k, "Lambda::Function") || strings.HasPrefix(k, "Events::Rule") || strings.HasPrefix(k, "SQS::Queue") ||
			strings.HasPrefix(k, "DynamoDB::") || strings.HasPrefix(k, "CodeBuild::") || strings.HasPrefix(k, "CloudWatch::") {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	return fmt.Sprintf("%d resources, among them %s", total, strings.Join(parts, ", "))
}

func endpointFacts(t assertions.Template, ep endpoint.SagemakerEndpoint) []string {
	var facts []string
	for _, r := range resources(t) {
		props, _ := r["Properties"].(map[string]any)
		switch r["Type"] {
		case "AWS::SageMaker::EndpointConfig":
			facts = append(facts, fmt.Sprintf("endpoint config %v (content-derived name: changing the model or config props makes new ones)", props["EndpointConfigName"]))
		case "AWS::Lambda::Function":
			if rt, _ := props["Runtime"].(string); rt == "provided.al2023" {
				facts = append(facts, fmt.Sprintf("refresher Lambda: %v on %v, %v MB, built from cmd/refresher", rt, props["Architectures"], props["MemorySize"]))
			}
		case "AWS::SageMaker::Endpoint":
			facts = append(facts, fmt.Sprintf("endpoint %v, RetainAllVariantProperties=%v", props["EndpointName"], props["RetainAllVariantProperties"]))
		}
	}
	slices.Sort(facts)
	return facts
}

func promoteFacts(t assertions.Template) []string {
	var facts []string
	roles, bounded := 0, 0
	for _, r := range resources(t) {
		props, _ := r["Properties"].(map[string]any)
		switch r["Type"] {
		case "AWS::CodePipeline::Pipeline":
			facts = append(facts, fmt.Sprintf("CodePipeline %v, execution mode %v", props["PipelineType"], props["ExecutionMode"]))
		case "AWS::Events::Rule":
			if p, ok := props["EventPattern"].(map[string]any); ok {
				detail, _ := json.Marshal(p["detail"])
				facts = append(facts, fmt.Sprintf("EventBridge rule on bus %v: %v with detail %s", props["EventBusName"], p["detail-type"], detail))
			}
		case "AWS::IAM::Role":
			roles++
			if props["PermissionsBoundary"] != nil {
				bounded++
			}
		}
	}
	facts = append(facts, fmt.Sprintf("permissions boundary on %d of %d roles", bounded, roles))
	return facts
}

func resources(t assertions.Template) map[string]map[string]any {
	out := map[string]map[string]any{}
	all, _ := (*t.ToJSON())["Resources"].(map[string]any)
	for id, r := range all {
		if m, ok := r.(map[string]any); ok {
			out[id] = m
		}
	}
	return out
}
