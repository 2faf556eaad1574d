// Command package-cleaner is the Lambda behind the promote pipeline's retain_on_delete=false
// custom resource: on stack deletion it removes the model packages that smcd promote registered
// in the target group from the configured source group, and nothing else. See package cleaner.
package main

import (
	"context"
	"log"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagemaker-cd/sagemaker-cd/promotion/cleaner"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatalf("package-cleaner: load AWS configuration: %v", err)
	}
	h := &cleaner.Handler{
		SageMaker:      sagemaker.NewFromConfig(cfg),
		CloudFormation: cloudformation.NewFromConfig(cfg),
		Logf:           log.Printf,
	}
	lambda.Start(cfn.LambdaWrap(h.Handle))
}
