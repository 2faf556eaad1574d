package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/cmdutil"
	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/promotecmd"
	"github.com/sagemaker-cd/sagemaker-cd/promotion"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

const goodARN = "arn:aws:sagemaker:us-east-1:444333666777:model-package-group/churn"

// noAWS is a factory whose environment is env and whose AWS loader fails the test: flag parsing
// and validation happen before any AWS call, without the emulator.
func noAWS(t *testing.T, env map[string]string) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return &cmdutil.Factory{
		Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return env[k] },
		Now:    func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) },
		LoadAWS: func(context.Context) (aws.Config, error) {
			t.Error("AWS configuration loaded: bad input must be refused before any AWS call")
			return aws.Config{}, errors.New("no AWS in flag tests")
		},
	}, &stdout, &stderr
}

// TestPromoteBadInput: every bad setting, from a flag or from its variable, is one line naming
// the flag, the value and what was expected; exit 2; nothing on stdout.
func TestPromoteBadInput(t *testing.T) {
	base := []string{"promote", "--source-group-arn", goodARN, "--target-bucket", "mlops-target"}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad ARN", []string{"promote", "--source-group-arn", "arn:aws:sagemaker:us-east-1:444333666777:model-package/churn/1", "--target-bucket", "b-1"}, nil,
			`--source-group-arn (source group ARN) "arn:aws:sagemaker:us-east-1:444333666777:model-package/churn/1": resource "model-package/churn/1"`},
		{"bad bucket name", []string{"promote", "--source-group-arn", goodARN, "--target-bucket", "Bad_Bucket"}, nil, `--target-bucket (target bucket) "Bad_Bucket": expected an S3 bucket name`},
		{"bucket with a reserved prefix", []string{"promote", "--source-group-arn", goodARN, "--target-bucket", "xn--bucket"}, nil, `"xn--bucket": the prefix "xn--" is reserved by S3`},
		{"bad approval status", append(base, "--approval-status", "Rejected"), nil, `--approval-status (approval status) "Rejected": expected Approved or PendingManualApproval`},
		{"bad output format", append(base, "--output", "yaml"), nil, `--output "yaml": expected text or json`},
		{"bad output format, short flag", append(base, "-o", "yaml"), nil, `--output "yaml": expected text or json`},
		{"bad KMS key", append(base, "--kms-key-arn", "alias/mine"), nil, `--kms-key-arn (KMS key ARN) "alias/mine": expected arn:<partition>:kms`},
		{"KMS key in another region", append(base, "--kms-key-arn", "arn:aws:kms:eu-west-1:111222333444:key/abcd"), nil, "expected a key in aws us-east-1"},
		{"bad role", append(base, "--source-role-arn", "role/x"), nil, `--source-role-arn (source role ARN) "role/x"`},
		{"role of another account", append(base, "--source-role-arn", "arn:aws:iam::111222333444:role/x"), nil, "expected a role in the source account 444333666777"},
		{"bad target group", append(base, "--target-group", "a_b"), nil, `--target-group (target group) "a_b": expected 1-63`},
		{"bad target prefix", append(base, "--target-prefix", "a/../b"), nil, `--target-prefix (target prefix) "a/../b"`},
		{"bad verify mode", append(base, "--verify", "md5"), nil, `--verify (verify mode) "md5": expected checksum or size`},
		{"bad project id", append(base, "--project-id", "p_123"), nil, `--project-id (project ID) "p_123": expected a SageMaker project ID such as p-abcdef123456`},
		{"project id too long", append(base, "--project-id", "p-abcdefghijklmnopqrst"), nil, `"p-abcdefghijklmnopqrst": expected`},
		{"bad project name", append(base, "--project-name", "my project"), nil, `--project-name (project name) "my project": expected 1-32`},
		{"bad project name from the environment", base, map[string]string{promotion.EnvProjectName: "-churn"}, `--project-name (project name) "-churn": expected`},
		{"bad verify mode from the environment", base, map[string]string{promotion.EnvVerify: "Size"}, `--verify (verify mode) "Size": expected checksum or size`},
		{"concurrency not a number", append(base, "--concurrency", "x"), nil, `--concurrency (copy concurrency) "x": expected an integer 1-1000`},
		{"concurrency above the bound", append(base, "--concurrency", "1001"), nil, `--concurrency (copy concurrency) "1001": expected an integer 1-1000`},
		{"concurrency negative", append(base, "--concurrency", "-1"), nil, `--concurrency (copy concurrency) "-1": expected an integer 1-1000`},
		{"concurrency from the environment", base, map[string]string{promotion.EnvConcurrency: "64k"}, `--concurrency (copy concurrency) "64k": expected an integer 1-1000`},
		{"missing source", []string{"promote", "--target-bucket", "b-1"}, nil, "--source-group-arn (or SMCD_SOURCE_GROUP_ARN) required"},
		{"missing both", []string{"promote"}, nil, "--source-group-arn (or SMCD_SOURCE_GROUP_ARN) and --target-bucket (or SMCD_TARGET_BUCKET) required"},
		{"bad env value", []string{"promote", "--target-bucket", "b-1"}, map[string]string{promotion.EnvSourceGroupARN: "nope"}, `--source-group-arn (source group ARN) "nope"`},
		{"unknown flag", append(base, "--colour"), nil, "unknown flag: --colour"},
		{"grants: bad account", []string{"promote", "grants", "--source-group-arn", goodARN, "--target-account", "12"}, nil, `account ID "12": expected 12 digits`},
		{"grants: bad bucket", []string{"promote", "grants", "--source-group-arn", goodARN, "--target-account", "111222333444", "--bucket", "A"}, nil, `source bucket "A"`},
		{"grants: image of another account", []string{"promote", "grants", "--source-group-arn", goodARN, "--target-account", "111222333444",
			"--image-repository", "111222333444.dkr.ecr.us-east-1.amazonaws.com/x:1"}, nil, "expected a repository of the source account 444333666777"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, stdout, stderr := noAWS(t, tc.env)
			code := Execute(context.Background(), f, tc.args)
			if code != ExitBadInput || !strings.Contains(stderr.String(), tc.want) || stdout.Len() != 0 {
				t.Errorf("exit %d, stderr %q, stdout %q; want exit 2 naming %q", code, stderr, stdout, tc.want)
			}
			if lines := strings.Count(strings.TrimSpace(stderr.String()), "\n"); lines > 1 {
				t.Errorf("error is %d lines, want one line plus the usage hint: %q", lines+1, stderr)
			}
		})
	}
}

