package refresher_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher/refreshertest"
)

// captured reads a payload from events/testdata and points it at s: the captures name the
// endpoint "churn", the bucket "models-bucket" and keys under "churn/".
func captured(t *testing.T, s *refreshertest.Stack, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", "testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("models-bucket"), []byte(s.Config.Watch.Bucket))
	return bytes.ReplaceAll(b, []byte("churn"), []byte(s.Config.Endpoint))
}

// TestHandlerEventShapes drives the handler through lambda.NewHandler(...).Invoke with every
// payload shape the function receives.
func TestHandlerEventShapes(t *testing.T) {
	tests := []struct {
		name string
		// payload builds the invocation for a fresh stack.
		payload      func(t *testing.T, s *refreshertest.Stack) []byte
		wantErr      string
		wantFailures []string
		// wantStatus, wantCalls and wantDesired describe the endpoint and state afterwards.
		wantStatus  string
		wantCalls   int
		wantDesired int64
	}{
		{name: "S3 Object Created, direct", payload: func(t *testing.T, s *refreshertest.Stack) []byte {
			return captured(t, s, "s3-object-created.json")
		}, wantStatus: "Updating", wantCalls: 1, wantDesired: 1},
		{name: "S3 Object Deleted, direct", payload: func(t *testing.T, s *refreshertest.Stack) []byte {
			return captured(t, s, "s3-object-deleted.json")
		}, wantStatus: "Updating", wantCalls: 1, wantDesired: 1},
		{name: "S3 CompleteMultipartUpload", payload: func(t *testing.T, s *refreshertest.Stack) []byte {
			return captured(t, s, "s3-object-created-multipart.json")
		}, wantStatus: "Updating", wantCalls: 1, wantDesired: 1},
		{name: "S3 CopyObject", payload: func(t *testing.T, s *refreshertest.Stack) []byte {
			return captured(t, s, "s3-object-created-copy.json")
		}, wantStatus: "Updating", wantCalls: 1, wantDesired: 1},
		{name: "S3 POST Object, a key with space, +, = and non-ASCII", payload: func(t *testing.T, s *refreshertest.Stack) []byte {
			return captured(t, s, "s3-object-created-post.json")
		}, wantStatus: "Updating", wantCalls: 1, wantDesired: 1},
		{name: "S3 version Permanently Deleted", payload: func(t *testing.T, s *refreshertest.Stack) []byte {
			return captured(t, s, "s3-object-deleted-permanently.json")
		}, wantStatus: "Updating", wantCalls: 1, wantDesired: 1},
		{name: "S3 Lifecycle Expiration", payload: func(t *testing.T, s *refreshertest.Stack) []byte {
			return captured(t, s, "s3-object-deleted-lifecycle.json")
		}, wantStatus: "Updating", wantCalls: 1, wantDesired: 1},
		{name: "S3 POST Object, the key form-encoded", payload: func(t *testing.T, s *refreshertest.Stack) []byte {
			return bytes.Replace(captured(t, s, "s3-object-created-post.json"), []byte(s.Config.Endpoint+`/model card (v2)+notes=final é.json`),
				[]byte(s.Config.Endpoint+`%2Fmodel+card+%28v2%29%2Bnotes%3Dfinal+%C3%A9.json`), 1)
		}, wantStatus: "Updating", wantCalls: 1, wantDesired: 1},
		{name: "S3 change outside the watched prefix", payload: func(t *testing.T, s *refreshertest.Stack) []byte {
			return bytes.Replace(captured(t, s, "s3-object-created.json"), []byte(`"key": "`), []byte(`"key": "other/`), 1)
		}, wantStatus: "InService"},
		{name: "S3 change in another bucket", payload: func(t *testing.T, s *refreshertest.Stack) []byte {
			b, _ := os.ReadFile(filepath.Join("..", "..", "events", "testdata", "s3-object-created.json"))
			return b
		}, wantStatus: "InService"},
		{name: "endpoint state change IN_SERVICE", payload: func(t *testing.T, s *refreshertest.Stack) []byte {
			return captured(t, s, "sagemaker-endpoint-in-service.json")
		}, wantStatus: "InService"},
		{name: "endpoint state change FAILED is only a wake-up", payload: func(t *testing.T, s *refreshertest.Stack) []byte {
			return captured(t, s, "sagemaker-endpoint-failed.json")
		}, wantStatus: "InService"},
		{name: "scheduled event", payload: func(t *testing.T, s *refreshertest.Stack) []byte {
			return captured(t, s, "schedule-rate-5-minutes.json")
		}, wantStatus: "InService"},
		{name: "SQS batch of two changes and a state change", payload: func(t *testing.T, s *refreshertest.Stack) []byte {
			return captured(t, s, "sqs-batch.json")
		}, wantStatus: "Updating", wantCalls: 1, wantDesired: 2},
		{name: "SQS batch with a malformed body", payload: func(t *testing.T, s *refreshertest.Stack) []byte {
			var batch map[string][]map[string]any
			if err := json.Unmarshal(captured(t, s, "sqs-batch.json"), &batch); err != nil {
				t.Fatal(err)
			}
			batch["Records"][1]["body"] = `{"detail-type": "Object Created", "source": "aws.s3", "detail": {"bucket": `
			b, _ := json.Marshal(batch)
			return b
		}, wantFailures: []string{"2e1424d4-f796-459a-8184-9c92662be6da"}, wantStatus: "Updating", wantCalls: 1, wantDesired: 1},
		{name: "SQS batch with an S3 event missing its key", payload: func(t *testing.T, s *refreshertest.Stack) []byte {
			return bytes.Replace(captured(t, s, "sqs-batch.json"), []byte(`\"key\":\"`), []byte(`\"nokey\":\"`), 1)
		}, wantFailures: []string{"059f36b4-87a3-44ab-83d2-661975830a7d"}, wantStatus: "Updating", wantCalls: 1, wantDesired: 1},
		{name: "not JSON", payload: func(*testing.T, *refreshertest.Stack) []byte { return []byte(`Records`) },
			wantErr: "invalid character", wantStatus: "InService"},
		{name: "neither SQS nor EventBridge", payload: func(*testing.T, *refreshertest.Stack) []byte { return []byte(`{"hello":"world"}`) },
			wantErr: "neither an SQS batch", wantStatus: "InService"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, refreshertest.Options{Name: "shape"})
			s.Config.Watch.Filters[0].Prefix = s.Config.Endpoint + "/"
			var logs bytes.Buffer
			h := s.Handler(io.Discard, &logs)
			resp, err := invoke(t, h, tt.payload(t, s))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			var failed []string
			for _, f := range resp.BatchItemFailures {
				failed = append(failed, f.ItemIdentifier)
			}
			if strings.Join(failed, ",") != strings.Join(tt.wantFailures, ",") {
				t.Errorf("batch item failures %v, want %v", failed, tt.wantFailures)
			}
			expectEndpoint(t, s, tt.wantStatus, s.Config.ConfigA, tt.wantCalls)
			if got := loadState(t, s).Desired; got != tt.wantDesired {
				t.Errorf("desired = %d, want %d", got, tt.wantDesired)
			}
			for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				if line != "" && !json.Valid([]byte(line)) {
					t.Errorf("log line is not JSON: %s", line)
				}
			}
		})
	}
}

