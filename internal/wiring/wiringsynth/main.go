// Command wiringsynth synthesizes the endpoint construct (endpoint.NewSagemakerEndpoint) for the
// emulator tests and the demo, and prints the CloudFormation template. internal/wiring runs it
// (through `go run`, cached by content) and provisions the template's event wiring in the
// emulator, so the runtime is tested on the wiring the construct deploys, without the tests
// linking the CDK. The endpoint is named wiring.PlaceholderName and watches
// wiring.PlaceholderPrefix in the imported bucket wiring.PlaceholderBucket; the provisioner
// substitutes the test's names.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-cd/sagemaker-cd/endpoint"
	"github.com/sagemaker-cd/sagemaker-cd/internal/wiring"
)

func main() {
	quiet := flag.Duration("quiet", 0, "the endpoint's QuietPeriod (whole seconds)")
	flag.Parse()
	if err := run(*quiet); err != nil {
		fmt.Fprintln(os.Stderr, "wiringsynth:", err)
		os.Exit(1)
	}
}

func run(quiet time.Duration) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synthesize: %v", r)
		}
	}()
	os.Setenv("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
	os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Wiring"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String(wiring.AccountID), Region: jsii.String(wiring.Region)},
	})
	name := wiring.PlaceholderName
	bucket := awss3.Bucket_FromBucketName(stack, jsii.String("Models"), jsii.String(wiring.PlaceholderBucket))
	props := &endpoint.SagemakerEndpointProps{
		// A fixed model name (the construct derives one from the content by default) so tests
		// can create configs by hand that run the endpoint's model.
		Models: []endpoint.ModelProps{{CustomID: jsii.String(name), Props: &awssagemaker.CfnModelProps{
			ModelName:        jsii.String(name),
			ExecutionRoleArn: jsii.String("arn:aws:iam::" + wiring.AccountID + ":role/" + name + "-sagemaker"),
			PrimaryContainer: &awssagemaker.CfnModel_ContainerDefinitionProperty{
				Image:        jsii.String("763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1-cpu-py310"),
				ModelDataUrl: jsii.String("s3://" + wiring.PlaceholderBucket + "/" + wiring.PlaceholderPrefix + "model.tar.gz"),
			},
		}}},
		EndpointConfigProps: &awssagemaker.CfnEndpointConfigProps{ProductionVariants: []*awssagemaker.CfnEndpointConfig_ProductionVariantProperty{{
			VariantName: jsii.String("AllTraffic"), ModelName: jsii.String(name), InstanceType: jsii.String("ml.m5.large"),
			InitialInstanceCount: jsii.Number(1), InitialVariantWeight: jsii.Number(1),
		}}},
		EndpointProps: &awssagemaker.CfnEndpointProps{EndpointName: jsii.String(name)},
		ModelsBucket:  bucket,
		BucketEvents: &endpoint.BucketEvents{
			EventTypes: []awss3.EventType{awss3.EventType_OBJECT_CREATED, awss3.EventType_OBJECT_REMOVED},
			Filters:    []*awss3.NotificationKeyFilter{{Prefix: jsii.String(wiring.PlaceholderPrefix)}},
		},
	}
	if quiet > 0 {
		props.QuietPeriod = awscdk.Duration_Seconds(jsii.Number(quiet.Seconds()))
	}
	endpoint.NewSagemakerEndpoint(stack, jsii.String("Endpoint"), props)
	tmpl := app.Synth(nil).GetStackArtifact(jsii.String("Wiring")).Template()
	out, err := json.Marshal(tmpl)
	if err != nil {
		return fmt.Errorf("encode template: %w", err)
	}
	_, err = os.Stdout.Write(out)
	return err
}