// TestPromoteSettingsFromEnvironment: each setting is read from its SMCD_* variable through the
// factory, flags win, and the run gets the factory's clock.
func TestPromoteSettingsFromEnvironment(t *testing.T) {
	env := map[string]string{
		promotion.EnvSourceGroupARN: goodARN, promotion.EnvTargetBucket: "from-env-bucket", promotion.EnvTargetGroup: "churn-prod",
		promotion.EnvTargetPrefix: "promoted", promotion.EnvKMSKeyARN: "arn:aws:kms:us-east-1:111222333444:key/abcd",
		promotion.EnvSourceRoleARN: "arn:aws:iam::444333666777:role/reader", promotion.EnvApprovalStatus: "PendingManualApproval",
		promotion.EnvProjectID: "p-1", promotion.EnvProjectName: "churn", promotion.EnvVerify: "size", promotion.EnvEvent: "event.json",
		promotion.EnvConcurrency: "16",
	}
	f, _, stderr := noAWS(t, env)
	var got *promotecmd.Options
	cmd := promotecmd.NewCmdPromote(f, func(_ context.Context, _ *cmdutil.Factory, o *promotecmd.Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--target-bucket", "from-flag-bucket", "-o", "json"})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("%v (%s)", err, stderr)
	}
	want := promotion.ConfigFromEnv(func(k string) string { return env[k] })
	want.TargetBucket = "from-flag-bucket"
	if want.Concurrency != 16 {
		t.Fatalf("%s=16 read as concurrency %d", promotion.EnvConcurrency, want.Concurrency)
	}
	if got.Config != want || got.EventFile != "event.json" || got.Output != "json" {
		t.Errorf("options %+v, want config %+v, event file and json output", got, want)
	}
	if got.Now == nil || !got.Now().Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Error("the run does not use the factory's clock")
	}
	// Defaults: nothing but the required settings.
	f, _, _ = noAWS(t, map[string]string{promotion.EnvSourceGroupARN: goodARN, promotion.EnvTargetBucket: "b-1"})
	cmd = promotecmd.NewCmdPromote(f, func(_ context.Context, _ *cmdutil.Factory, o *promotecmd.Options) error { got = o; return nil })
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if c := got.Config; c.Status() != "Approved" || c.VerifyMode() != s3copy.VerifyChecksum || c.Group() != "churn" || got.Output != "text" {
		t.Errorf("defaults: %+v output %q", c, got.Output)
	}
}

