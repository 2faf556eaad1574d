package endpoint_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-cd/sagemaker-cd/endpoint"
)

// An endpoint serving one PyTorch model from an owned bucket. Uploading a new
// s3://<bucket>/models/model.tar.gz refreshes the endpoint; changing the props below in CDK
// creates new endpoint configs and CloudFormation updates the endpoint.
func ExampleNewSagemakerEndpoint() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Inference"), nil)
	bucket := awss3.NewBucket(stack, jsii.String("Models"), &awss3.BucketProps{EnforceSSL: jsii.Bool(true)})
	ep := endpoint.NewSagemakerEndpoint(stack, jsii.String("Endpoint"), &endpoint.SagemakerEndpointProps{
		Models: []endpoint.ModelProps{{
			CustomID: jsii.String("pytorch"),
			Props: &awssagemaker.CfnModelProps{
				ExecutionRoleArn: jsii.String("arn:aws:iam::111222333444:role/sagemaker-execution"),
				PrimaryContainer: &awssagemaker.CfnModel_ContainerDefinitionProperty{
					Image:        jsii.String("763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310"),
					ModelDataUrl: jsii.String("s3://" + *bucket.BucketName() + "/models/model.tar.gz"),
				},
			},
		}},
		EndpointConfigProps: &awssagemaker.CfnEndpointConfigProps{
			ProductionVariants: []*awssagemaker.CfnEndpointConfig_ProductionVariantProperty{{
				VariantName:          jsii.String("AllTraffic"),
				ModelName:            jsii.String("pytorch"), // the model's CustomID
				InstanceType:         jsii.String("ml.m5.large"),
				InitialInstanceCount: jsii.Number(1),
				InitialVariantWeight: jsii.Number(1),
			}},
		},
		EndpointProps: &awssagemaker.CfnEndpointProps{EndpointName: jsii.String("pytorch-endpoint")},
		ModelsBucket:  bucket,
	})
	awscdk.NewCfnOutput(stack, jsii.String("EndpointName"), &awscdk.CfnOutputProps{Value: ep.EndpointName()})
	app.Synth(nil)
	fmt.Println("endpoint:", *ep.EndpointName())
	fmt.Println("config A:", *ep.ConfigAName())
	fmt.Println("config B:", *ep.ConfigBName())
	// Output:
	// endpoint: pytorch-endpoint
	// config A: pytorch-endpoint-a-2b3854c7
	// config B: pytorch-endpoint-b-2b3854c7
}
