package refresher_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/events"
	"github.com/sagemaker-cd/sagemaker-cd/refresh"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher/refreshertest"
)

var stacks atomic.Int64

// newStack creates a fresh stack; names get a serial number so -count=N reruns never collide.
func newStack(t testing.TB, opts refreshertest.Options) *refreshertest.Stack {
	t.Helper()
	opts.Name = fmt.Sprintf("%s-%d", opts.Name, stacks.Add(1))
	ctx := context.Background()
	cfg, err := moto.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, err := refreshertest.Create(ctx, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// metricCounts sums the EMF records in out by metric name, checking each record's shape.
func metricCounts(t *testing.T, out string) map[string]float64 {
	t.Helper()
	counts := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("EMF line %q: %v", line, err)
		}
		var meta struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		}
		raw, _ := json.Marshal(rec["_aws"])
		if err := json.Unmarshal(raw, &meta); err != nil || len(meta.CloudWatchMetrics) != 1 {
			t.Fatalf("EMF line without _aws.CloudWatchMetrics: %s", line)
		}
		for _, m := range meta.CloudWatchMetrics[0].Metrics {
			v, ok := rec[m.Name].(float64)
			if !ok {
				t.Fatalf("EMF line declares %s without a value: %s", m.Name, line)
			}
			counts[m.Name] += v
		}
	}
	return counts
}

// invoke runs payload through the Lambda runtime's typed-handler adapter, as the Lambda
// service would, and decodes the response.
func invoke(t *testing.T, h *refresher.Handler, payload []byte) (lambdaevents.SQSEventResponse, error) {
	t.Helper()
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), payload)
	var resp lambdaevents.SQSEventResponse
	if err == nil && string(out) != "null" {
		if jerr := json.Unmarshal(out, &resp); jerr != nil {
			t.Fatalf("response %s: %v", out, jerr)
		}
	}
	return resp, err
}

func feed(t *testing.T, h *refresher.Handler, batch lambdaevents.SQSEvent) lambdaevents.SQSEventResponse {
	t.Helper()
	payload, err := json.Marshal(batch)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := invoke(t, h, payload)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("batch item failures: %+v", resp.BatchItemFailures)
	}
	return resp
}

