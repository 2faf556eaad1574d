package refresher_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagemaker-cd/sagemaker-cd/internal/faultproxy"
	"github.com/sagemaker-cd/sagemaker-cd/refresh"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher/refreshertest"
)

// change is one new change to the Stack's model key.
func change(s *refreshertest.Stack, seq int) refresh.Change {
	return refresh.Change{Key: s.ModelKey, Sequencer: fmt.Sprintf("%016X", 0x617F08299329D189+seq), At: time.Now()}
}

func mustRecord(t *testing.T, r *refresher.Reconciler, changes ...refresh.Change) {
	t.Helper()
	if _, err := r.Record(context.Background(), changes); err != nil {
		t.Fatal(err)
	}
}

func mustReconcile(t *testing.T, r *refresher.Reconciler) refresher.Pass {
	t.Helper()
	pass, err := r.Reconcile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return pass
}

// A permanent refusal (no room for the blue/green fleet, no permission, an invalid request) is
// a failed deployment of those changes: UpdateFailed, and no retry until a newer change.
func TestPermanentRefusalIsBookedAsFailed(t *testing.T) {
	for _, code := range []string{"ResourceLimitExceeded", "AccessDeniedException", "ValidationException"} {
		t.Run(code, func(t *testing.T) {
			ctx := context.Background()
			s := newStack(t, refreshertest.Options{Name: "refused", UpdateSeconds: 0.5})
			var metrics bytes.Buffer
			r := s.Reconciler(&metrics, io.Discard)
			if err := s.RefuseNextUpdate(ctx, code); err != nil {
				t.Fatal(err)
			}
			mustRecord(t, r, change(s, 1))
			pass := mustReconcile(t, r)
			if pass.Started || pass.Decision.Kind != refresh.Report || !slices.Contains(pass.Decision.Events, refresh.EventUpdateFailed) ||
				!strings.Contains(pass.Decision.Reason, code) {
				t.Fatalf("refused update: started=%v %+v", pass.Started, pass.Decision)
			}
			st := loadState(t, s)
			if st.InFlight != nil || st.Failed != st.Desired || st.LastResult == nil || st.LastResult.Succeeded || !strings.Contains(st.LastResult.Reason, code) {
				t.Fatalf("state after the refusal: %+v (last result %+v)", st, st.LastResult)
			}
			// The schedule and state changes do not retry the same artifacts.
			for range 2 {
				if pass := mustReconcile(t, r); pass.Decision.Kind != refresh.NoOp {
					t.Fatalf("after a refusal: %+v, want noop", pass.Decision)
				}
			}
			expectEndpoint(t, s, "InService", s.Config.ConfigA, 0)
			if got := metricCounts(t, metrics.String())[refresher.MetricUpdateFailed]; got != 1 {
				t.Errorf("UpdateFailed = %v, want 1", got)
			}
			// A newer change tries again.
			mustRecord(t, r, change(s, 2))
			if pass := mustReconcile(t, r); !pass.Started {
				t.Fatalf("a newer change after the refusal: %+v", pass.Decision)
			}
			expectEndpoint(t, s, "Updating", s.Config.ConfigA, 1)
		})
	}
}

// "Could not find endpoint configuration" (the A/B config is gone) is a refusal of the update,
// not "endpoint not found".
func TestMissingEndpointConfigIsNotEndpointNotFound(t *testing.T) {
	s := newStack(t, refreshertest.Options{Name: "noconfig", UpdateSeconds: 0.5})
	s.Config.ConfigB = s.Config.ConfigB + "-deleted"
	r := s.Reconciler(io.Discard, io.Discard)
	mustRecord(t, r, change(s, 1))
	pass := mustReconcile(t, r)
	if slices.Contains(pass.Decision.Events, refresh.EventNotFound) || !slices.Contains(pass.Decision.Events, refresh.EventUpdateFailed) ||
		!strings.Contains(pass.Decision.Reason, "Could not find endpoint configuration") {
		t.Fatalf("update to a missing config: %+v", pass.Decision)
	}
	if st := loadState(t, s); st.Failed != st.Desired || st.InFlight != nil {
		t.Fatalf("state: %+v", st)
	}
	if _, err := s.SageMaker.DescribeEndpoint(context.Background(), &sagemaker.DescribeEndpointInput{EndpointName: aws.String(s.Config.Endpoint)}); err != nil {
		t.Fatal(err)
	}
}

