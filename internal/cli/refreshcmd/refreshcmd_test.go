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
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/sagemaker-cd/sagemaker-cd/internal/cli"
	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/cmdutil"
	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/refreshcmd"
	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
	"github.com/sagemaker-cd/sagemaker-cd/refresh"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher/refreshertest"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { testkit.RunWithMoto(m, &moto, testkit.Options{}) }

var stacks atomic.Int64

// newStack creates an endpoint tagged as the construct tags it (state table, A/B configs).
func newStack(t *testing.T, name string, seconds float64) *refreshertest.Stack {
	t.Helper()
	return newStackWith(t, refreshertest.Options{Name: name, UpdateSeconds: seconds})
}

// newStackWith creates a stack; a sequence number is appended to opts.Name.
func newStackWith(t *testing.T, opts refreshertest.Options) *refreshertest.Stack {
	t.Helper()
	cfg, err := moto.Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	opts.Name = fmt.Sprintf("%s-%d", opts.Name, stacks.Add(1))
	s, err := refreshertest.Create(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// smcd runs the root command with the refresh group against moto, as cli.Main does, and
// returns the exit code and outputs. The refresher's env vars are cleared first.
func smcd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return smcdEnv(t, nil, args...)
}

// smcdEnv is smcd with the refresher's env vars set to env (the others empty).
func smcdEnv(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	for _, k := range []string{refresher.EnvEndpointName, refresher.EnvConfigA, refresher.EnvConfigB, refresher.EnvTableName} {
		t.Setenv(k, env[k])
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

// An endpoint without smcd: tags: the table comes from --table, A/B from the flags, then from
// the state table's record.
func TestReplayRefreshStatus(t *testing.T) {
	s := newStackWith(t, refreshertest.Options{Name: "cli", UpdateSeconds: 1, Untagged: true})
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
	want(t, code, out, errOut, 0, "not read (pass --table, or tag the endpoint with smcd:state-table")
}

// An endpoint tagged as the construct tags it needs only its name; flags and the environment
// still win over the tags, and the tags over the state table's record.
func TestEndpointTagsSuffice(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, "tags", 0.5)
	ep, table, a, b := s.Config.Endpoint, s.Config.Table, s.Config.ConfigA, s.Config.ConfigB
	// A stale pair in the record: the tags come first.
	if _, err := (&refresher.Store{DB: s.DynamoDB, Table: table}).Save(ctx, refresh.State{Endpoint: ep},
		refresh.Policy{ConfigA: "stale-a", ConfigB: "stale-b"}, time.Now()); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := smcd(t, "status", "--endpoint", ep)
	want(t, code, out, errOut, 0, "State table", table, a+" (A)", a+" / "+b, "desired 0, deployed 0")

	code, out, errOut = smcd(t, "refresh", "--endpoint", ep, "--force")
	want(t, code, out, errOut, 0, "update to "+b+" started; `smcd status --endpoint "+ep+"` follows it")
	if status, config, err := s.Describe(ctx); err != nil || status != "Updating" {
		t.Fatalf("after refresh: %s on %s (%v), want Updating", status, config, err)
	}
	code, out, errOut = smcd(t, "status", "--endpoint", ep, "--output", "json")
	want(t, code, out, errOut, 0)
	var st refreshcmd.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status json: %v\n%s", err, out)
	}
	if st.Table != table || st.ConfigA != a || st.ConfigB != b || st.InFlight == nil || st.InFlight.Config != b || st.Desired != 1 {
		t.Errorf("status: %+v, want table %s, A/B %s/%s and the update to %s in flight", st, table, a, b, b)
	}
	if _, err := s.WaitInService(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name     string
		env      map[string]string
		args     []string
		code     int
		contains []string
	}{
		{"--table beats the tag", nil, []string{"status", "--endpoint", ep, "--table", "flag-table"}, 4, []string{"state table flag-table not found"}},
		{"env table beats the tag", map[string]string{refresher.EnvTableName: "env-table"}, []string{"status", "--endpoint", ep}, 4,
			[]string{"state table env-table not found"}},
		{"--config-a/--config-b beat the tags", nil, []string{"status", "--endpoint", ep, "--config-a", "flag-a", "--config-b", "flag-b"}, 6,
			[]string{"flag-a / flag-b", b + " (neither A nor B)"}},
		{"env configs beat the tags", map[string]string{refresher.EnvConfigA: "env-a", refresher.EnvConfigB: "env-b"}, []string{"refresh", "--endpoint", ep}, 6,
			[]string{"neither A (env-a) nor B (env-b)"}},
		{"env endpoint", map[string]string{refresher.EnvEndpointName: ep}, []string{"status"}, 0, []string{table, b + " (B)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := smcdEnv(t, c.env, c.args...)
			want(t, code, out, errOut, c.code, c.contains...)
		})
	}
	if calls, err := s.UpdateCalls(ctx); err != nil || calls != 1 {
		t.Errorf("UpdateEndpoint calls = %d (%v), want 1 (the forced refresh)", calls, err)
	}
}

func TestExitCodes(t *testing.T) {
	ctx := context.Background()
	s := newStackWith(t, refreshertest.Options{Name: "exits", UpdateSeconds: 0.2, Untagged: true})
	ep, table := s.Config.Endpoint, s.Config.Table
	// Tagged with a state table that does not exist.
	ghost := newStack(t, "ghost", 0.2)
	arn, err := ghost.SageMaker.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(ghost.Config.Endpoint)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ghost.SageMaker.AddTags(ctx, &sagemaker.AddTagsInput{ResourceArn: arn.EndpointArn,
		Tags: []smtypes.Tag{{Key: aws.String(refresher.TagStateTable), Value: aws.String("gone-table")}}}); err != nil {
		t.Fatal(err)
	}
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
		{"refresh of an untagged endpoint without table", []string{"refresh", "--endpoint", ep}, 2,
			[]string{"no state table: pass --table NAME or set SMCD_TABLE_NAME (endpoint " + ep + " has no smcd:state-table tag)"}},
		{"status of an untagged endpoint without table", []string{"status", "--endpoint", ep}, 0, []string{"not read (pass --table"}},
		{"refresh with a tag naming a missing table", []string{"refresh", "--endpoint", ghost.Config.Endpoint}, 4,
			[]string{"state table gone-table (tag smcd:state-table of endpoint " + ghost.Config.Endpoint + ") not found"}},
		{"status with a tag naming a missing table", []string{"status", "--endpoint", ghost.Config.Endpoint}, 4, []string{"state table gone-table (tag smcd:state-table"}},
		{"refresh of a missing endpoint without table", []string{"refresh", "--endpoint", "no-such-endpoint"}, 4, []string{"endpoint no-such-endpoint not found"}},
		{"refresh with only config A", []string{"refresh", "--endpoint", ep, "--table", table, "--config-a", "x"}, 2, []string{"both --config-a and --config-b"}},
		{"refresh with unknown A/B", []string{"refresh", "--endpoint", ep, "--table", table}, 2,
			[]string{"endpoint configs A and B of endpoint " + ep + " are unknown", "it is on " + s.Config.ConfigA, "has no smcd:config-a/smcd:config-b tags"}},
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

// denyListTags makes every SageMaker ListTags call fail with AccessDeniedException before it is
// sent, as for a role without sagemaker:ListTags; every other call reaches moto.
func denyListTags(ctx context.Context) (aws.Config, error) {
	cfg, err := moto.Config(ctx)
	if err != nil {
		return cfg, err
	}
	cfg.APIOptions = append(cfg.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("denyListTags",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if _, ok := in.Parameters.(*sagemaker.ListTagsInput); ok {
					return middleware.InitializeOutput{}, middleware.Metadata{}, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform sagemaker:ListTags"}
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	})
	return cfg, nil
}

// Without sagemaker:ListTags, a known table still works (A/B from its record); an unknown one is
// access denied (exit 3).
func TestListTagsDenied(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, "denied", 0.5)
	ep, table := s.Config.Endpoint, s.Config.Table
	if _, err := (&refresher.Store{DB: s.DynamoDB, Table: table}).Save(ctx, refresh.State{Endpoint: ep},
		s.Config.Policy(), time.Now()); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		for _, k := range []string{refresher.EnvEndpointName, refresher.EnvConfigA, refresher.EnvConfigB, refresher.EnvTableName} {
			t.Setenv(k, "")
		}
		var stdout, stderr bytes.Buffer
		root := cli.NewRoot(&cmdutil.Factory{Stdout: &stdout, Stderr: &stderr, LoadAWS: denyListTags})
		root.SetArgs(args)
		err := root.ExecuteContext(ctx)
		if err != nil {
			fmt.Fprintf(&stderr, "smcd: %v\n", err)
		}
		return cmdutil.ExitCode(err), stdout.String(), stderr.String()
	}
	code, out, errOut := run("status", "--endpoint", ep, "--table", table)
	want(t, code, out, errOut, 0, s.Config.ConfigA+" (A)")
	if !strings.Contains(errOut, "cannot read the tags of endpoint "+ep) {
		t.Errorf("stderr lacks the note about the tags:\n%s", errOut)
	}
	code, out, errOut = run("status", "--endpoint", ep)
	want(t, code, out, errOut, cmdutil.ExitDenied)
}
