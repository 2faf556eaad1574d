// Package cmdutil holds what every smcd command shares: the factory of dependencies, exit
// codes, and the typed errors that map to them.
package cmdutil

import (
	"context"
	"errors"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
)

// Exit codes (see `smcd --help`).
const (
	ExitOK             = 0
	ExitError          = 1
	ExitBadInput       = 2
	ExitDenied         = 3
	ExitNotFound       = 4
	ExitIntegrity      = 5
	ExitEndpointFailed = 6
)

// Factory carries a command's dependencies, so tests inject writers, terminal state and AWS.
type Factory struct {
	Stdout, Stderr io.Writer
	// IsTerminal reports whether stderr is a terminal (progress bars only then).
	IsTerminal bool
	// LoadAWS returns the AWS configuration built from global flags and the environment.
	LoadAWS func(ctx context.Context) (aws.Config, error)
}

// UsageError is a flag or argument mistake; smcd prints it with a pointer to --help.
type UsageError struct {
	Command string
	Err     error
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// CodedError carries an explicit exit code.
type CodedError struct {
	Code int
	Err  error
}

func (e *CodedError) Error() string { return e.Err.Error() }
func (e *CodedError) Unwrap() error { return e.Err }

// BadInput marks err as bad input (exit 2).
func BadInput(err error) error { return &CodedError{Code: ExitBadInput, Err: err} }

// WithCode marks err with an exit code.
func WithCode(code int, err error) error { return &CodedError{Code: code, Err: err} }

// ExitCode maps an error to smcd's exit code: explicit codes first, then AWS error codes.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var coded *CodedError
	if errors.As(err, &coded) {
		return coded.Code
	}
	var usage *UsageError
	if errors.As(err, &usage) {
		return ExitBadInput
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "InvalidClientTokenId", "ExpiredToken":
			return ExitDenied
		case "NoSuchBucket", "NoSuchKey", "NotFound", "ResourceNotFound", "ResourceNotFoundException":
			return ExitNotFound
		}
	}
	return ExitError
}
