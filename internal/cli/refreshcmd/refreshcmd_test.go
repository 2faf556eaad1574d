package refreshcmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/internal/cli"
	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/cmdutil"
	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/refreshcmd"
	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher/refreshertest"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { testkit.RunWithMoto(m, &moto, testkit.Options{}) }

var stacks atomic.Int64

func newStack(t *testing.T, name string, seconds float64) *refreshertest.Stack {
	t.Helper()
	cfg, err := moto.Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s, err := refreshertest.Create(context.Background(), cfg, refreshertest.Options{Name: fmt.Sprintf("%s-%d", name, stacks.Add(1)), UpdateSeconds: seconds})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// smcd runs the root command with the refresh group against moto, as cli.Main does, and
// returns the exit code and outputs. The refresher's env vars are cleared first.
func smcd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	for _, k := range []string{"SMCD_ENDPOINT_NAME", "SMCD_CONFIG_A", "SMCD_CONFIG_B", "SMCD_TABLE_NAME"} {
		t.Setenv(k, "")
	}
	var stdout, stderr bytes.Buffer
	f := &cmdutil.Factory{Stdout: &stdout, Stderr: &stderr, LoadAWS: moto.Config}
	root := cli.NewRoot(f)
	root.SetArgs(args)
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	err := root.ExecuteContext(context.Background())
	if err != nil {
		fmt.Fprintf(&stderr, "smcd: %v\n", err)
	}
	return cmdutil.ExitCode(err), stdout.String(), stderr.String()
}

// captureUpload uploads the model and writes the SQS batch the refresher would receive to a file.
func captureUpload(t *testing.T, s *refreshertest.Stack) string {
	t.Helper()
	ctx := context.Background()
	if err := s.Upload(ctx, s.ModelKey, "bytes "+time.Now().String()); err != nil {
		t.Fatal(err)
	}
	msgs, err := s.Receive(ctx, 1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s.SQSEvent(msgs))
	file := filepath.Join(t.TempDir(), "batch.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func want(t *testing.T, code int, stdout, stderr string, wantCode int, wantOut ...string) {
	t.Helper()
	if code != wantCode {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, wantCode, stdout, stderr)
	}
	for _, w := range wantOut {
		if !strings.Contains(stdout+stderr, w) {
			t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", w, stdout, stderr)
		}
	}
}

