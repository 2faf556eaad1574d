package awserr_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/sagemaker-cd/sagemaker-cd/promotion/awserr"
)

func TestClassify(t *testing.T) {
	api := func(code, msg string) error {
		return fmt.Errorf("create model package group g: %w", &smithy.GenericAPIError{Code: code, Message: msg})
	}
	tests := []struct {
		err  error
		want awserr.Kind
	}{
		{nil, awserr.None},
		{errors.New("dial tcp: refused"), awserr.Other},
		{api("NoSuchKey", ""), awserr.NotFound},
		{api("NoSuchUpload", ""), awserr.NotFound},
		{api("ValidationException", "Model Package Group g does not exist."), awserr.NotFound},
		{api("ValidationException", "Could not find model package"), awserr.NotFound},
		{api("ValidationException", "Model Package Group already exists: arn:aws:sagemaker:us-east-1:1:model-package-group/g"), awserr.AlreadyExists},
		{api("ResourceInUse", "Cannot create a duplicate model package group"), awserr.AlreadyExists},
		{api("ValidationException", "1 validation error detected"), awserr.Other},
		{api("AccessDeniedException", "no"), awserr.AccessDenied},
		{api("AccessDenied", "no"), awserr.AccessDenied},
		{api("ServerSideEncryptionConfigurationNotFoundError", ""), awserr.NoEncryptionConfig},
		{api("PreconditionFailed", "At least one of the pre-conditions you specified did not hold"), awserr.PreconditionFailed},
		{api("ThrottlingException", "slow down"), awserr.Other},
	}
	for _, tc := range tests {
		if got := awserr.Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
