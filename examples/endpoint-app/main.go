// Command endpoint-app is a CDK app that deploys a SageMaker endpoint serving one PyTorch model
// and keeps it on the newest model artifact: upload a new s3://<bucket>/models/model.tar.gz and
// the endpoint is refreshed (see README.md).
//
// Two stacks: SmcdModels holds the models bucket (deploy it first and upload the first model,
// since SageMaker needs the artifact to create the endpoint), SmcdEndpoint the endpoint and its
// refresher.
package main

import (
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/sagemaker-cd/sagemaker-cd/endpoint"
)

// ModelKey is where the model artifact lives in the models bucket.
const ModelKey = "models/model.tar.gz"

// PyTorchImage is the AWS Deep Learning Container the model runs in, for a region.
func PyTorchImage(region string) string {
	return "763104351884.dkr.ecr." + region + ".amazonaws.com/pytorch-inference:2.1.0-cpu-py310"
}

// ModelsStack holds the models bucket (and the bucket its access logs go to).
type ModelsStack struct {
	awscdk.Stack
	Bucket awss3.Bucket
}

// NewModelsStack creates the models bucket: encrypted, SSL only, private, access-logged.
func NewModelsStack(scope constructs.Construct, id string, props *awscdk.StackProps) *ModelsStack {
	stack := awscdk.NewStack(scope, &id, props)
	logs := awss3.NewBucket(stack, jsii.String("AccessLogs"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
	})
	cdknag.NagSuppressions_AddResourceSuppressions(logs, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-S1"),
		Reason: jsii.String("This bucket receives the models bucket's server access logs; logging it into itself would loop"),
	}}, nil)
	bucket := awss3.NewBucket(stack, jsii.String("Models"), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:             jsii.Bool(true),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		Versioned:              jsii.Bool(true),
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("models/"),
	})
	awscdk.NewCfnOutput(stack, jsii.String("ModelsBucketName"), &awscdk.CfnOutputProps{Value: bucket.BucketName()})
	return &ModelsStack{Stack: stack, Bucket: bucket}
}

// EndpointStack holds the SageMaker execution role and the self-refreshing endpoint.
type EndpointStack struct {
	awscdk.Stack
	Endpoint endpoint.SagemakerEndpoint
}

// NewEndpointStack creates an endpoint serving s3://<bucket>/ModelKey with the PyTorch image.
func NewEndpointStack(scope constructs.Construct, id string, bucket awss3.IBucket, props *awscdk.StackProps) *EndpointStack {
	stack := awscdk.NewStack(scope, &id, props)
	role := executionRole(stack, bucket)
	ep := endpoint.NewSagemakerEndpoint(stack, jsii.String("Endpoint"), &endpoint.SagemakerEndpointProps{
		Models: []endpoint.ModelProps{{
			CustomID: jsii.String("pytorch"),
			Props: &awssagemaker.CfnModelProps{
				ExecutionRoleArn: role.RoleArn(),
				PrimaryContainer: &awssagemaker.CfnModel_ContainerDefinitionProperty{
					Image:        jsii.String(PyTorchImage(*stack.Region())),
					ModelDataUrl: jsii.String("s3://" + *bucket.BucketName() + "/" + ModelKey),
				},
			},
		}},
		EndpointConfigProps: &awssagemaker.CfnEndpointConfigProps{
			ProductionVariants: []*awssagemaker.CfnEndpointConfig_ProductionVariantProperty{{
				VariantName:          jsii.String("AllTraffic"),
				ModelName:            jsii.String("pytorch"),
				InstanceType:         jsii.String("ml.m5.large"),
				InitialInstanceCount: jsii.Number(1),
				InitialVariantWeight: jsii.Number(1),
			}},
		},
		EndpointProps: &awssagemaker.CfnEndpointProps{EndpointName: jsii.String("smcd-pytorch")},
		ModelsBucket:  bucket,
	})
	// The role must exist (with its policy) before SageMaker creates the model.
	for _, m := range ep.Models() {
		m.Node().AddDependency(role)
	}
	awscdk.NewCfnOutput(stack, jsii.String("EndpointName"), &awscdk.CfnOutputProps{Value: ep.EndpointName()})
	awscdk.NewCfnOutput(stack, jsii.String("RefresherFunction"), &awscdk.CfnOutputProps{Value: ep.Function().FunctionName()})
	return &EndpointStack{Stack: stack, Endpoint: ep}
}

// executionRole is the role SageMaker runs the model with: read the model artifacts, pull the
// image, write the endpoint's logs and metrics.
func executionRole(stack awscdk.Stack, bucket awss3.IBucket) awsiam.Role {
	role := awsiam.NewRole(stack, jsii.String("SageMakerExecution"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("sagemaker.amazonaws.com"), nil),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:GetObject"),
		Resources: jsii.Strings(*bucket.ArnForObjects(jsii.String(ModelKey))),
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"),
		Resources: jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("ecr"), Account: jsii.String("763104351884"), Resource: jsii.String("repository"), ResourceName: jsii.String("pytorch-inference"),
		})),
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ecr:GetAuthorizationToken"),
		Resources: jsii.Strings("*"),
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"),
		Resources: jsii.Strings(*stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("logs"), Resource: jsii.String("log-group"), ResourceName: jsii.String("/aws/sagemaker/Endpoints/*"),
			ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})),
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:    jsii.Strings("cloudwatch:PutMetricData"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"StringEquals": map[string]any{"cloudwatch:namespace": "/aws/sagemaker/Endpoints"}},
	}))
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{
		{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String("ecr:GetAuthorizationToken and cloudwatch:PutMetricData support no resource-level permissions (PutMetricData is limited to SageMaker's namespace by condition)"),
			AppliesTo: &[]any{"Resource::*"},
		},
		{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String("SageMaker creates one log stream per instance under the endpoint's log group, /aws/sagemaker/Endpoints/<name>; the names are not known in advance"),
			AppliesTo: &[]any{&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:<AWS::Partition>:logs:[^:]+:[^:]+:log-group:\/aws\/sagemaker\/Endpoints\/\*$/g`)}},
		},
	}, jsii.Bool(true))
	return role
}

// Env is where the app deploys: the CLI's account and region (nil outside the CDK CLI).
func Env() *awscdk.Environment {
	if os.Getenv("CDK_DEFAULT_ACCOUNT") == "" || os.Getenv("CDK_DEFAULT_REGION") == "" {
		return nil
	}
	return &awscdk.Environment{
		Account: jsii.String(os.Getenv("CDK_DEFAULT_ACCOUNT")),
		Region:  jsii.String(os.Getenv("CDK_DEFAULT_REGION")),
	}
}

// NewApp builds both stacks into app.
func NewApp(app awscdk.App, env *awscdk.Environment) (*ModelsStack, *EndpointStack) {
	// Server access logs are allowed by a bucket policy, not the legacy log-delivery ACL.
	app.Node().SetContext(jsii.String("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"), true)
	models := NewModelsStack(app, "SmcdModels", &awscdk.StackProps{Env: env})
	ep := NewEndpointStack(app, "SmcdEndpoint", models.Bucket, &awscdk.StackProps{Env: env})
	return models, ep
}

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	NewApp(app, Env())
	app.Synth(nil)
}
