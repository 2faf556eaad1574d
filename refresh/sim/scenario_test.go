package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/events"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

func TestBurstDuringAnUpdateCausesOneFollowUp(t *testing.T) {
	for _, tc := range []struct {
		n      int
		quiet  time.Duration
		faults Faults
	}{
		{1, 0, Faults{}},
		{10, 0, Faults{}},
		{100, 0, Faults{Duplicate: 0.3, Jitter: 5 * time.Second}},
		{1000, 0, Faults{Duplicate: 0.3, Jitter: 5 * time.Second}},
		{100, 30 * time.Second, Faults{Duplicate: 0.3, Jitter: 5 * time.Second}},
	} {
		t.Run(fmt.Sprintf("n=%d/quiet=%v", tc.n, tc.quiet), func(t *testing.T) {
			sc := Scenario{Seed: uint64(tc.n), QuietPeriod: tc.quiet, Faults: tc.faults, Uploads: []Upload{{}}}
			// The first update runs from about Q to Q+5m; the burst lands inside it.
			for i := range tc.n {
				sc.Uploads = append(sc.Uploads, Upload{At: tc.quiet + time.Minute + time.Duration(i)*(3*time.Minute)/time.Duration(tc.n)})
			}
			r := mustRun(t, sc)
			if len(r.Deployments) != 2 || r.UpdateCalls != 2 {
				t.Fatalf("%d uploads during an update: %d deployments, %d UpdateEndpoint calls; want 2 and 2", tc.n, len(r.Deployments), r.UpdateCalls)
			}
			if r.FinalGeneration != tc.n+1 || r.Lost() != 0 {
				t.Fatalf("serving generation %d (lost %d), want %d", r.FinalGeneration, r.Lost(), tc.n+1)
			}
			if d := r.Deployments[1]; d.Seq != r.Final.Desired || d.From != ConfigB || d.To != ConfigA {
				t.Fatalf("follow-up %+v, want seq %d from B to A", d, r.Final.Desired)
			}
		})
	}
}

func TestFailingArtifactIsTriedOnceThenTheNextChangeSucceeds(t *testing.T) {
	for _, faults := range []Faults{{}, {Duplicate: 0.5, Jitter: 10 * time.Second}} {
		t.Run(fmt.Sprintf("duplicates=%v", faults.Duplicate), func(t *testing.T) {
			sc := Scenario{Seed: 7, Faults: faults, Uploads: []Upload{{Bad: true}}}
			r := mustRun(t, sc)
			if len(r.Deployments) != 1 || !r.Deployments[0].Failed {
				t.Fatalf("deployments %+v, want exactly one, failed", r.Deployments)
			}
			if res := r.Final.LastResult; res == nil || res.Succeeded || !strings.Contains(res.Reason, "health check") || r.Final.Failed != r.Final.Desired {
				t.Fatalf("the failure is not recorded: %+v, result %+v", r.Final, r.Final.LastResult)
			}
			if n := r.Metrics[refresher.MetricUpdateStarted]; n != 1 || r.Metrics[refresher.MetricUpdateFailed] != 1 {
				t.Fatalf("%d updates started, %d failed in an hour of scheduled reconciles, want 1 and 1", n, r.Metrics[refresher.MetricUpdateFailed])
			}

			sc.Uploads = append(sc.Uploads, Upload{At: 2 * time.Hour})
			r = mustRun(t, sc)
			if len(r.Deployments) != 2 || r.Deployments[1].Failed || r.FinalGeneration != 2 || !r.Final.LastResult.Succeeded {
				t.Fatalf("after a newer upload: deployments %+v, serving generation %d", r.Deployments, r.FinalGeneration)
			}
		})
	}
}

