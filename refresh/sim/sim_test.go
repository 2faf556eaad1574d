package sim

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/refresh"
)

var (
	flagScenarios = flag.Int("sim.scenarios", 10000, "randomized scenarios in TestProperties")
	flagSeed      = flag.Uint64("sim.seed", 0, "replay only this scenario seed, with a trace")
)

// family is a kind of randomized scenario.
type family int

const (
	famStorm       family = iota // bursts of uploads of one object, no faults
	famFaulty                    // bursts with duplicates, reordering, throttling, crashes, bad artifacts
	famPrefix                    // multi-file uploads under a prefix, quiet period or marker, with faults
	famBurstDuring               // one update, then a burst during it: exactly one follow-up
	numFamilies
)

func (f family) String() string {
	return [...]string{"storm", "faulty", "prefix", "burst-during-update"}[f]
}

// randomScenario derives a whole scenario from its seed.
func randomScenario(seed uint64) (Scenario, family) {
	rng := rand.New(rand.NewPCG(seed, 0x9E3779B97F4A7C15))
	fam := family(seed % uint64(numFamilies))
	sc := Scenario{Seed: seed, UpdateDuration: []time.Duration{2 * time.Minute, 5 * time.Minute, 8 * time.Minute}[rng.IntN(3)],
		Wiring: Wiring(seed / uint64(numFamilies) % 2)}
	d := sc.UpdateDuration
	at := time.Duration(0)
	add := func(u Upload) {
		sc.Uploads = append(sc.Uploads, u)
	}
	switch fam {
	case famBurstDuring:
		sc.QuietPeriod = []time.Duration{0, 0, 20 * time.Second}[rng.IntN(3)]
		sc.Faults = Faults{Duplicate: 0.2 * rng.Float64(), Jitter: time.Duration(rng.IntN(10)) * time.Second}
		add(Upload{})
		// The first update starts by Q + jitter + a second; the burst is over (and recorded)
		// well before it ends.
		lo, hi := sc.QuietPeriod+30*time.Second, d-sc.QuietPeriod-40*time.Second
		n := 1 + rng.IntN(40)
		times := make([]time.Duration, n)
		for i := range times {
			times[i] = lo + time.Duration(rng.Int64N(int64(hi-lo)))
		}
		slices.Sort(times)
		for _, t := range times {
			add(Upload{At: t})
		}
		return sc, fam
	case famFaulty, famPrefix:
		sc.Faults = Faults{
			Duplicate: 0.3 * rng.Float64(),
			Jitter:    time.Duration(rng.IntN(30)) * time.Second,
			Throttle:  0.2 * rng.Float64(),
			Crash:     0.1 * rng.Float64(),
		}
	}
	prefix := fam == famPrefix
	if prefix {
		// S3-prefix models need a quiet period longer than an upload (5 s) plus the delivery
		// jitter, or a completion marker (then the quiet period does not matter).
		sc.QuietPeriod = []time.Duration{time.Minute, 2 * time.Minute}[rng.IntN(2)]
		if rng.IntN(3) == 0 {
			sc.MarkerKey = "model/_SUCCESS"
			sc.QuietPeriod = []time.Duration{0, time.Minute}[rng.IntN(2)]
		}
	}
	bursts := 1 + rng.IntN(4)
	for range bursts {
		at += time.Duration(rng.Int64N(int64(40 * time.Minute)))
		n := 1 + rng.IntN(25)
		window := time.Duration(rng.Int64N(int64(10 * time.Minute)))
		bad := fam != famStorm && rng.IntN(6) == 0
		step := window / time.Duration(n)
		if prefix {
			step = max(step, 6*time.Second) // a multi-file upload takes up to 5 s
		}
		for i := range n {
			t := at + time.Duration(i)*step
			if !prefix {
				add(Upload{At: t, Bad: bad && i == n-1})
				continue
			}
			// A multi-file model: a few parts a second apart, then the marker when configured.
			parts := 1 + rng.IntN(4)
			for j := range parts {
				add(Upload{At: t + time.Duration(j)*time.Second, Key: fmt.Sprintf("model/part-%d.bin", j)})
			}
			if sc.MarkerKey != "" {
				add(Upload{At: t + time.Duration(parts)*time.Second, Key: sc.MarkerKey})
			}
			sc.Uploads[len(sc.Uploads)-1].Bad = bad && i == n-1
		}
		at = sc.Uploads[len(sc.Uploads)-1].At
		if bad {
			// Leave the failing artifacts alone long enough to see that nobody retries them.
			at += 90 * time.Minute
		}
	}
	if last := sc.Uploads[len(sc.Uploads)-1]; last.Bad {
		// A later upload must succeed again.
		key := last.Key
		if sc.MarkerKey != "" {
			key = sc.MarkerKey
		}
		add(Upload{At: at + time.Minute, Key: key})
	}
	return sc, fam
}

