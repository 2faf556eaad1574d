package refresher

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
)

// ErrorClass is what an AWS error means to the refresher. ClassifyError is the one place that
// decides it; the reconciler, `smcd` and the simulator's fakes all go through it.
type ErrorClass int

// Error classes.
const (
	// ErrorNone: no error.
	ErrorNone ErrorClass = iota
	// ErrorNoAnswer: no response arrived (network failure, timeout, cancelled). A call that
	// changes something may or may not have taken effect.
	ErrorNoAnswer
	// ErrorServer: a 5xx answer (InternalFailure, ServiceUnavailable). Transient; a call that
	// changes something may have taken effect.
	ErrorServer
	// ErrorThrottled: the request was throttled and not performed. Transient.
	ErrorThrottled
	// ErrorInProgress: UpdateEndpoint's ValidationException "Cannot update in-progress
	// endpoint": the endpoint is changing (our own update whose answer was lost, or another
	// actor's).
	ErrorInProgress
	// ErrorEndpointNotFound: ValidationException "Could not find endpoint ...". A missing
	// endpoint config ("Could not find endpoint configuration ...") is ErrorRefused.
	ErrorEndpointNotFound
	// ErrorRefused: a permanent refusal of the request as made (ResourceLimitExceeded — a
	// blue/green update needs the new fleet on top of the old —, any other ValidationException,
	// AccessDenied, ResourceNotFound). Retrying the same request fails the same way.
	ErrorRefused
	// ErrorOther: any other answer. Not booked as anything; the next pass tries again.
	ErrorOther
)

func (c ErrorClass) String() string {
	if c < ErrorNone || c > ErrorOther {
		return fmt.Sprintf("ErrorClass(%d)", int(c))
	}
	return [...]string{"none", "no-answer", "server", "throttled", "in-progress", "endpoint-not-found", "refused", "other"}[c]
}

// Transient reports whether retrying the same request later may succeed.
func (c ErrorClass) Transient() bool {
	return c == ErrorNoAnswer || c == ErrorServer || c == ErrorThrottled
}

// refusedCodes are the API error codes ClassifyError books as permanent refusals.
var refusedCodes = map[string]bool{
	"ValidationException":         true,
	"ResourceLimitExceeded":       true,
	"AccessDenied":                true,
	"AccessDeniedException":       true,
	"ResourceNotFound":            true,
	"IncompleteSignature":         true,
	"InvalidParameterValue":       true,
	"MissingParameter":            true,
	"InvalidParameterCombination": true,
}

// ClassifyError says what err, returned by an AWS SDK call, means.
func ClassifyError(err error) ErrorClass {
	if err == nil {
		return ErrorNone
	}
	var status interface{ HTTPStatusCode() int }
	serverStatus := errors.As(err, &status) && status.HTTPStatusCode() >= 500
	var api smithy.APIError
	if !errors.As(err, &api) {
		if serverStatus {
			return ErrorServer
		}
		return ErrorNoAnswer
	}
	code, msg := api.ErrorCode(), api.ErrorMessage()
	switch {
	case isThrottle(code):
		return ErrorThrottled
	case serverStatus || api.ErrorFault() == smithy.FaultServer:
		return ErrorServer
	case code == "ValidationException" && strings.Contains(msg, "Cannot update in-progress endpoint"):
		return ErrorInProgress
	case code == "ValidationException" && strings.Contains(msg, "Could not find endpoint") &&
		!strings.Contains(msg, "Could not find endpoint config"):
		return ErrorEndpointNotFound
	case refusedCodes[code]:
		return ErrorRefused
	}
	return ErrorOther
}

func isThrottle(code string) bool {
	_, ok := retry.DefaultThrottleErrorCodes[code]
	return ok
}

// IsEndpointNotFound reports SageMaker's answer for a missing endpoint (DescribeEndpoint,
// UpdateEndpoint): a ValidationException "Could not find endpoint ..." — and not "Could not find
// endpoint configuration ...".
func IsEndpointNotFound(err error) bool { return ClassifyError(err) == ErrorEndpointNotFound }