// The quiet period coalesces a multi-file upload into one update when changes are recorded as
// they arrive and a delayed message only triggers the reconcile: the construct's dual queues
// (each change undelayed and delayed by the quiet period). Recording
// only after the queue's delivery delay (the construct's former single delayed queue) splits
// it: the first file's message starts an update, which loads every file, and the files
// recorded after it cause a second one.
func TestWiringAndMultiFileUploads(t *testing.T) {
	const quiet = time.Minute
	upload := []Upload{
		{At: 0, Key: "model/part-0.bin"}, {At: 2 * time.Second, Key: "model/part-1.bin"},
		{At: 4 * time.Second, Key: "model/part-2.bin"}, {At: 6 * time.Second, Key: "model/config.json"},
	}
	last := upload[len(upload)-1].At
	for _, tc := range []struct {
		wiring    Wiring
		want      int
		notBefore time.Duration // the first update starts no earlier
	}{
		{DualQueue, 1, last + quiet},
		{DelayQueue, 2, quiet},
	} {
		t.Run(tc.wiring.String(), func(t *testing.T) {
			r := mustRun(t, Scenario{Seed: 1, QuietPeriod: quiet, Wiring: tc.wiring, Uploads: upload})
			if len(r.Deployments) != tc.want || r.UpdateCalls != tc.want || r.FinalGeneration != len(upload) {
				t.Fatalf("%d deployments, %d UpdateEndpoint calls (serving generation %d), want %d and %d (generation %d)",
					len(r.Deployments), r.UpdateCalls, r.FinalGeneration, tc.want, tc.want, len(upload))
			}
			// The quiet period (plus a few API round trips), no later.
			if start := r.Deployments[0].Start.Sub(r.Start); start < tc.notBefore || start > tc.notBefore+2*time.Second {
				t.Fatalf("update started %v after the first file, want %v to %v", start, tc.notBefore, tc.notBefore+2*time.Second)
			}
			if r.Deployments[0].Generation != len(upload) {
				t.Fatalf("the first update loaded generation %d, want every file (%d)", r.Deployments[0].Generation, len(upload))
			}
		})
	}
	// The construct's wiring is the default.
	if (Scenario{}).Wiring != DualQueue {
		t.Fatalf("the zero Wiring is %s, want %s (the endpoint construct's)", Scenario{}.Wiring, DualQueue)
	}
}

func TestMarkerKeyWaitsForTheMarker(t *testing.T) {
	sc := Scenario{Seed: 3, MarkerKey: "model/_SUCCESS", QuietPeriod: 0, Uploads: []Upload{
		{At: 0, Key: "model/part-0.bin"}, {At: 10 * time.Second, Key: "model/part-1.bin"},
		{At: 20 * time.Minute, Key: "model/_SUCCESS"},
	}}
	r := mustRun(t, sc)
	if len(r.Deployments) != 1 || r.Deployments[0].Start.Sub(r.Start) < 20*time.Minute || r.FinalGeneration != 3 {
		t.Fatalf("deployments %+v, want one, after the marker", r.Deployments)
	}
}

// The lease on unconfirmed intents is what keeps concurrent invocations from racing a second
// UpdateEndpoint into a busy endpoint: without it (the core as first written) the property
// test's checks fail.
func TestIntentLeasePreventsRacingUpdates(t *testing.T) {
	t.Parallel()
	busy, violating := 0, 0
	for seed := uint64(1); seed <= 500; seed++ {
		sc, fam := randomScenario(seed)
		sc.IntentTimeout = time.Nanosecond
		r := mustRun(t, sc)
		busy += r.BusyErrors
		if len(check(r, fam)) > 0 {
			violating++
		}
	}
	if busy == 0 || violating == 0 {
		t.Fatalf("without the lease: %d busy errors, %d violating scenarios; the checks cannot see the race", busy, violating)
	}
	t.Logf("without the intent lease, 500 scenarios: %d UpdateEndpoint calls on a busy endpoint, %d scenarios violate the contract", busy, violating)
}

