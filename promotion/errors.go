package promotion

import (
	"errors"
	"strings"

	"github.com/aws/smithy-go"
)

// ErrorKind is what an AWS error means to a promotion: the one place that reads AWS error codes
// (errors.As on smithy.APIError). The promoter, the package cleaner and smcd's exit codes use it.
type ErrorKind string

// Kinds of AWS errors.
const (
	// KindNone: no error.
	KindNone ErrorKind = ""
	// KindNotFound: the resource does not exist (S3 NoSuchKey/NoSuchBucket/NotFound, SageMaker
	// ResourceNotFound or a ValidationException "does not exist" / "Could not find").
	KindNotFound ErrorKind = "not-found"
	// KindAccessDenied: IAM, a resource policy or a key policy refused the call, or the
	// credentials are invalid or expired.
	KindAccessDenied ErrorKind = "access-denied"
	// KindAlreadyExists: a create found the resource there (SageMaker ResourceInUse or a
	// ValidationException "already exists"), e.g. when the SDK retried a call whose answer was
	// lost.
	KindAlreadyExists ErrorKind = "already-exists"
	// KindNoEncryptionConfig: the bucket has no default encryption configuration.
	KindNoEncryptionConfig ErrorKind = "no-encryption-configuration"
	// KindOther: any other error.
	KindOther ErrorKind = "other"
)

// Classify returns the kind of err.
func Classify(err error) ErrorKind {
	if err == nil {
		return KindNone
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		return KindOther
	}
	msg := api.ErrorMessage()
	switch api.ErrorCode() {
	case "ResourceNotFound", "ResourceNotFoundException", "NotFound", "NoSuchKey", "NoSuchBucket", "NoSuchUpload":
		return KindNotFound
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "InvalidClientTokenId", "ExpiredToken", "KMS.AccessDeniedException":
		return KindAccessDenied
	case "ResourceInUse", "ResourceInUseException", "ConflictException":
		return KindAlreadyExists
	case "ServerSideEncryptionConfigurationNotFoundError":
		return KindNoEncryptionConfig
	case "ValidationException":
		switch {
		case strings.Contains(msg, "already exists"):
			return KindAlreadyExists
		case strings.Contains(msg, "does not exist"), strings.Contains(msg, "not found"), strings.Contains(msg, "Could not find"):
			return KindNotFound
		}
	}
	return KindOther
}

// NotFoundError reports a missing source group, package, bucket or object.
type NotFoundError struct {
	Resource string
	Err      error
}

func (e *NotFoundError) Error() string { return e.Resource + " not found: " + e.Err.Error() }
func (e *NotFoundError) Unwrap() error { return e.Err }

// WrapNotFound wraps err in a NotFoundError for resource when AWS says it does not exist
// (Classify), and returns err unchanged otherwise.
func WrapNotFound(err error, resource string) error {
	if Classify(err) == KindNotFound {
		return &NotFoundError{Resource: resource, Err: err}
	}
	return err
}