// check returns every violated property of a SagemakerCD run.
func check(r *Result, fam family) []string {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	last := r.LastUpload()
	if r.BusyErrors != 0 {
		fail("%d UpdateEndpoint calls on a busy endpoint", r.BusyErrors)
	}
	if r.IntentMismatches != 0 {
		fail("%d UpdateEndpoint calls without holding the stored intent", r.IntentMismatches)
	}
	for i, d := range r.Deployments {
		if d.End.IsZero() {
			fail("deployment %d never ended", i)
		}
		if i > 0 && d.Seq <= r.Deployments[i-1].Seq {
			fail("deployment %d deploys seq %d after seq %d: the same changes were deployed twice", i, d.Seq, r.Deployments[i-1].Seq)
		}
	}
	// No lost updates: after the last upload, the endpoint serves a deployment that started after it.
	if r.FinalGeneration != last.Generation || r.FinalStatus != "InService" {
		fail("lost update: the endpoint serves generation %d (%s), the last upload is generation %d at %v",
			r.FinalGeneration, r.FinalStatus, last.Generation, last.At)
	}
	if r.Final.InFlight != nil || r.Final.Pending() {
		fail("the stored state is not settled: %+v in flight %+v", r.Final, r.Final.InFlight)
	}
	// Every deployment's end is reported exactly once.
	var failed, succeeded int
	for _, d := range r.Deployments {
		if d.Failed {
			failed++
		} else {
			succeeded++
		}
	}
	if r.Events[refresh.EventUpdateFailed] != failed || r.Events[refresh.EventUpdateSucceeded] != succeeded {
		fail("reported %d failed and %d succeeded updates; %d failed and %d succeeded", r.Events[refresh.EventUpdateFailed], r.Events[refresh.EventUpdateSucceeded], failed, succeeded)
	}
	// A failing artifact is tried exactly once after its change was recorded, then left alone.
	for _, u := range r.Uploads {
		if !u.Bad {
			continue
		}
		if u.RecordedSeq == 0 {
			fail("bad upload %d was never recorded", u.Generation)
			continue
		}
		var tries []Deployment
		for _, d := range r.Deployments {
			if d.Generation == u.Generation && d.Seq >= u.RecordedSeq {
				tries = append(tries, d)
			}
		}
		// With the construct's delay queue, a multi-file upload recorded after the delay is
		// deployed on its first file's message and once more for the files recorded during that
		// update (TestWiringAndMultiFileUploads): at most two tries, then none.
		maxTries := 1
		if r.Scenario.Wiring == DelayQueue && fam == famPrefix && r.Scenario.MarkerKey == "" {
			maxTries = 2
		}
		if len(tries) < 1 || len(tries) > maxTries || !tries[0].Failed {
			fail("bad upload %d (recorded as seq %d) was deployed %d times after it was recorded, want 1 to %d: %+v", u.Generation, u.RecordedSeq, len(tries), maxTries, tries)
		}
	}
	if fam == famBurstDuring && len(r.Deployments) != 2 {
		fail("a burst of %d uploads during an update caused %d updates in all, want 1 + 1 follow-up", len(r.Uploads)-1, len(r.Deployments))
	}
	if fam == famStorm || fam == famBurstDuring {
		// Fault-free: wait for the in-flight update, then one more (plus the quiet period and
		// the delivery delays of the change and of the state change that ends the update).
		bound := 2*r.Scenario.UpdateDuration + r.Scenario.QuietPeriod + 2*r.Scenario.Faults.Jitter + 10*time.Second
		for _, u := range r.Uploads {
			if lat := u.Serving.Sub(r.Start.Add(u.At)); lat > bound {
				fail("upload %d served after %v, bound %v", u.Generation, lat, bound)
			}
		}
	}
	return bad
}

