package promotion

import "github.com/sagemaker-cd/sagemaker-cd/promotion/awserr"

// NotFoundError reports a missing source group, package, bucket or object.
type NotFoundError struct {
	Resource string
	Err      error
}

func (e *NotFoundError) Error() string { return e.Resource + " not found: " + e.Err.Error() }
func (e *NotFoundError) Unwrap() error { return e.Err }

// WrapNotFound wraps err in a NotFoundError for resource when AWS says it does not exist
// (awserr.NotFound), and returns err unchanged otherwise.
func WrapNotFound(err error, resource string) error {
	if awserr.Classify(err) == awserr.NotFound {
		return &NotFoundError{Resource: resource, Err: err}
	}
	return err
}