func TestReplayRefreshStatus(t *testing.T) {
	s := newStack(t, "cli", 1)
	ep, table, a, b := s.Config.Endpoint, s.Config.Table, s.Config.ConfigA, s.Config.ConfigB
	file := captureUpload(t, s)

	code, out, errOut := smcd(t, "events", "replay", file, "--endpoint", ep, "--table", table, "--config-a", a, "--config-b", b,
		"--bucket", s.Config.Watch.Bucket, "--prefix", s.Config.Watch.Filters[0].Prefix)
	want(t, code, out, errOut, 0, `"batchItemFailures": []`, `"msg":"S3 change"`, `"decision":"update"`, "replayed "+file)
	status, config, err := s.Describe(context.Background())
	if err != nil || status != "Updating" || config != a {
		t.Fatalf("after replay: %s on %s (%v)", status, config, err)
	}

	// A/B are now recorded in the table: no need to pass them.
	code, out, errOut = smcd(t, "refresh", "--endpoint", ep, "--table", table)
	want(t, code, out, errOut, 0, "wait: update to "+b+" in progress")

	code, out, errOut = smcd(t, "status", "--endpoint", ep, "--table", table)
	want(t, code, out, errOut, 0, "Updating", "Config A / B", a+" / "+b, "desired 1, deployed 0, failed 0 (pending: yes)",
		a+" -> "+b+" (changes up to 1)", "accepted by SageMaker", s.ModelKey)

	if _, err := s.WaitInService(context.Background(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = smcd(t, "refresh", "--endpoint", ep, "--table", table)
	want(t, code, out, errOut, 0, "noop: up to date")

	code, out, errOut = smcd(t, "status", "--endpoint", ep, "--table", table, "--output", "json")
	want(t, code, out, errOut, 0)
	var st refreshcmd.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status json: %v\n%s", err, out)
	}
	if !st.Found || st.Status != "InService" || st.CurrentConfig != b || st.Desired != 1 || st.Deployed != 1 || st.Pending ||
		st.LastResult == nil || !st.LastResult.Succeeded || st.Next != "noop" || st.ConfigA != a || st.ConfigB != b {
		t.Errorf("status: %+v", st)
	}

	code, out, errOut = smcd(t, "refresh", "--endpoint", ep, "--table", table, "--force", "--output", "json")
	want(t, code, out, errOut, 0, `"decision": "update"`, `"started": true`, `"config": "`+a+`"`)

	code, out, errOut = smcd(t, "status", "--endpoint", ep)
	want(t, code, out, errOut, 0, "not read (pass --table")
}

func TestExitCodes(t *testing.T) {
	s := newStack(t, "exits", 0.2)
	ep, table := s.Config.Endpoint, s.Config.Table
	dir := t.TempDir()
	malformed := filepath.Join(dir, "malformed.json")
	os.WriteFile(malformed, []byte("{\n  \"Records\": [\n    {,}\n  ]\n}\n"), 0o600)
	wrongShape := filepath.Join(dir, "shape.json")
	os.WriteFile(wrongShape, []byte(`{"hello": "world"}`), 0o600)
	missing := filepath.Join(dir, "missing.json")

	tests := []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"refresh without endpoint", []string{"refresh", "--table", table}, 2, []string{"no endpoint: pass --endpoint"}},
		{"refresh without table", []string{"refresh", "--endpoint", ep}, 2, []string{"no state table"}},
		{"refresh with only config A", []string{"refresh", "--endpoint", ep, "--table", table, "--config-a", "x"}, 2, []string{"both --config-a and --config-b"}},
		{"refresh with unknown A/B", []string{"refresh", "--endpoint", ep, "--table", table}, 2,
			[]string{"endpoint configs A and B of endpoint " + ep + " are unknown", "it is on " + s.Config.ConfigA}},
		{"refresh with a missing table", []string{"refresh", "--endpoint", ep, "--table", "no-such-table"}, 4, []string{"state table no-such-table not found"}},
		{"refresh of a missing endpoint", []string{"refresh", "--endpoint", "no-such-endpoint", "--table", table, "--config-a", "a", "--config-b", "b"}, 4,
			[]string{"endpoint no-such-endpoint not found"}},
		{"status of a missing endpoint", []string{"status", "--endpoint", "no-such-endpoint"}, 4, []string{"Status", "not found"}},
		{"status with a bad output", []string{"status", "--endpoint", ep, "--output", "yaml"}, 2, []string{`--output "yaml": expected text or json`}},
		{"status with an unknown flag", []string{"status", "--endpoint", ep, "--colour"}, 2, []string{"unknown flag: --colour"}},
		{"replay of a missing file", []string{"events", "replay", missing, "--endpoint", ep, "--table", table}, 2, []string{"read event file " + missing}},
		{"replay of malformed JSON", []string{"events", "replay", malformed, "--endpoint", ep, "--table", table}, 2,
			[]string{"event file " + malformed + ": malformed JSON at line 3, column 6"}},
		{"replay of another JSON shape", []string{"events", "replay", wrongShape, "--endpoint", ep, "--table", table}, 2,
			[]string{"event file " + wrongShape + ": expected an SQS batch"}},
		{"replay without a file", []string{"events", "replay"}, 2, []string{"expected one event FILE"}},
		{"events without a subcommand", []string{"events"}, 2, []string{"missing subcommand"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := smcd(t, tt.args...)
			want(t, code, out, errOut, tt.code, tt.contains...)
		})
	}
}

func TestDriftAndFailureExitSix(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, "six", 0.2)
	ep, table, a, b := s.Config.Endpoint, s.Config.Table, s.Config.ConfigA, s.Config.ConfigB
	foreign := ep + "-by-hand"
	if _, err := s.SageMaker.CreateEndpointConfig(ctx, &sagemaker.CreateEndpointConfigInput{EndpointConfigName: aws.String(foreign),
		ProductionVariants: []smtypes.ProductionVariant{{VariantName: aws.String("AllTraffic"), ModelName: aws.String(ep),
			InstanceType: smtypes.ProductionVariantInstanceTypeMlM5Large, InitialInstanceCount: aws.Int32(1)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SageMaker.UpdateEndpoint(ctx, &sagemaker.UpdateEndpointInput{EndpointName: aws.String(ep), EndpointConfigName: aws.String(foreign)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitInService(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := smcd(t, "refresh", "--endpoint", ep, "--table", table, "--config-a", a, "--config-b", b, "--force")
	want(t, code, out, errOut, 6, "neither A ("+a+") nor B ("+b+")")
	code, out, errOut = smcd(t, "status", "--endpoint", ep, "--table", table)
	want(t, code, out, errOut, 6, foreign+" (neither A nor B)", "Next", "report:")
	calls, err := s.UpdateCalls(ctx)
	if err != nil || calls != 1 {
		t.Errorf("UpdateEndpoint calls = %d (%v), want only the hand-made one", calls, err)
	}
}

// TestMainWithEndpointURL goes through cli.Main and its real AWS loading: --endpoint-url and
// the standard AWS environment variables.
func TestMainWithEndpointURL(t *testing.T) {
	s := newStack(t, "main", 1)
	for _, kv := range moto.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_ENDPOINT_URL", "") // prove the flag does it
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	var stdout, stderr bytes.Buffer
	code := cli.Main(context.Background(), []string{"--endpoint-url", moto.URL, "status", "--endpoint", s.Config.Endpoint, "--output", "json"}, &stdout, &stderr)
	want(t, code, stdout.String(), stderr.String(), 0, `"status": "InService"`, `"currentConfig": "`+s.Config.ConfigA+`"`)
}
