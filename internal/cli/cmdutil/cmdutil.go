// Package cmdutil holds what every smcd command shares: the factory of dependencies, exit
// codes, and the typed errors that map to them.
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sagemaker-cd/sagemaker-cd/promotion/awserr"
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
	// Getenv reads environment variables (os.Getenv when nil): tests give commands an
	// environment without touching the process's.
	Getenv func(string) string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Env returns the environment variable key through Getenv.
func (f *Factory) Env(key string) string {
	if f.Getenv == nil {
		return os.Getenv(key)
	}
	return f.Getenv(key)
}

// Clock returns the factory's clock (time.Now when Now is nil).
func (f *Factory) Clock() func() time.Time {
	if f.Now == nil {
		return time.Now
	}
	return f.Now
}

// EnvFlag binds a flag to the environment variable that sets it when the flag is not given.
type EnvFlag struct{ Flag, Env string }

// ApplyEnv sets every flag of bindings that was not given on the command line from its
// environment variable, when that is not empty (flags win). A value the flag refuses is bad
// input naming the variable.
func (f *Factory) ApplyEnv(fl *pflag.FlagSet, bindings []EnvFlag) error {
	for _, b := range bindings {
		if fl.Changed(b.Flag) {
			continue
		}
		if v := f.Env(b.Env); v != "" {
			if err := fl.Set(b.Flag, v); err != nil {
				return BadInput(fmt.Errorf("%s=%q: %w", b.Env, v, err))
			}
		}
	}
	return nil
}

// Output formats of --output.
const (
	OutputText = "text"
	OutputJSON = "json"
)

// AddOutputFlag adds --output/-o (text or json, default text) to cmd, bound to p. Check the
// value with CheckOutput before running.
func AddOutputFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "output", "o", OutputText, "output format: text or json")
}

// CheckOutput refuses an --output value other than text or json, as a usage error of cmd.
func CheckOutput(cmd *cobra.Command, output string) error {
	if output != OutputText && output != OutputJSON {
		return &UsageError{Command: cmd.CommandPath(), Err: fmt.Errorf("--output %q: expected text or json", output)}
	}
	return nil
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

// ExitCode maps an error to smcd's exit code: explicit codes first, then the kind of AWS error
// (awserr.Classify, the one place that reads AWS error codes).
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
	switch awserr.Classify(err) {
	case awserr.AccessDenied:
		return ExitDenied
	case awserr.NotFound:
		return ExitNotFound
	}
	return ExitError
}