func TestMetricsEMF(t *testing.T) {
	var out bytes.Buffer
	at := time.Date(2024, 5, 31, 21, 49, 54, 0, time.UTC)
	m := &refresher.Metrics{W: &out, Namespace: "Team/Refresh", Clock: func() time.Time { return at }}
	if err := m.Count("churn", refresher.MetricChangeRecorded, refresher.MetricCoalesced, refresher.MetricChangeRecorded); err != nil {
		t.Fatal(err)
	}
	if err := m.Count("churn"); err != nil { // nothing to write
		t.Fatal(err)
	}
	var nilMetrics *refresher.Metrics
	if err := nilMetrics.Count("churn", refresher.MetricDrift); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d lines, want 1: %q", len(lines), out.String())
	}
	var rec struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		EndpointName   string
		ChangeRecorded float64
		Coalesced      float64
	}
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	d := rec.AWS.CloudWatchMetrics
	if rec.AWS.Timestamp != at.UnixMilli() || len(d) != 1 || d[0].Namespace != "Team/Refresh" ||
		len(d[0].Dimensions) != 1 || strings.Join(d[0].Dimensions[0], ",") != "EndpointName" {
		t.Errorf("metadata: %+v", rec.AWS)
	}
	if len(d[0].Metrics) != 2 || d[0].Metrics[0].Name != "ChangeRecorded" || d[0].Metrics[0].Unit != "Count" || d[0].Metrics[1].Name != "Coalesced" {
		t.Errorf("metrics: %+v", d[0].Metrics)
	}
	if rec.EndpointName != "churn" || rec.ChangeRecorded != 2 || rec.Coalesced != 1 {
		t.Errorf("values: %+v", rec)
	}
	out.Reset()
	if err := (&refresher.Metrics{W: &out}).Count("x", refresher.MetricDrift); err != nil || !strings.Contains(out.String(), `"Namespace":"SagemakerCD"`) {
		t.Errorf("default namespace: %v %s", err, out.String())
	}
}

