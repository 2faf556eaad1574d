package cmdutil

import (
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
)

func TestExitCode(t *testing.T) {
	api := func(code string) error {
		return fmt.Errorf("describe endpoint ep: %w", &smithy.GenericAPIError{Code: code, Message: "m"})
	}
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"plain", errors.New("boom"), ExitError},
		{"bad input", BadInput(errors.New("bad")), ExitBadInput},
		{"wrapped bad input", fmt.Errorf("ctx: %w", BadInput(errors.New("bad"))), ExitBadInput},
		{"usage", &UsageError{Command: "smcd x", Err: errors.New("unknown flag")}, ExitBadInput},
		{"explicit code", WithCode(ExitIntegrity, errors.New("mismatch")), ExitIntegrity},
		{"endpoint failed", WithCode(ExitEndpointFailed, errors.New("Failed")), ExitEndpointFailed},
		{"access denied", api("AccessDeniedException"), ExitDenied},
		{"s3 access denied", api("AccessDenied"), ExitDenied},
		{"expired token", api("ExpiredToken"), ExitDenied},
		{"no such bucket", api("NoSuchBucket"), ExitNotFound},
		{"resource not found", api("ResourceNotFoundException"), ExitNotFound},
		{"throttling", api("ThrottlingException"), ExitError},
		{"explicit code beats API code", WithCode(ExitIntegrity, api("AccessDenied")), ExitIntegrity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ExitCode(tc.err); got != tc.want {
				t.Fatalf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}