func TestBaselineLosesWhatArrivesDuringAnUpdate(t *testing.T) {
	sc := Scenario{Seed: 5, Uploads: []Upload{{At: 0}, {At: 10 * time.Second}, {At: 40 * time.Second}, {At: 2 * time.Minute}}}
	tests := []struct {
		executor       Executor
		concurrency    int
		lost, busy     int
		deployments    int
		generation     int
		minUpdateCalls int
	}{
		// 0s: sleeps 30s, swaps (Updating until 5m30s, loading uploads 1 and 2); the other
		// three events each sleep 30s and hit the busy endpoint: dropped. Uploads 3 and 4 are
		// never served.
		{Baseline, 1, 2, 3, 1, 2, 4},
		// Unreserved: every event sleeps 30s in its own invocation; same outcome, sooner.
		{Baseline, -1, 2, 3, 1, 2, 4},
		{SagemakerCD, 0, 0, 0, 2, 4, 2},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/concurrency=%d", tc.executor, tc.concurrency), func(t *testing.T) {
			sc.Executor, sc.BaselineConcurrency = tc.executor, tc.concurrency
			r := mustRun(t, sc)
			if r.Lost() != tc.lost || r.BusyErrors != tc.busy || len(r.Deployments) != tc.deployments ||
				r.FinalGeneration != tc.generation || r.UpdateCalls < tc.minUpdateCalls {
				t.Fatalf("lost %d, busy %d, deployments %d, generation %d, calls %d; want %d, %d, %d, %d, >= %d",
					r.Lost(), r.BusyErrors, len(r.Deployments), r.FinalGeneration, r.UpdateCalls,
					tc.lost, tc.busy, tc.deployments, tc.generation, tc.minUpdateCalls)
			}
		})
	}
}

func TestBaselineDropsEventsOlderThanSixHours(t *testing.T) {
	// Reserved concurrency 1 and a 30 s sleep each: 1000 events take 8 hours to drain.
	sc := Scenario{Seed: 9, Executor: Baseline}
	for i := range 1000 {
		sc.Uploads = append(sc.Uploads, Upload{At: time.Duration(i) * time.Second})
	}
	r := mustRun(t, sc)
	if r.Expired == 0 || r.Expired+r.Invocations != 1000 {
		t.Fatalf("expired %d, invocations %d; want some expired, 1000 in all", r.Expired, r.Invocations)
	}
}

func TestReplayIsDeterministic(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4, 42, 1234} {
		sc, _ := randomScenario(seed)
		sc.Trace = true
		a, b := mustRun(t, sc), mustRun(t, sc)
		if !slices.Equal(a.Trace, b.Trace) || len(a.Trace) == 0 {
			t.Fatalf("seed %d: two runs differ (%d and %d trace lines)", seed, len(a.Trace), len(b.Trace))
		}
	}
}

func TestRunRejectsBadScenarios(t *testing.T) {
	for _, sc := range []Scenario{
		{Uploads: []Upload{{At: time.Minute}, {At: time.Second}}},
		{Uploads: []Upload{{At: -time.Second}}},
		{Executor: Executor(9)},
		{Wiring: Wiring(7)},
		{Refusals: []Refusal{{Code: "Throttling"}}},
	} {
		if _, err := Run(sc); err == nil || !strings.Contains(err.Error(), "run scenario") {
			t.Errorf("Run(%+v) = %v, want an error", sc, err)
		}
	}
}

