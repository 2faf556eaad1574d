package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

// UpdateEndpoint is not idempotent: when SageMaker accepted the call and its answer was lost,
// the refresher must neither let the SDK retry it blindly (the retry answers "Cannot update
// in-progress endpoint") nor start a second update of the same changes once the first ends.
func TestLostUpdateEndpointAnswerIsOneUpdate(t *testing.T) {
	for _, quiet := range []time.Duration{0, time.Minute} {
		t.Run(quiet.String(), func(t *testing.T) {
			sc := Scenario{Seed: 11, QuietPeriod: quiet, Faults: Faults{LostAnswer: 1}, Uploads: []Upload{{At: 0}, {At: 20 * time.Minute}}}
			r := mustRun(t, sc)
			if r.LostAnswers == 0 {
				t.Fatal("no lost answers: the fault is not injected")
			}
			if r.SDKRetries != 0 || r.BusyErrors != 0 {
				t.Errorf("the SDK retried UpdateEndpoint %d time(s), %d call(s) found our own update in progress; want one attempt and none", r.SDKRetries, r.BusyErrors)
			}
			if len(r.Deployments) != 2 || r.FinalGeneration != 2 || r.Lost() != 0 {
				t.Errorf("deployments %+v, serving generation %d; want 2 deployments, generation 2", r.Deployments, r.FinalGeneration)
			}
			if v := check(r, famLostAnswer); len(v) > 0 {
				t.Errorf("violations:\n  %s", strings.Join(v, "\n  "))
			}
		})
	}
}

// A permanent refusal (ResourceLimitExceeded, AccessDenied, a ValidationException other than
// "in progress") is booked as a failed deployment of those changes: UpdateFailed, not retried
// (no redelivery loop, no dead letters), and the next change tries again.
func TestPermanentRefusalIsBookedAsFailedOnce(t *testing.T) {
	for _, code := range []string{RefuseResourceLimit, RefuseAccessDenied, RefuseValidation} {
		t.Run(code, func(t *testing.T) {
			sc := Scenario{Seed: 5, Uploads: []Upload{{At: 0}},
				Refusals: []Refusal{{From: 0, Until: 40 * time.Minute, Code: code}}}
			r := mustRun(t, sc)
			if len(r.Refusals) != 1 || len(r.Deployments) != 0 {
				t.Fatalf("%d refused calls, %d deployments; want the refused changes tried once and left alone: %+v", len(r.Refusals), len(r.Deployments), r.Refusals)
			}
			if r.Metrics[refresher.MetricUpdateFailed] != 1 || r.DeadLetters != 0 {
				t.Errorf("UpdateFailed metric %d, dead letters %d; want 1 and 0", r.Metrics[refresher.MetricUpdateFailed], r.DeadLetters)
			}
			if res := r.Final.LastResult; res == nil || res.Succeeded || r.Final.Failed != r.Final.Desired || r.Final.InFlight != nil {
				t.Errorf("the refusal is not booked as a failed deployment: desired %d, failed %d, result %+v", r.Final.Desired, r.Final.Failed, res)
			}

			sc.Uploads = append(sc.Uploads, Upload{At: time.Hour})
			r = mustRun(t, sc)
			if len(r.Refusals) != 1 || len(r.Deployments) != 1 || r.FinalGeneration != 2 || !r.Final.LastResult.Succeeded {
				t.Errorf("after a newer change: %d refused calls, deployments %+v, serving generation %d; want 1, one deployment, 2", len(r.Refusals), r.Deployments, r.FinalGeneration)
			}
		})
	}
}

// Autoscaling (Updating on the same config) and maintenance (SystemUpdating) move the endpoint
// too: the refresher waits for them, and books neither as its own update.
func TestOtherActorsAreNotOurUpdates(t *testing.T) {
	for _, maintenance := range []bool{false, true} {
		sc := Scenario{Seed: 3, Uploads: []Upload{{At: 0}, {At: 7 * time.Minute}},
			Activities: []Activity{{At: 6 * time.Minute, Duration: 3 * time.Minute, Maintenance: maintenance}, {At: 30 * time.Minute, Duration: 2 * time.Minute}}}
		r := mustRun(t, sc)
		if r.Activities != 2 || len(r.Deployments) != 2 || r.FinalGeneration != 2 {
			t.Fatalf("maintenance=%v: %d activities, deployments %+v, serving generation %d; want 2, 2, 2", maintenance, r.Activities, r.Deployments, r.FinalGeneration)
		}
		// The second upload waits for the other actor, then updates when it ends (9 minutes).
		if start := r.Deployments[1].Start.Sub(r.Start); start < 9*time.Minute || start > 9*time.Minute+10*time.Second {
			t.Errorf("maintenance=%v: the second update started at %v, want just after the other actor finished at 9m", maintenance, start)
		}
		if v := check(r, famActivity); len(v) > 0 {
			t.Errorf("maintenance=%v: violations:\n  %s", maintenance, strings.Join(v, "\n  "))
		}
	}
}

// A 10,000-file upload with 1,024-byte keys under a quiet period is exactly one update, and the
// state item stays small: every write fits DynamoDB's item limit with room to spare.
func TestTenThousandFileUploadIsOneUpdate(t *testing.T) {
	const files = 10000
	sc := Scenario{Seed: 10, QuietPeriod: 2 * time.Minute, Faults: Faults{Duplicate: 0.05, Jitter: 3 * time.Second}}
	for j := range files {
		sc.Uploads = append(sc.Uploads, Upload{At: time.Duration(j) * 10 * time.Millisecond, Key: longKey(j)})
	}
	r := mustRun(t, sc)
	if len(r.Deployments) != 1 || r.FinalGeneration != files || r.UpdateCalls != 1 {
		t.Fatalf("%d deployments, %d UpdateEndpoint calls, serving generation %d; want one update loading all %d files", len(r.Deployments), r.UpdateCalls, r.FinalGeneration, files)
	}
	const bound = refresher.MaxStateItemBytes
	if r.TooLarge != 0 || r.MaxItemBytes > bound {
		t.Errorf("largest state item %d bytes (%d writes refused as too large), want at most %d", r.MaxItemBytes, r.TooLarge, bound)
	}
	t.Logf("%d files with %d-byte keys: %d invocations, %d state writes (%d write units, %.2f per write), largest item %d bytes",
		files, len(longKey(0)), r.Invocations, r.Writes, r.WriteUnits, float64(r.WriteUnits)/float64(max(r.Writes, 1)), r.MaxItemBytes)
	if v := check(r, famLongKeys); len(v) > 0 {
		t.Errorf("violations:\n  %s", strings.Join(v, "\n  "))
	}
}