func uploadAndReceive(t *testing.T, s *refreshertest.Stack, keys ...string) lambdaevents.SQSEvent {
	t.Helper()
	ctx := context.Background()
	for i, k := range keys {
		if err := s.Upload(ctx, k, "bytes "+k+" "+time.Now().String()+string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := s.Receive(ctx, len(keys), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return s.SQSEvent(msgs)
}

// stateChange is an endpoint state change event in EventBridge spelling for s's endpoint.
func stateChange(t *testing.T, s *refreshertest.Stack, status events.EndpointStatus) []byte {
	t.Helper()
	detail, _ := json.Marshal(events.EndpointStateChangeDetail{EndpointName: s.Config.Endpoint, EndpointStatus: status,
		EndpointConfigName: s.Config.ConfigA, LastModifiedTime: events.NewTimestamp(time.Now())})
	b, err := json.Marshal(lambdaevents.CloudWatchEvent{Version: "0", ID: "state-" + string(status), Source: events.SourceSageMaker,
		DetailType: events.DetailTypeEndpointStateChange, Time: time.Now().UTC(), Region: "us-east-1", Detail: detail})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func schedule(t *testing.T) []byte {
	t.Helper()
	b, err := json.Marshal(lambdaevents.CloudWatchEvent{Version: "0", ID: "tick", Source: events.SourceSchedule,
		DetailType: events.DetailTypeScheduledEvent, Time: time.Now().UTC(), Detail: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustInvoke(t *testing.T, h *refresher.Handler, payload []byte) {
	t.Helper()
	if _, err := invoke(t, h, payload); err != nil {
		t.Fatal(err)
	}
}

func expectEndpoint(t *testing.T, s *refreshertest.Stack, status, config string, calls int) {
	t.Helper()
	ctx := context.Background()
	gotStatus, gotConfig, err := s.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gotCalls, err := s.UpdateCalls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if gotStatus != status || gotConfig != config || gotCalls != calls {
		t.Fatalf("endpoint %s on %s after %d UpdateEndpoint calls; want %s on %s after %d", gotStatus, gotConfig, gotCalls, status, config, calls)
	}
}

func loadState(t *testing.T, s *refreshertest.Stack) refresh.State {
	t.Helper()
	it, err := (&refresher.Store{DB: s.DynamoDB, Table: s.Config.Table}).Load(context.Background(), s.Config.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return it.State
}

func waitInService(t *testing.T, s *refreshertest.Stack, want string) {
	t.Helper()
	got, err := s.WaitInService(context.Background(), 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("endpoint InService on %s, want %s", got, want)
	}
}

// TestRefreshFlow is the real flow: S3 -> EventBridge -> SQS -> handler -> UpdateEndpoint, then
// a burst during the update coalescing into exactly one follow-up, and duplicates ignored.
func TestRefreshFlow(t *testing.T) {
	s := newStack(t, refreshertest.Options{Name: "flow", UpdateSeconds: 2})
	var metrics bytes.Buffer
	h := s.Handler(&metrics, io.Discard)
	a, b := s.Config.ConfigA, s.Config.ConfigB

	first := uploadAndReceive(t, s, s.ModelKey)
	feed(t, h, first)
	expectEndpoint(t, s, "Updating", a, 1)
	st := loadState(t, s)
	if st.InFlight == nil || !st.InFlight.Confirmed || st.InFlight.Config != b || st.Desired != 1 {
		t.Fatalf("state after the first update started: %+v", st)
	}

	// Three uploads while Updating: recorded, coalesced, no UpdateEndpoint.
	var burst []lambdaevents.SQSEvent
	for range 3 {
		burst = append(burst, uploadAndReceive(t, s, s.ModelKey))
	}
	for _, batch := range burst {
		feed(t, h, batch)
	}
	expectEndpoint(t, s, "Updating", a, 1)

	waitInService(t, s, b)
	mustInvoke(t, h, stateChange(t, s, events.EndpointStatusInService))
	expectEndpoint(t, s, "Updating", b, 2)
	// Out-of-order and repeated wake-ups change nothing: the status comes from DescribeEndpoint.
	mustInvoke(t, h, stateChange(t, s, events.EndpointStatusInService))
	mustInvoke(t, h, stateChange(t, s, events.EndpointStatusUpdating))
	expectEndpoint(t, s, "Updating", b, 2)

	waitInService(t, s, a)
	mustInvoke(t, h, schedule(t))
	mustInvoke(t, h, schedule(t))
	expectEndpoint(t, s, "InService", a, 2)
	st = loadState(t, s)
	if st.Desired != 4 || st.Deployed != st.Desired || st.InFlight != nil || st.LastResult == nil || !st.LastResult.Succeeded {
		t.Fatalf("final state: %+v", st)
	}

	// Duplicate delivery of an old message is harmless.
	feed(t, h, first)
	feed(t, h, burst[2])
	expectEndpoint(t, s, "InService", a, 2)
	if got := loadState(t, s).Desired; got != 4 {
		t.Errorf("desired after duplicates = %d, want 4", got)
	}

	counts := metricCounts(t, metrics.String())
	want := map[string]float64{
		refresher.MetricChangeRecorded: 4, refresher.MetricCoalesced: 3, refresher.MetricUpdateStarted: 2,
		refresher.MetricUpdateSucceeded: 2, refresher.MetricDuplicateIgnored: 2,
	}
	for name, n := range want {
		if counts[name] != n {
			t.Errorf("metric %s = %v, want %v (all: %v)", name, counts[name], n, counts)
		}
	}
	if counts[refresher.MetricWaiting] < 4 {
		t.Errorf("metric Waiting = %v, want >= 4", counts[refresher.MetricWaiting])
	}
}

func TestFailedUpdate(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, refreshertest.Options{Name: "failing", UpdateSeconds: 1})
	var metrics bytes.Buffer
	h := s.Handler(&metrics, io.Discard)
	a, b := s.Config.ConfigA, s.Config.ConfigB
	if err := s.FailNextUpdate(ctx); err != nil {
		t.Fatal(err)
	}

	feed(t, h, uploadAndReceive(t, s, s.ModelKey))
	expectEndpoint(t, s, "Updating", a, 1)
	waitInService(t, s, a) // rolled back
	mustInvoke(t, h, stateChange(t, s, events.EndpointStatusInService))
	st := loadState(t, s)
	if st.Failed != 1 || st.Deployed != 0 || st.LastResult == nil || st.LastResult.Succeeded || !strings.Contains(st.LastResult.Reason, "health checks") {
		t.Fatalf("state after a failed update: %+v (last result %+v)", st, st.LastResult)
	}
	if got := metricCounts(t, metrics.String())[refresher.MetricUpdateFailed]; got != 1 {
		t.Errorf("UpdateFailed = %v, want 1", got)
	}
	// Not retried on the same artifacts.
	mustInvoke(t, h, schedule(t))
	mustInvoke(t, h, stateChange(t, s, events.EndpointStatusInService))
	expectEndpoint(t, s, "InService", a, 1)

	// The next upload tries again.
	feed(t, h, uploadAndReceive(t, s, s.ModelKey))
	expectEndpoint(t, s, "Updating", a, 2)
	waitInService(t, s, b)
	mustInvoke(t, h, schedule(t))
	st = loadState(t, s)
	if st.Deployed != 2 || st.Failed != 1 || !st.LastResult.Succeeded {
		t.Fatalf("state after the retry: %+v", st)
	}
	if got := metricCounts(t, metrics.String())[refresher.MetricUpdateFailed]; got != 1 {
		t.Errorf("UpdateFailed = %v after success, want still 1", got)
	}
}

func TestDrift(t *testing.T) {
	s := newStack(t, refreshertest.Options{Name: "drifting", UpdateSeconds: 0.2})
	var metrics, logs bytes.Buffer
	h := s.Handler(&metrics, &logs)
	foreign := moveToForeignConfig(t, s, s.Config.Endpoint+"-hand-made")

	resp := feed(t, h, uploadAndReceive(t, s, s.ModelKey))
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("drift must not fail the batch: %+v", resp)
	}
	for range 3 {
		mustInvoke(t, h, schedule(t))
	}
	expectEndpoint(t, s, "InService", foreign, 1) // only the hand-made update
	if got := metricCounts(t, metrics.String())[refresher.MetricDrift]; got != 4 {
		t.Errorf("Drift = %v, want 4 (one per pass)", got)
	}
	if !strings.Contains(logs.String(), fmt.Sprintf("neither A (%s) nor B (%s)", s.Config.ConfigA, s.Config.ConfigB)) {
		t.Errorf("logs do not explain the drift:\n%s", logs.String())
	}
	if st := loadState(t, s); st.Desired != 1 || st.InFlight != nil {
		t.Errorf("state: %+v", st)
	}
}

// moveToForeignConfig creates an endpoint config that is neither A nor B, as a person or a
// deployment would, moves the endpoint onto it and waits until it is InService there.
func moveToForeignConfig(t *testing.T, s *refreshertest.Stack, config string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := s.SageMaker.CreateEndpointConfig(ctx, &sagemaker.CreateEndpointConfigInput{
		EndpointConfigName: aws.String(config),
		ProductionVariants: []smtypes.ProductionVariant{{VariantName: aws.String("AllTraffic"), ModelName: aws.String(s.Config.Endpoint),
			InstanceType: smtypes.ProductionVariantInstanceTypeMlM5Large, InitialInstanceCount: aws.Int32(1)}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SageMaker.UpdateEndpoint(ctx, &sagemaker.UpdateEndpointInput{EndpointName: aws.String(s.Config.Endpoint), EndpointConfigName: aws.String(config)}); err != nil {
		t.Fatal(err)
	}
	waitInService(t, s, config)
	return config
}

// With the Lambda's drift grace (a CDK deployment replacing A/B settles meanwhile), a foreign
// config is waited out without a Drift metric, then reported once it outlasts the grace.
func TestDriftGrace(t *testing.T) {
	s := newStack(t, refreshertest.Options{Name: "settling", UpdateSeconds: 0.2})
	s.Config.DriftGrace = refresher.DefaultDriftGrace
	var metrics, logs bytes.Buffer
	h := s.Handler(&metrics, &logs)
	now := time.Now()
	h.Reconciler.Clock = func() time.Time { return now }
	foreign := moveToForeignConfig(t, s, s.Config.Endpoint+"-next-a")

	mustInvoke(t, h, schedule(t))
	now = now.Add(refresher.DefaultDriftGrace - time.Second)
	mustInvoke(t, h, schedule(t))
	if got := metricCounts(t, metrics.String())[refresher.MetricDrift]; got != 0 {
		t.Fatalf("Drift = %v within the grace, want 0", got)
	}
	if st := loadState(t, s); st.Foreign == nil || st.Foreign.Config != foreign {
		t.Fatalf("state does not record the foreign config: %+v", st)
	}
	now = now.Add(2 * time.Second)
	mustInvoke(t, h, schedule(t))
	if got := metricCounts(t, metrics.String())[refresher.MetricDrift]; got != 1 {
		t.Fatalf("Drift = %v after the grace, want 1", got)
	}
	expectEndpoint(t, s, "InService", foreign, 1)
}

func TestConcurrentInvocationsStartOneUpdate(t *testing.T) {
	s := newStack(t, refreshertest.Options{Name: "racing", UpdateSeconds: 2})
	const workers = 4
	var batches []lambdaevents.SQSEvent
	for i := range workers {
		batches = append(batches, uploadAndReceive(t, s, s.ModelKey, s.Config.Watch.Filters[0].Prefix+"part-"+string(rune('0'+i))))
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	start := make(chan struct{})
	rec := &recordingSageMaker{SageMakerAPI: s.SageMaker}
	for _, batch := range batches {
		h := s.Handler(io.Discard, io.Discard)
		h.Reconciler.SageMaker = rec
		wg.Go(func() {
			<-start
			payload, _ := json.Marshal(batch)
			out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), payload)
			if err == nil && strings.Contains(string(out), "itemIdentifier") {
				err = &batchError{string(out)}
			}
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	expectEndpoint(t, s, "Updating", s.Config.ConfigA, 1)
	if len(rec.updates) != 1 {
		t.Errorf("%d UpdateEndpoint calls made, want 1 (the others must see the intent and wait)", len(rec.updates))
	}
	st := loadState(t, s)
	// Every part counts once; the model key was uploaded by each worker, and a newer
	// sequencer recorded first makes the older ones duplicates (out-of-order delivery).
	if st.Desired < workers+1 || st.Desired > 2*workers || st.InFlight == nil || !st.InFlight.Confirmed || st.Recent.Len() != workers+1 {
		t.Fatalf("state: %+v in flight %+v", st, st.InFlight)
	}
}

type batchError struct{ out string }

func (e *batchError) Error() string { return "batch item failures: " + e.out }

// recordingSageMaker passes calls to the real client and keeps the UpdateEndpoint inputs.
type recordingSageMaker struct {
	refresher.SageMakerAPI
	mu      sync.Mutex
	updates []*sagemaker.UpdateEndpointInput
}

func (r *recordingSageMaker) UpdateEndpoint(ctx context.Context, in *sagemaker.UpdateEndpointInput, opts ...func(*sagemaker.Options)) (*sagemaker.UpdateEndpointOutput, error) {
	r.mu.Lock()
	r.updates = append(r.updates, in)
	r.mu.Unlock()
	return r.SageMakerAPI.UpdateEndpoint(ctx, in, opts...)
}

func TestUpdateEndpointSettingsPassThrough(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, refreshertest.Options{Name: "settings", UpdateSeconds: 0.5})
	env := map[string]string{
		refresher.EnvEndpointName: s.Config.Endpoint, refresher.EnvConfigA: s.Config.ConfigA, refresher.EnvConfigB: s.Config.ConfigB,
		refresher.EnvTableName: s.Config.Table, refresher.EnvWatch: `{"bucket":"` + s.Config.Watch.Bucket + `","filters":[{"prefix":"` + s.Config.Watch.Filters[0].Prefix + `"}]}`,
		refresher.EnvRetainAllVariantProperties: "false",
		refresher.EnvDeploymentConfig: `{"BlueGreenUpdatePolicy":{"TrafficRoutingConfiguration":{"Type":"CANARY","WaitIntervalInSeconds":300,` +
			`"CanarySize":{"Type":"CAPACITY_PERCENT","Value":10}},"MaximumExecutionTimeoutInSeconds":1800},` +
			`"AutoRollbackConfiguration":{"Alarms":[{"AlarmName":"settings-5xx"}]}}`,
	}
	cfg, err := refresher.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingSageMaker{SageMakerAPI: s.SageMaker}
	r := s.Reconciler(io.Discard, io.Discard)
	r.Config, r.SageMaker = cfg, rec
	if _, err := r.Record(ctx, []refresh.Change{{Key: s.ModelKey, At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	pass, err := r.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !pass.Started || len(rec.updates) != 1 {
		t.Fatalf("pass %+v, %d calls", pass.Decision, len(rec.updates))
	}
	in := rec.updates[0]
	bg := in.DeploymentConfig.BlueGreenUpdatePolicy
	if aws.ToBool(in.RetainAllVariantProperties) || bg == nil || bg.TrafficRoutingConfiguration.Type != smtypes.TrafficRoutingConfigTypeCanary ||
		aws.ToInt32(bg.TrafficRoutingConfiguration.CanarySize.Value) != 10 || aws.ToInt32(bg.MaximumExecutionTimeoutInSeconds) != 1800 ||
		aws.ToString(in.DeploymentConfig.AutoRollbackConfiguration.Alarms[0].AlarmName) != "settings-5xx" {
		t.Errorf("UpdateEndpoint input: retain=%v deployment=%+v", aws.ToBool(in.RetainAllVariantProperties), in.DeploymentConfig)
	}
	expectEndpoint(t, s, "Updating", s.Config.ConfigA, 1)
}

func TestEndpointNotFoundAndBusyRefusal(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, refreshertest.Options{Name: "missing", UpdateSeconds: 2})
	r := s.Reconciler(io.Discard, io.Discard)
	if _, err := r.Record(ctx, []refresh.Change{{Key: s.ModelKey, Sequencer: "01", At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	// Autoscaling starts an update after our DescribeEndpoint: UpdateEndpoint answers
	// "Cannot update in-progress endpoint", the endpoint is not moving to our target, so the
	// intent is abandoned and the pass waits.
	racer := &racingSageMaker{SageMakerAPI: s.SageMaker, stack: s}
	r.SageMaker = racer
	pass, err := r.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pass.Decision.Kind != refresh.Wait || pass.Started || pass.State.InFlight != nil || pass.State.Desired != 1 {
		t.Fatalf("busy refusal: %+v state %+v", pass.Decision, pass.State)
	}
	if !strings.Contains(pass.Decision.Reason, "Cannot update in-progress endpoint") {
		t.Errorf("reason %q", pass.Decision.Reason)
	}

	r.Config.Endpoint = "no-such-endpoint"
	pass, err = r.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pass.Observation.Found || pass.Decision.Kind != refresh.Report {
		t.Errorf("missing endpoint: %+v %+v", pass.Observation, pass.Decision)
	}
}

// racingSageMaker lets autoscaling start an update just before the refresher's own call.
type racingSageMaker struct {
	refresher.SageMakerAPI
	stack *refreshertest.Stack
	done  bool
}

func (r *racingSageMaker) UpdateEndpoint(ctx context.Context, in *sagemaker.UpdateEndpointInput, opts ...func(*sagemaker.Options)) (*sagemaker.UpdateEndpointOutput, error) {
	if !r.done {
		r.done = true
		if err := r.stack.Autoscale(ctx, 2); err != nil {
			return nil, err
		}
	}
	return r.SageMakerAPI.UpdateEndpoint(ctx, in, opts...)
}