// TestLatency measures upload-to-serving times (fault-free, single object, quiet period 0)
// against the target p50 <= 1.0 x D and p99 <= 1.7 x D, for uploads at different rates.
func TestLatency(t *testing.T) {
	t.Parallel()
	const d = DefaultUpdateDuration
	for _, tc := range []struct {
		name    string
		meanGap time.Duration
		p50Max  float64 // asserted bound, in D
		p99Max  float64
	}{
		// Retraining-style traffic: most uploads find the endpoint idle.
		{"one upload every 6h on average", 6 * time.Hour, 1.05, 1.7}, // DESIGN: p99 <= 1.7 D
		// Busy traffic: more uploads arrive during an update and wait for it.
		{"one upload every 1h on average", time.Hour, 1.05, 2.05},
		{"one upload every 10m on average", 10 * time.Minute, 1.6, 2.05},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var serving []time.Duration
			for seed := uint64(1); seed <= 40; seed++ {
				rng := rand.New(rand.NewPCG(seed, 1))
				sc := Scenario{Seed: seed, Faults: Faults{Jitter: 2 * time.Second}}
				at := time.Duration(0)
				for range 50 {
					at += time.Duration(rng.ExpFloat64() * float64(tc.meanGap))
					sc.Uploads = append(sc.Uploads, Upload{At: at})
				}
				r := mustRun(t, sc)
				if r.Lost() != 0 {
					t.Fatalf("seed %d lost %d uploads", seed, r.Lost())
				}
				_, s := r.Latencies()
				serving = append(serving, s...)
			}
			p50, p99 := Percentile(serving, 50).Seconds()/d.Seconds(), Percentile(serving, 99).Seconds()/d.Seconds()
			t.Logf("%d uploads: upload -> serving p50 = %.3f x D, p99 = %.3f x D, max = %.3f x D", len(serving), p50, p99, Percentile(serving, 100).Seconds()/d.Seconds())
			if p50 > tc.p50Max || p99 > tc.p99Max {
				t.Errorf("p50 %.3f x D, p99 %.3f x D; want <= %.2f and <= %.2f", p50, p99, tc.p50Max, tc.p99Max)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{50, 5}, {90, 9}, {99, 10}, {100, 10}, {1, 1}} {
		if got := Percentile(ds, tc.p); got != tc.want {
			t.Errorf("Percentile(%v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if Percentile(nil, 50) != 0 {
		t.Error("Percentile(nil) != 0")
	}
}

func mustRun(t *testing.T, sc Scenario) *Result {
	t.Helper()
	r, err := Run(sc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Scenario.Model is the wiring the simulator runs: the construct's queues and routes, for a
// template test to compare.
func TestModelDescribesTheWiring(t *testing.T) {
	for _, tc := range []struct {
		name         string
		sc           Scenario
		changeDelay  time.Duration
		changeQueues []string
	}{
		{"no quiet period", Scenario{}, 0, []string{ChangeQueue}},
		{"quiet period", Scenario{QuietPeriod: 2 * time.Minute}, 2 * time.Minute, []string{ChangeQueue, StateQueue}},
		{"quiet period above SQS's limit", Scenario{QuietPeriod: 20 * time.Minute}, MaxDeliveryDelay, []string{ChangeQueue, StateQueue}},
		{"former single delayed queue", Scenario{QuietPeriod: time.Minute, Wiring: DelayQueue}, time.Minute, []string{ChangeQueue}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.sc.Model()
			change, state := m.queue(ChangeQueue), m.queue(StateQueue)
			if change.DeliveryDelay != tc.changeDelay || state.DeliveryDelay != 0 {
				t.Errorf("delays: change queue %v, state queue %v; want %v and 0", change.DeliveryDelay, state.DeliveryDelay, tc.changeDelay)
			}
			for _, q := range m.Queues {
				if q.VisibilityTimeout != 6*FunctionTimeout || q.MaxReceiveCount != DefaultMaxReceives || q.DeadLetterQueue != DeadLetterQueue ||
					q.BatchSize != BatchSize || q.MaxConcurrency != MaxConcurrency || !q.ReportBatchItemFailures {
					t.Errorf("queue %+v does not have the construct's settings", q)
				}
			}
			if got := m.route(events.SourceS3).Queues; !slices.Equal(got, tc.changeQueues) {
				t.Errorf("S3 changes go to %v, want %v", got, tc.changeQueues)
			}
			if got := m.route(events.SourceSageMaker).Queues; !slices.Equal(got, []string{StateQueue}) {
				t.Errorf("endpoint state changes go to %v, want the state queue", got)
			}
			if s := m.route(events.SourceSchedule); len(s.Queues) != 0 || s.Schedule != DefaultSchedule || s.RetryAttempts != ScheduleRetryAttempts {
				t.Errorf("schedule route %+v, want a direct invocation every %v with %d retries", s, DefaultSchedule, ScheduleRetryAttempts)
			}
		})
	}
}