func TestProperties(t *testing.T) {
	if *flagSeed != 0 {
		replay(t, *flagSeed)
		return
	}
	const workers = 4
	type stats struct {
		sync.Mutex
		scenarios, uploads, calls, conflicts, crashes, throttled, failedDeploys, deadLetters int
		byFamily                                                                             [numFamilies]int
	}
	var total stats
	for wk := range workers {
		t.Run(fmt.Sprintf("worker%d", wk), func(t *testing.T) {
			t.Parallel()
			var s stats
			for i := wk; i < *flagScenarios; i += workers {
				seed := uint64(i + 1)
				sc, fam := randomScenario(seed)
				r, err := Run(sc)
				if err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				if v := check(r, fam); len(v) > 0 {
					t.Errorf("scenario seed %d (%s, %s, %d uploads) violates the contract (replay: go test ./refresh/sim/ -run TestProperties -sim.seed=%d -v):\n  %s",
						seed, fam, sc.Wiring, len(sc.Uploads), seed, strings.Join(v, "\n  "))
					continue
				}
				s.scenarios++
				s.byFamily[fam]++
				s.uploads += len(r.Uploads)
				s.calls += r.UpdateCalls
				s.conflicts += r.Conflicts
				s.crashes += r.Crashes
				s.throttled += r.Throttled
				s.deadLetters += r.DeadLetters
				for _, d := range r.Deployments {
					if d.Failed {
						s.failedDeploys++
					}
				}
			}
			total.Lock()
			defer total.Unlock()
			total.scenarios += s.scenarios
			total.uploads += s.uploads
			total.calls += s.calls
			total.conflicts += s.conflicts
			total.crashes += s.crashes
			total.throttled += s.throttled
			total.failedDeploys += s.failedDeploys
			total.deadLetters += s.deadLetters
			for f := range s.byFamily {
				total.byFamily[f] += s.byFamily[f]
			}
		})
	}
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		t.Logf("%d scenarios passed (%v), %d uploads, %d UpdateEndpoint calls, %d failed deployments, %d write conflicts, %d crashes, %d throttled calls, %d dead letters",
			total.scenarios, total.byFamily, total.uploads, total.calls, total.failedDeploys, total.conflicts, total.crashes, total.throttled, total.deadLetters)
		// The faults must really have happened, or the properties prove little.
		for name, n := range map[string]int{"conflicts": total.conflicts, "crashes": total.crashes, "throttled": total.throttled, "failed deployments": total.failedDeploys} {
			if *flagScenarios >= 1000 && n < 100 {
				t.Errorf("only %d %s in %d scenarios: the fault injection is not exercising the executor", n, name, total.scenarios)
			}
		}
	})
}

func replay(t *testing.T, seed uint64) {
	sc, fam := randomScenario(seed)
	sc.Trace = true
	r, err := Run(sc)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range r.Trace {
		t.Log(line)
	}
	t.Logf("scenario %d (%s): %d uploads, deployments %+v", seed, fam, len(sc.Uploads), r.Deployments)
	if v := check(r, fam); len(v) > 0 {
		t.Errorf("violations:\n  %s", strings.Join(v, "\n  "))
	}
}