// TestPromoteConcurrencyFlag: --concurrency (or SMCD_CONCURRENCY) bounds the copier's requests in
// flight and sizes the target S3 client's idle connections; unset, both are s3copy's default.
func TestPromoteConcurrencyFlag(t *testing.T) {
	base := []string{"--source-group-arn", goodARN, "--target-bucket", "b-1"}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want int
	}{
		{"default", base, nil, s3copy.DefaultConcurrency},
		{"flag", append(base, "--concurrency", "200"), nil, 200},
		{"one", append(base, "--concurrency", "1"), nil, 1},
		{"environment", base, map[string]string{promotion.EnvConcurrency: "12"}, 12},
		{"flag wins", append(base, "--concurrency", "1000"), map[string]string{promotion.EnvConcurrency: "12"}, 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, _, stderr := noAWS(t, tc.env)
			var got *promotecmd.Options
			cmd := promotecmd.NewCmdPromote(f, func(_ context.Context, _ *cmdutil.Factory, o *promotecmd.Options) error { got = o; return nil })
			cmd.SetArgs(tc.args)
			if err := cmd.Execute(); err != nil {
				t.Fatalf("%v (%s)", err, stderr)
			}
			p, err := got.Build(aws.Config{Region: "us-east-1"})
			if err != nil {
				t.Fatal(err)
			}
			opts, err := p.Copier.Options.WithDefaults()
			if err != nil || opts.Concurrency != tc.want {
				t.Errorf("copier concurrency %d (%v), want %d", opts.Concurrency, err, tc.want)
			}
			client, ok := p.TargetStorage.(*s3.Client)
			if !ok {
				t.Fatalf("target storage is %T, want *s3.Client", p.TargetStorage)
			}
			hc, ok := client.Options().HTTPClient.(*awshttp.BuildableClient)
			if !ok {
				t.Fatalf("target HTTP client is %T, want the SDK's buildable client", client.Options().HTTPClient)
			}
			if n := hc.GetTransport().MaxIdleConnsPerHost; n != tc.want {
				t.Errorf("target client keeps %d idle connections per host, want %d", n, tc.want)
			}
		})
	}
}

// TestPromoteHelpNamesEverySetting: every setting's flag and variable are in --help.
func TestPromoteHelpNamesEverySetting(t *testing.T) {
	f, stdout, _ := noAWS(t, nil)
	if code := Execute(context.Background(), f, []string{"promote", "--help"}); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	for _, s := range promotion.Settings() {
		if !strings.Contains(stdout.String(), "--"+s.Flag) || !strings.Contains(stdout.String(), s.Env) {
			t.Errorf("help lacks --%s or %s", s.Flag, s.Env)
		}
	}
}

// TestOutputFlagShared: both command groups take --output/-o through the same helper.
func TestOutputFlagShared(t *testing.T) {
	for _, args := range [][]string{{"status", "--endpoint", "ep", "-o", "yaml"}, {"refresh", "--endpoint", "ep", "-o", "yaml"},
		{"promote", "--source-group-arn", goodARN, "--target-bucket", "b-1", "-o", "yaml"}} {
		f, _, stderr := noAWS(t, nil)
		if code := Execute(context.Background(), f, args); code != ExitBadInput || !strings.Contains(stderr.String(), `--output "yaml": expected text or json`) {
			t.Errorf("%v: exit %d, %q", args, code, stderr)
		}
	}
}