// throughProxy points the reconciler's SageMaker client at a fault-injecting proxy in front of
// the emulator.
func throughProxy(t *testing.T, r *refresher.Reconciler, rules ...faultproxy.Rule) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.Start(moto.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	p.Add(rules...)
	cfg, err := moto.Via(p.URL).Config(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r.SageMaker = sagemaker.NewFromConfig(cfg)
	return p
}

// UpdateEndpoint is not idempotent. When SageMaker starts our update but the answer is lost,
// the SDK must not retry it blindly (a retry answers "Cannot update in-progress endpoint"), and
// the refresher recognises the update as its own from DescribeEndpoint's target config: no
// redundant second update once it finishes.
func TestLostUpdateAnswerIsRecognised(t *testing.T) {
	s := newStack(t, refreshertest.Options{Name: "lostanswer", UpdateSeconds: 1})
	var metrics bytes.Buffer
	r := s.Reconciler(&metrics, io.Discard)
	p := throughProxy(t, r, faultproxy.Rule{Operation: "UpdateEndpoint", Calls: []int{1}, Fault: faultproxy.ResetAfter})
	mustRecord(t, r, change(s, 1))
	pass := mustReconcile(t, r)
	if !pass.Started || pass.State.InFlight == nil || !pass.State.InFlight.Confirmed {
		t.Fatalf("pass after a lost answer: started=%v %+v state %+v", pass.Started, pass.Decision, pass.State)
	}
	if n := p.Count("UpdateEndpoint"); n != 1 {
		t.Errorf("%d UpdateEndpoint requests, want exactly 1 (the SDK must not retry it)", n)
	}
	waitInService(t, s, s.Config.ConfigB)
	if pass := mustReconcile(t, r); pass.Decision.Kind != refresh.NoOp || !slices.Contains(pass.Decision.Events, refresh.EventUpdateSucceeded) {
		t.Fatalf("after the update: %+v", pass.Decision)
	}
	mustReconcile(t, r)
	expectEndpoint(t, s, "InService", s.Config.ConfigB, 1)
	if st := loadState(t, s); st.Deployed != st.Desired || st.Failed != 0 {
		t.Fatalf("state: %+v", st)
	}
}

// Throttling and 5xx answers are retried by the reconciler (with backoff), each time after
// checking the endpoint.
func TestTransientUpdateErrorsAreRetried(t *testing.T) {
	s := newStack(t, refreshertest.Options{Name: "transient", UpdateSeconds: 1})
	r := s.Reconciler(io.Discard, io.Discard)
	var slept []time.Duration
	r.Sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	p := throughProxy(t, r,
		faultproxy.Rule{Operation: "UpdateEndpoint", Calls: []int{1}, Fault: faultproxy.InternalError},
		faultproxy.Rule{Operation: "UpdateEndpoint", Calls: []int{2}, Fault: faultproxy.SlowDown})
	mustRecord(t, r, change(s, 1))
	if pass := mustReconcile(t, r); !pass.Started {
		t.Fatalf("pass: %+v", pass.Decision)
	}
	if n := p.Count("UpdateEndpoint"); n != 3 {
		t.Errorf("%d UpdateEndpoint requests, want 3 (500, 503, accepted)", n)
	}
	if len(slept) != 2 {
		t.Errorf("slept %v, want two backoffs", slept)
	}
	expectEndpoint(t, s, "Updating", s.Config.ConfigA, 1)

	// Throttled on every attempt: the intent is dropped (the call never ran) and the changes
	// stay pending for the next pass.
	s2 := newStack(t, refreshertest.Options{Name: "throttled", UpdateSeconds: 1})
	r2 := s2.Reconciler(io.Discard, io.Discard)
	r2.Sleep = r.Sleep
	throughProxy(t, r2, faultproxy.Rule{Operation: "UpdateEndpoint", Fault: faultproxy.SlowDown})
	mustRecord(t, r2, change(s2, 1))
	pass := mustReconcile(t, r2)
	if pass.Started || pass.Decision.Kind != refresh.Wait || pass.State.InFlight != nil || !pass.State.Pending() {
		t.Fatalf("throttled pass: %+v state %+v", pass.Decision, pass.State)
	}
}

// Application Auto Scaling puts the endpoint Updating on its own config. With an intent of
// ours recorded whose call never happened (the invocation stopped), that is not our update:
// it is neither confirmed nor, when it ends, booked as a failure; the changes deploy.
func TestAutoscalingIsNotOurUpdate(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, refreshertest.Options{Name: "autoscaled", UpdateSeconds: 1})
	var metrics bytes.Buffer
	r := s.Reconciler(&metrics, io.Discard)
	mustRecord(t, r, change(s, 1))
	// An intent as a crashed invocation leaves it: recorded, UpdateEndpoint never called.
	it, err := r.Store.Load(ctx, s.Config.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.SageMaker.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(s.Config.Endpoint)})
	if err != nil {
		t.Fatal(err)
	}
	st := it.State
	st.InFlight = &refresh.Deployment{Seq: st.Desired, Config: s.Config.ConfigB, From: s.Config.ConfigA, StartedAt: time.Now(), FromModified: aws.ToTime(out.LastModifiedTime)}
	if _, err := r.Store.Save(ctx, st, s.Config.Policy(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.Autoscale(ctx, 2); err != nil {
		t.Fatal(err)
	}
	pass := mustReconcile(t, r)
	if pass.Observation.Status != refresh.StatusUpdating || pass.State.InFlight == nil || pass.State.InFlight.Confirmed {
		t.Fatalf("during autoscaling: observed %+v, state %+v", pass.Observation, pass.State.InFlight)
	}
	// UpdateEndpoint while autoscaling runs is refused, and that is not ours either.
	waitInService(t, s, s.Config.ConfigA)
	r.Clock = func() time.Time { return time.Now().Add(refresh.DefaultIntentTimeout) }
	pass = mustReconcile(t, r)
	if !pass.Started || !slices.Contains(pass.Decision.Events, refresh.EventUpdateLost) {
		t.Fatalf("after autoscaling: %+v", pass.Decision)
	}
	waitInService(t, s, s.Config.ConfigB)
	mustReconcile(t, r)
	if st := loadState(t, s); st.Deployed != st.Desired || st.Failed != 0 {
		t.Fatalf("state: %+v", st)
	}
	if got := metricCounts(t, metrics.String())[refresher.MetricUpdateFailed]; got != 0 {
		t.Errorf("UpdateFailed = %v, want 0", got)
	}
}

// 10,000 files with 1,024-byte keys, each delivered twice, under a quiet period: exactly one
// update, and the stored item stays under MaxStateItemBytes (DynamoDB's limit is 400 KB).
func TestTenThousandLongKeysOneUpdateSmallItem(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, refreshertest.Options{Name: "tenk", UpdateSeconds: 1})
	s.Config.QuietPeriod = 2 * time.Minute
	r := s.Reconciler(io.Discard, io.Discard)
	start := time.Now().Add(-time.Hour)
	now := start
	r.Clock = func() time.Time { return now }
	const files = 10000
	changes := make([]refresh.Change, files)
	for i := range changes {
		k := fmt.Sprintf("%sshard-%05d/", s.Config.Watch.Filters[0].Prefix, i)
		changes[i] = refresh.Change{Key: k + strings.Repeat("w", 1024-len(k)), Sequencer: fmt.Sprintf("%018X", 0x617F08299329D189+i),
			At: start.Add(time.Duration(i) * 10 * time.Millisecond)}
	}
	maxSize := 0
	sizeNow := func() {
		out, err := s.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.Config.Table),
			Key: map[string]ddbtypes.AttributeValue{refresher.TableKey: &ddbtypes.AttributeValueMemberS{Value: s.Config.Endpoint}}})
		if err != nil {
			t.Fatal(err)
		}
		maxSize = max(maxSize, refresher.ItemSize(out.Item))
	}
	for b := 0; b < files; b += 100 {
		now = changes[b].At
		mustRecord(t, r, changes[b:b+100]...)
		if pass := mustReconcile(t, r); pass.Decision.Kind != refresh.Wait {
			t.Fatalf("during the upload: %+v", pass.Decision)
		}
		sizeNow()
	}
	now = changes[files-1].At.Add(s.Config.QuietPeriod)
	if pass := mustReconcile(t, r); !pass.Started {
		t.Fatalf("after the quiet period: %+v", pass.Decision)
	}
	// The delayed copies of every change arrive after the update started.
	for b := 0; b < files; b += 100 {
		mustRecord(t, r, changes[b:b+100]...)
		sizeNow()
	}
	waitInService(t, s, s.Config.ConfigB)
	now = now.Add(time.Minute)
	mustReconcile(t, r)
	mustReconcile(t, r)
	expectEndpoint(t, s, "InService", s.Config.ConfigB, 1)
	if st := loadState(t, s); st.Pending() || st.Deployed != files {
		t.Fatalf("state: desired %d deployed %d", st.Desired, st.Deployed)
	}
	if maxSize > refresher.MaxStateItemBytes {
		t.Fatalf("state item reached %d bytes, bound %d", maxSize, refresher.MaxStateItemBytes)
	}
	t.Logf("largest state item: %d bytes (%d WCU per write)", maxSize, refresher.WriteUnits(maxSize))
}

