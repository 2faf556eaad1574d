// Package awserr says what an AWS error means to a promotion. It is the one place on the
// promotion side that reads AWS error codes (errors.As on smithy.APIError): the copy engine, the
// promoter, the package cleaner and smcd's exit codes all ask Classify. It imports nothing of
// this module, so every promotion package can use it.
package awserr

import (
	"errors"
	"strings"

	"github.com/aws/smithy-go"
)

// Kind is what an AWS error means to a promotion.
type Kind string

// Kinds of AWS errors.
const (
	// None: no error.
	None Kind = ""
	// NotFound: the resource does not exist (S3 NoSuchKey/NoSuchBucket/NoSuchUpload/NotFound,
	// SageMaker ResourceNotFound or a ValidationException "does not exist" / "Could not find").
	NotFound Kind = "not-found"
	// AccessDenied: IAM, a resource policy or a key policy refused the call, or the credentials
	// are invalid or expired.
	AccessDenied Kind = "access-denied"
	// AlreadyExists: a create found the resource there (SageMaker ResourceInUse or a
	// ValidationException "already exists"), e.g. when the SDK retried a call whose answer was
	// lost.
	AlreadyExists Kind = "already-exists"
	// NoEncryptionConfig: the bucket has no default encryption configuration.
	NoEncryptionConfig Kind = "no-encryption-configuration"
	// PreconditionFailed: S3 refused a conditional request (x-amz-copy-source-if-match, If-Match):
	// the object is no longer the one the request was pinned to.
	PreconditionFailed Kind = "precondition-failed"
	// Other: any other error.
	Other Kind = "other"
)

// Classify returns the kind of err.
func Classify(err error) Kind {
	if err == nil {
		return None
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		return Other
	}
	msg := api.ErrorMessage()
	switch api.ErrorCode() {
	case "ResourceNotFound", "ResourceNotFoundException", "NotFound", "NoSuchKey", "NoSuchBucket", "NoSuchUpload":
		return NotFound
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "InvalidClientTokenId", "ExpiredToken", "KMS.AccessDeniedException":
		return AccessDenied
	case "ResourceInUse", "ResourceInUseException", "ConflictException":
		return AlreadyExists
	case "ServerSideEncryptionConfigurationNotFoundError":
		return NoEncryptionConfig
	case "PreconditionFailed":
		return PreconditionFailed
	case "ValidationException":
		switch {
		case strings.Contains(msg, "already exists"):
			return AlreadyExists
		case strings.Contains(msg, "does not exist"), strings.Contains(msg, "not found"), strings.Contains(msg, "Could not find"):
			return NotFound
		}
	}
	return Other
}
