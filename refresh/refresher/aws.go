package refresher

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/smithy-go"
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

// IsEndpointNotFound reports SageMaker's answer for a missing endpoint (DescribeEndpoint,
// UpdateEndpoint): a ValidationException "Could not find endpoint ...".
func IsEndpointNotFound(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "ValidationException" &&
		strings.Contains(api.ErrorMessage(), "Could not find endpoint")
}

// isBusy reports an UpdateEndpoint refusal that means "try later": the endpoint turned busy
// between DescribeEndpoint and UpdateEndpoint, or the call was throttled.
func isBusy(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "ValidationException":
		return strings.Contains(api.ErrorMessage(), "Cannot update in-progress endpoint")
	case "ThrottlingException", "Throttling", "TooManyRequestsException", "ProvisionedThroughputExceededException":
		return true
	}
	return false
}