// The state item's size bound holds for the worst strings a state can keep: 1,024-byte keys and
// failure reasons made of characters JSON escapes six-fold, a full Recent, every optional field.
func TestStateItemSizeBound(t *testing.T) {
	nasty := strings.Repeat("\x01", 1024)
	st := refresh.State{Endpoint: strings.Repeat("e", 63), Desired: 1 << 62, Deployed: 1 << 61, Failed: 1 << 60, Version: 1 << 62}
	p := refresh.Policy{ConfigA: strings.Repeat("a", 63), ConfigB: strings.Repeat("b", 63)}
	now := time.Date(2026, 1, 1, 0, 0, 0, 123456789, time.UTC)
	for i := range refresh.RecentKeys * 3 {
		st, _ = refresh.Record(st, refresh.Change{Key: fmt.Sprintf("%s%d", nasty, i), Sequencer: strings.Repeat("F", refresh.MaxSequencerDigits), At: now}, p)
	}
	obs := refresh.Observation{Found: true, Status: refresh.StatusInService, Config: p.ConfigA, FailureReason: nasty, LastModified: now}
	st, _ = refresh.Decide(st, obs, now, p) // an intent with FromFailure
	st, _ = refresh.Refuse(st, st.Desired, nasty, now)
	st, _ = refresh.Record(st, refresh.Change{Key: nasty + "x", Sequencer: "01", At: now.Add(time.Hour)}, p)
	st, _ = refresh.Decide(st, obs, now.Add(2*time.Hour), p)
	st.Foreign = &refresh.Foreign{Config: strings.Repeat("f", 63), Since: now}
	st.OutOfService = &refresh.Outage{Since: now, Passes: 1 << 30}
	if st.InFlight == nil || st.LastResult == nil || st.Recent.Len() != refresh.RecentKeys {
		t.Fatalf("not the worst case: %+v", st)
	}
	item, err := refresher.StateItem(st, p, now)
	if err != nil {
		t.Fatal(err)
	}
	if n := refresher.ItemSize(item); n > refresher.MaxStateItemBytes {
		t.Fatalf("worst-case state item is %d bytes, bound %d", n, refresher.MaxStateItemBytes)
	} else {
		t.Logf("worst-case state item: %d bytes", n)
	}
}
