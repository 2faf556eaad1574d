package sim

import (
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The fakes return errors the way the SDK does: an operation error around an HTTP response
// error around the service's API error, so callers classify them exactly as they would real
// ones (errors.As to smithy.APIError or to the SDK's modeled exception types).

func sageMakerError(op string, api error) error {
	return operationError(sagemaker.ServiceID, op, api)
}

func dynamoDBError(op string, api error) error {
	return operationError(dynamodb.ServiceID, op, api)
}

func operationError(service, op string, api error) error {
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: &awshttp.ResponseError{
		RequestID:     "00000000-0000-4000-8000-000000000000",
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusBadRequest}}, Err: api},
	}}
}

// validation is SageMaker's (and DynamoDB's) ValidationException.
func validation(msg string) error {
	return &smithy.GenericAPIError{Code: "ValidationException", Message: msg, Fault: smithy.FaultClient}
}

// throttling is SageMaker's ThrottlingException.
func throttling() error {
	return &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded", Fault: smithy.FaultClient}
}

// refusal is a permanent UpdateEndpoint refusal, typed as the SDK decodes it:
// ResourceLimitExceeded is modeled in the SageMaker API, the others are not.
func refusal(code, config string) error {
	msg := refusalMessages[code]
	switch code {
	case RefuseResourceLimit:
		return &smtypes.ResourceLimitExceeded{Message: aws.String(msg)}
	case RefuseAccessDenied:
		return &smithy.GenericAPIError{Code: code, Message: fmt.Sprintf(msg, config), Fault: smithy.FaultClient}
	}
	return &smithy.GenericAPIError{Code: code, Message: msg, Fault: smithy.FaultClient}
}
