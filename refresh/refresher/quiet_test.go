package refresher_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/events"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher/refreshertest"
)

// reconciled is one "reconciled" log line of the refresher.
type reconciled struct {
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
	Started  bool   `json:"started"`
}

// passes returns the reconcile passes logged in logs (JSON lines), in order.
func passes(t *testing.T, logs string) []reconciled {
	t.Helper()
	var out []reconciled
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var l struct {
			Msg string `json:"msg"`
			reconciled
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if l.Msg == "reconciled" {
			out = append(out, l.reconciled)
		}
	}
	return out
}

// TestQuietPeriodDualQueues is the endpoint construct's quiet-period wiring in the emulator: the
// S3 rule sends each change to an undelayed queue and to a queue whose delivery delay is the
// quiet period. A multi-file upload is recorded file by file as it happens (the endpoint waits:
// quiet period), and the delayed copies start exactly one update, which loads every file.
func TestQuietPeriodDualQueues(t *testing.T) {
	const quiet = 3 * time.Second
	ctx := context.Background()
	s := newStack(t, refreshertest.Options{Name: "quiet", UpdateSeconds: 1, QuietPeriod: quiet})
	var metrics, logs bytes.Buffer
	h := s.Handler(&metrics, &logs)
	a, b := s.Config.ConfigA, s.Config.ConfigB
	prefix := s.Config.Watch.Filters[0].Prefix

	// Three files within about a second, each fed to the handler from the undelayed queue as it
	// arrives: recorded, and the endpoint waits for the quiet period.
	start := time.Now()
	for i := range 3 {
		if i > 0 {
			time.Sleep(400 * time.Millisecond)
		}
		key := fmt.Sprintf("%spart-%d.bin", prefix, i)
		if err := s.Upload(ctx, key, "bytes of "+key); err != nil {
			t.Fatal(err)
		}
		msgs, err := s.Receive(ctx, 1, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		feed(t, h, s.SQSEvent(msgs))
		ps := passes(t, logs.String())
		if last := ps[len(ps)-1]; last.Decision != "wait" || !strings.HasPrefix(last.Reason, "quiet period") || last.Started {
			t.Fatalf("after file %d from the undelayed queue: pass %+v, want a wait for the quiet period", i, last)
		}
	}
	if el := time.Since(start); el >= quiet {
		t.Fatalf("recording the undelayed copies took %v, not less than the quiet period %v: the queues cannot be told apart", el, quiet)
	}
	expectEndpoint(t, s, "InService", a, 0)
	if st := loadState(t, s); st.Desired != 3 || st.Deployed != 0 || st.InFlight != nil {
		t.Fatalf("state after the undelayed copies: %+v, want desired 3, deployed 0, nothing in flight", st)
	}
	if early, err := s.ReceiveDelayed(ctx, 0, 0); err != nil || len(early) != 0 {
		t.Fatalf("delayed queue before the quiet period: %d messages (%v), want none", len(early), err)
	}
	undelayedPasses := len(passes(t, logs.String()))

	// The delayed copies arrive after the quiet period; fed as they arrive, they start one update.
	for got := 0; got < 3; {
		msgs, err := s.ReceiveDelayed(ctx, 1, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el < quiet {
			t.Fatalf("a delayed copy arrived %v after the first upload, before the quiet period %v", el, quiet)
		}
		got += len(msgs)
		feed(t, h, s.DelayedSQSEvent(msgs))
	}
	var started int
	for _, p := range passes(t, logs.String())[undelayedPasses:] {
		if p.Started {
			started++
		}
	}
	if started != 1 {
		t.Fatalf("the delayed copies started %d updates, want 1; passes: %+v", started, passes(t, logs.String()))
	}
	waitInService(t, s, b)
	mustInvoke(t, h, stateChange(t, s, events.EndpointStatusInService))
	expectEndpoint(t, s, "InService", b, 1)
	if st := loadState(t, s); st.Desired != 3 || st.Deployed != 3 || st.InFlight != nil || st.LastResult == nil || !st.LastResult.Succeeded {
		t.Fatalf("final state %+v (result %+v), want deployed == desired == 3, succeeded", st, st.LastResult)
	}
	counts := metricCounts(t, metrics.String())
	for name, n := range map[string]float64{
		refresher.MetricChangeRecorded: 3, refresher.MetricDuplicateIgnored: 3,
		refresher.MetricUpdateStarted: 1, refresher.MetricUpdateSucceeded: 1,
	} {
		if counts[name] != n {
			t.Errorf("metric %s = %v, want %v (all: %v)", name, counts[name], n, counts)
		}
	}
}
