package promotion_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/sagemaker-cd/sagemaker-cd/promotion"
)

func TestClassify(t *testing.T) {
	api := func(code, msg string) error {
		return fmt.Errorf("create model package group g: %w", &smithy.GenericAPIError{Code: code, Message: msg})
	}
	tests := []struct {
		err  error
		want promotion.ErrorKind
	}{
		{nil, promotion.KindNone},
		{errors.New("dial tcp: refused"), promotion.KindOther},
		{api("NoSuchKey", ""), promotion.KindNotFound},
		{api("ValidationException", "Model Package Group g does not exist."), promotion.KindNotFound},
		{api("ValidationException", "Could not find model package"), promotion.KindNotFound},
		{api("ValidationException", "Model Package Group already exists: arn:aws:sagemaker:us-east-1:1:model-package-group/g"), promotion.KindAlreadyExists},
		{api("ResourceInUse", "Cannot create a duplicate model package group"), promotion.KindAlreadyExists},
		{api("ValidationException", "1 validation error detected"), promotion.KindOther},
		{api("AccessDeniedException", "no"), promotion.KindAccessDenied},
		{api("AccessDenied", "no"), promotion.KindAccessDenied},
		{api("ServerSideEncryptionConfigurationNotFoundError", ""), promotion.KindNoEncryptionConfig},
		{api("ThrottlingException", "slow down"), promotion.KindOther},
	}
	for _, tc := range tests {
		if got := promotion.Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