func TestLoadConfig(t *testing.T) {
	base := map[string]string{
		refresher.EnvEndpointName: "churn", refresher.EnvConfigA: "churn-a", refresher.EnvConfigB: "churn-b",
		refresher.EnvTableName: "state", refresher.EnvWatch: `{"bucket":"models","filters":[{"prefix":"churn/","suffix":".tar.gz"}]}`,
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range base {
			m[a] = b
		}
		m[k] = v
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c refresher.Config)
	}{
		{"defaults", base, "", func(t *testing.T, c refresher.Config) {
			if !c.RetainAllVariantProperties || c.DeploymentConfig != nil || c.QuietPeriod != 0 || c.MetricsNamespace != "SagemakerCD" {
				t.Errorf("%+v", c)
			}
			if !c.Watch.Matches("models", "churn/model.tar.gz") || c.Watch.Matches("models", "churn/notes.txt") ||
				c.Watch.Matches("other", "churn/model.tar.gz") || c.Watch.Matches("models", "fraud/model.tar.gz") {
				t.Errorf("watch %+v", c.Watch)
			}
			if p := c.Policy(); p.ConfigA != "churn-a" || p.ConfigB != "churn-b" || p.DriftGrace != refresher.DefaultDriftGrace {
				t.Errorf("policy %+v", p)
			}
		}},
		{"quiet period and marker", with(refresher.EnvQuietPeriod, "2m"), "", func(t *testing.T, c refresher.Config) {
			if c.QuietPeriod != 2*time.Minute {
				t.Errorf("quiet %v", c.QuietPeriod)
			}
		}},
		{"retain false", with(refresher.EnvRetainAllVariantProperties, "false"), "", func(t *testing.T, c refresher.Config) {
			if c.RetainAllVariantProperties {
				t.Error("retain still true")
			}
		}},
		{"rolling deployment", with(refresher.EnvDeploymentConfig, `{"RollingUpdatePolicy":{"MaximumBatchSize":{"Type":"INSTANCE_COUNT","Value":1},"WaitIntervalInSeconds":60}}`), "",
			func(t *testing.T, c refresher.Config) {
				if c.DeploymentConfig == nil || c.DeploymentConfig.RollingUpdatePolicy == nil || *c.DeploymentConfig.RollingUpdatePolicy.WaitIntervalInSeconds != 60 {
					t.Errorf("%+v", c.DeploymentConfig)
				}
			}},
		{"missing endpoint", with(refresher.EnvEndpointName, ""), "SMCD_ENDPOINT_NAME not set", nil},
		{"missing watch", with(refresher.EnvWatch, ""), "SMCD_WATCH not set", nil},
		{"watch not JSON", with(refresher.EnvWatch, "models"), "SMCD_WATCH \"models\"", nil},
		{"watch unknown field", with(refresher.EnvWatch, `{"bucket":"m","prefix":"x"}`), "unknown field", nil},
		{"watch without bucket", with(refresher.EnvWatch, `{"filters":[]}`), "has no bucket", nil},
		{"drift grace", with(refresher.EnvDriftGrace, "0s"), "", func(t *testing.T, c refresher.Config) {
			if c.Policy().DriftGrace != 0 {
				t.Errorf("drift grace %v, want 0 (report at once)", c.Policy().DriftGrace)
			}
		}},
		{"bad drift grace", with(refresher.EnvDriftGrace, "ten minutes"), "SMCD_DRIFT_GRACE \"ten minutes\"", nil},
		{"bad quiet period", with(refresher.EnvQuietPeriod, "5"), "SMCD_QUIET_PERIOD \"5\"", nil},
		{"negative quiet period", with(refresher.EnvQuietPeriod, "-1s"), "non-negative", nil},
		{"bad retain", with(refresher.EnvRetainAllVariantProperties, "yes please"), "expected true or false", nil},
		{"deployment config typo", with(refresher.EnvDeploymentConfig, `{"BlueGreenPolicy":{}}`), "unknown field", nil},
		{"deployment config empty object", with(refresher.EnvDeploymentConfig, `{}`), "sets none of", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := refresher.LoadConfig(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestStoreConditionalWrites(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, refreshertest.Options{Name: "store"})
	store := &refresher.Store{DB: s.DynamoDB, Table: s.Config.Table}
	it, err := store.Load(ctx, s.Config.Endpoint)
	if err != nil || it.Exists || it.State.Version != 0 {
		t.Fatalf("empty load: %+v %v", it, err)
	}
	st := it.State
	st.Desired = 1
	saved, err := store.Save(ctx, st, s.Config.Policy(), time.Now())
	if err != nil || saved.Version != 1 {
		t.Fatalf("first save: %+v %v", saved, err)
	}
	if _, err := store.Save(ctx, st, s.Config.Policy(), time.Now()); err != refresher.ErrConflict {
		t.Errorf("second create: %v, want ErrConflict", err)
	}
	saved.Desired = 2
	if _, err := store.Save(ctx, saved, s.Config.Policy(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Save(ctx, saved, s.Config.Policy(), time.Now()); err != refresher.ErrConflict {
		t.Errorf("stale save: %v, want ErrConflict", err)
	}
	it, err = store.Load(ctx, s.Config.Endpoint)
	if err != nil || !it.Exists || it.State.Desired != 2 || it.State.Version != 2 || it.ConfigA != s.Config.ConfigA || it.ConfigB != s.Config.ConfigB {
		t.Errorf("load: %+v %v", it, err)
	}
	missing := &refresher.Store{DB: s.DynamoDB, Table: "no-such-table"}
	if _, err := missing.Load(ctx, "x"); !errors.Is(err, refresher.ErrTableNotFound) || !strings.Contains(err.Error(), "no-such-table") {
		t.Errorf("missing table: %v", err)
	}
}
