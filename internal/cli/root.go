// Package cli is the smcd command line: the root command, global flags and exit codes. Each
// command group lives in its own package below (refreshcmd, promotecmd) with an options struct
// and a run function, so tests drive commands without a terminal or AWS.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/cmdutil"
	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/promotecmd"
	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/refreshcmd"
)

// Exit codes of smcd. They are documented in `smcd --help` and the README.
const (
	ExitOK         = cmdutil.ExitOK
	ExitError      = cmdutil.ExitError
	ExitBadInput   = cmdutil.ExitBadInput
	ExitDenied     = cmdutil.ExitDenied
	ExitNotFound   = cmdutil.ExitNotFound
	ExitIntegrity  = cmdutil.ExitIntegrity
	ExitEndpointKO = cmdutil.ExitEndpointFailed
)

// Main runs smcd with args (without the program name) and returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return Execute(ctx, &cmdutil.Factory{
		Stdout:     stdout,
		Stderr:     stderr,
		IsTerminal: isTerminal(stderr),
	}, args)
}

// Execute runs smcd with args and the dependencies in f (tests inject the environment, the
// clock and AWS) and returns the process exit code, printing errors on f.Stderr.
func Execute(ctx context.Context, f *cmdutil.Factory, args []string) int {
	stderr := f.Stderr
	root := NewRoot(f)
	root.SetArgs(args)
	root.SetOut(f.Stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	if cobraUsageError(err) {
		err = &cmdutil.UsageError{Command: "smcd", Err: err}
	}
	code := cmdutil.ExitCode(err)
	var usage *cmdutil.UsageError
	if errors.As(err, &usage) {
		fmt.Fprintf(stderr, "smcd: %v\nRun '%s --help' for usage.\n", err, usage.Command)
		return code
	}
	fmt.Fprintf(stderr, "smcd: %v\n", err)
	return code
}

// NewRoot builds the root command. f carries the I/O and the AWS configuration loader.
func NewRoot(f *cmdutil.Factory) *cobra.Command {
	var endpointURL, region, profile string
	root := &cobra.Command{
		Use:   "smcd",
		Short: "Continuous delivery for Amazon SageMaker models",
		Long: `smcd keeps SageMaker endpoints serving the newest model artifacts and promotes approved
model packages across accounts.

It is the hand-held side of the sagemaker-cd constructs: the same code runs in the refresher
Lambda and the promote pipeline's CodeBuild step.

AWS credentials and region come from the standard environment variables, shared config files
and profiles. --endpoint-url (or AWS_ENDPOINT_URL) points every client at a local emulator.

Exit codes:
  0  done: promoted, refreshed, up to date, or nothing to do (the message says which)
  1  unexpected error (AWS, network)
  2  bad input (flags, arguments, files)
  3  access denied
  4  not found (endpoint, model package group, bucket)
  5  integrity failure (a copied object does not match its source)
  6  endpoint failed or is on an unknown endpoint config`,
		Example: `  # Inspect an endpoint's A/B configs and pending deployment
  smcd status --endpoint my-endpoint

  # Promote the latest approved package from another account
  smcd promote --source-group-arn arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn \
    --target-bucket mlops-artifacts-111222333444

  # Try everything against a local emulator
  smcd --endpoint-url http://127.0.0.1:5000 status --endpoint my-endpoint`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&endpointURL, "endpoint-url", "", "AWS endpoint URL for every service, e.g. a local emulator (env AWS_ENDPOINT_URL)")
	root.PersistentFlags().StringVar(&region, "region", "", "AWS region (env AWS_REGION)")
	root.PersistentFlags().StringVar(&profile, "profile", "", "shared config profile (env AWS_PROFILE)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &cmdutil.UsageError{Command: c.CommandPath(), Err: err}
	})
	if f.LoadAWS == nil {
		f.LoadAWS = func(ctx context.Context) (aws.Config, error) {
			var opts []func(*config.LoadOptions) error
			if region != "" {
				opts = append(opts, config.WithRegion(region))
			}
			if profile != "" {
				opts = append(opts, config.WithSharedConfigProfile(profile))
			}
			if endpointURL != "" {
				opts = append(opts, config.WithBaseEndpoint(endpointURL))
			}
			cfg, err := config.LoadDefaultConfig(ctx, opts...)
			if err != nil {
				return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
			}
			if cfg.Region == "" {
				return aws.Config{}, cmdutil.BadInput(errors.New("no AWS region: pass --region or set AWS_REGION"))
			}
			return cfg, nil
		}
	}
	root.AddCommand(refreshcmd.Commands(f)...)
	root.AddCommand(promotecmd.Commands(f)...)
	return root
}

// cobraUsageError recognises cobra's untyped argument errors (unknown command, wrong number of
// arguments), which are usage mistakes like flag errors.
func cobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command ", "accepts ", "requires at least ", "requires at most ", "invalid argument "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

func isTerminal(w io.Writer) bool {
	file, ok := w.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}
