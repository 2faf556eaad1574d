package refresher

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
)

// SageMakerAPI is the part of the SageMaker client the refresher uses, with the SDK's exact
// signatures.
type SageMakerAPI interface {
	DescribeEndpoint(ctx context.Context, params *sagemaker.DescribeEndpointInput, optFns ...func(*sagemaker.Options)) (*sagemaker.DescribeEndpointOutput, error)
	UpdateEndpoint(ctx context.Context, params *sagemaker.UpdateEndpointInput, optFns ...func(*sagemaker.Options)) (*sagemaker.UpdateEndpointOutput, error)
}

// DynamoDBAPI is the part of the DynamoDB client the state store uses.
type DynamoDBAPI interface {
	GetItem(ctx context.Context, params *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, params *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

var (
	_ SageMakerAPI = (*sagemaker.Client)(nil)
	_ DynamoDBAPI  = (*dynamodb.Client)(nil)
)
