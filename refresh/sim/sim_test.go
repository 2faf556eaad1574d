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
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
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
	famMultiFile                 // multi-file uploads far apart, quiet period, with faults: one update each
	famLostAnswer                // bursts whose UpdateEndpoint answers get lost (connection reset)
	famRefused                   // bursts while SageMaker refuses UpdateEndpoint for good for a while
	famActivity                  // bursts while autoscaling and maintenance keep moving the endpoint
	famLongKeys                  // uploads of hundreds of files with 1,024-byte keys, quiet period
	numFamilies
)

func (f family) String() string {
	return [...]string{"storm", "faulty", "prefix", "burst-during-update", "multi-file", "lost-answer", "refused", "activity", "long-keys"}[f]
}

// families are the families TestProperties draws from, in turn by seed.
var families = []family{famStorm, famFaulty, famPrefix, famBurstDuring, famMultiFile, famLostAnswer, famRefused, famActivity, famLongKeys}

// randomScenario derives a whole scenario from its seed.
func randomScenario(seed uint64) (Scenario, family) {
	return familyScenario(seed, families[seed%uint64(len(families))])
}

// familyScenario derives a scenario of family fam from seed.
func familyScenario(seed uint64, fam family) (Scenario, family) {
	rng := rand.New(rand.NewPCG(seed, 0x9E3779B97F4A7C15))
	sc := Scenario{Seed: seed, UpdateDuration: []time.Duration{2 * time.Minute, 5 * time.Minute, 8 * time.Minute}[rng.IntN(3)],
		Wiring: Wiring(seed / uint64(len(families)) % uint64(numWirings))}
	d := sc.UpdateDuration
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
	case famMultiFile:
		multiFileUploads(&sc, rng)
		return sc, fam
	case famLongKeys:
		longKeyUploads(&sc, rng)
		return sc, fam
	case famFaulty, famPrefix:
		sc.Faults = Faults{
			Duplicate:     0.3 * rng.Float64(),
			Jitter:        time.Duration(rng.IntN(30)) * time.Second,
			Throttle:      0.2 * rng.Float64(),
			ThrottleStore: 0.1 * rng.Float64(),
			Crash:         0.1 * rng.Float64(),
		}
	case famLostAnswer:
		sc.Faults = Faults{
			Duplicate:  0.2 * rng.Float64(),
			Jitter:     time.Duration(rng.IntN(10)) * time.Second,
			Crash:      0.05 * rng.Float64(),
			LostAnswer: 0.2 + 0.6*rng.Float64(),
		}
	case famRefused:
		sc.Faults = Faults{Duplicate: 0.2 * rng.Float64(), Jitter: time.Duration(rng.IntN(10)) * time.Second, Crash: 0.05 * rng.Float64()}
	case famActivity:
		sc.Faults = Faults{Duplicate: 0.2 * rng.Float64(), Jitter: time.Duration(rng.IntN(10)) * time.Second, Crash: 0.1 * rng.Float64()}
	}
	storms(&sc, fam, rng)
	switch fam {
	case famRefused:
		refusals(&sc, rng)
	case famActivity:
		activities(&sc, rng)
	}
	return sc, fam
}

// storms fills sc with one to four bursts of uploads (of model.tar.gz, or multi-file uploads
// under a prefix for famPrefix), some of them bad.
func storms(sc *Scenario, fam family, rng *rand.Rand) {
	add := func(u Upload) {
		sc.Uploads = append(sc.Uploads, u)
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
	at := time.Duration(0)
	bursts := 1 + rng.IntN(4)
	for range bursts {
		at += time.Duration(rng.Int64N(int64(40 * time.Minute)))
		n := 1 + rng.IntN(25)
		window := time.Duration(rng.Int64N(int64(10 * time.Minute)))
		// Refused updates are booked as failed like bad artifacts; keep the two apart.
		bad := fam != famStorm && fam != famRefused && rng.IntN(6) == 0
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
}

// refusals adds one or two windows in which SageMaker refuses every UpdateEndpoint for good,
// placed among the uploads, and a last upload after them: it must be served.
func refusals(sc *Scenario, rng *rand.Rand) {
	span := sc.Uploads[len(sc.Uploads)-1].At
	codes := []string{RefuseResourceLimit, RefuseAccessDenied, RefuseValidation}
	end := time.Duration(0)
	for range 1 + rng.IntN(2) {
		from := time.Duration(rng.Int64N(int64(span + time.Minute)))
		rf := Refusal{From: from, Until: from + 5*time.Minute + time.Duration(rng.Int64N(int64(40*time.Minute))), Code: codes[rng.IntN(len(codes))]}
		sc.Refusals = append(sc.Refusals, rf)
		end = max(end, rf.Until)
	}
	last := max(end, span) + time.Minute + time.Duration(rng.Int64N(int64(10*time.Minute)))
	sc.Uploads = append(sc.Uploads, Upload{At: last})
}

// activities adds other actors' work on the endpoint every 3 to 20 minutes over the scenario:
// autoscaling (Updating on the same config, 30 s to 4 min) and maintenance (SystemUpdating, 2 to
// 10 min).
func activities(sc *Scenario, rng *rand.Rand) {
	end := sc.Uploads[len(sc.Uploads)-1].At + 30*time.Minute
	for at := time.Duration(rng.Int64N(int64(10 * time.Minute))); at < end; at += 3*time.Minute + time.Duration(rng.Int64N(int64(17*time.Minute))) {
		a := Activity{At: at, Duration: 30*time.Second + time.Duration(rng.Int64N(int64(210*time.Second)))}
		if rng.IntN(5) == 0 {
			a = Activity{At: at, Duration: 2*time.Minute + time.Duration(rng.Int64N(int64(8*time.Minute))), Maintenance: true}
		}
		sc.Activities = append(sc.Activities, a)
	}
}

// longKey is the key of file j of a multi-file upload, padded to S3's longest key (1,024 bytes).
func longKey(j int) string {
	suffix := fmt.Sprintf("/part-%d.bin", j)
	return WatchedPrefix + "/" + strings.Repeat("k", 1024-len(WatchedPrefix)-1-len(suffix)) + suffix
}

// longKeyUploads fills a famLongKeys scenario: one or two uploads of 20 to 120 files with
// 1,024-byte keys, 20 to 200 ms apart, 30 to 60 minutes apart, with a quiet period of one or two
// minutes and mild faults.
func longKeyUploads(sc *Scenario, rng *rand.Rand) {
	sc.QuietPeriod = []time.Duration{time.Minute, 2 * time.Minute}[rng.IntN(2)]
	sc.Faults = Faults{Duplicate: 0.1 * rng.Float64(), Jitter: time.Duration(rng.IntN(6)) * time.Second, Crash: 0.02 * rng.Float64(), Throttle: 0.05 * rng.Float64()}
	at := time.Duration(rng.Int64N(int64(5 * time.Minute)))
	for range 1 + rng.IntN(2) {
		files := 20 + rng.IntN(101)
		gap := 20*time.Millisecond + time.Duration(rng.Int64N(int64(180*time.Millisecond)))
		for j := range files {
			sc.Uploads = append(sc.Uploads, Upload{At: at, Key: longKey(j)})
			at += gap
		}
		at += 30*time.Minute + time.Duration(rng.Int64N(int64(30*time.Minute)))
	}
}

// multiFileUploads fills a famMultiFile scenario: one to four multi-file uploads (2 to 6 files,
// model/part-0.bin first, 1 or 2 s apart) 20 to 60 minutes apart, some of them bad, with faults
// whose delivery jitter (at most 10 s) plus an upload's length (at most 10 s) stays below the
// quiet period (30 s to 2 min): a quiet period the construct's documentation asks for.
func multiFileUploads(sc *Scenario, rng *rand.Rand) {
	sc.QuietPeriod = []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute}[rng.IntN(3)]
	sc.Faults = Faults{
		Duplicate: 0.3 * rng.Float64(),
		Jitter:    time.Duration(rng.IntN(11)) * time.Second,
		Throttle:  0.2 * rng.Float64(),
		Crash:     0.1 * rng.Float64(),
	}
	at := time.Duration(rng.Int64N(int64(10 * time.Minute)))
	upload := func(bad bool) {
		files := 2 + rng.IntN(5)
		for j := range files {
			sc.Uploads = append(sc.Uploads, Upload{At: at, Key: fmt.Sprintf("model/part-%d.bin", j), Bad: bad && j == files-1})
			if j < files-1 {
				at += time.Duration(1+rng.IntN(2)) * time.Second
			}
		}
		at += 20*time.Minute + time.Duration(rng.Int64N(int64(40*time.Minute)))
	}
	for range 1 + rng.IntN(4) {
		upload(rng.IntN(4) == 0)
	}
	if sc.Uploads[len(sc.Uploads)-1].Bad {
		// A later upload must succeed again.
		upload(false)
	}
}

// triesOf lists the deployments of u's generation that started after its change was recorded.
func triesOf(r *Result, u UploadOutcome) []Deployment {
	var tries []Deployment
	for _, d := range r.Deployments {
		if d.Generation == u.Generation && d.Seq >= u.RecordedSeq {
			tries = append(tries, d)
		}
	}
	return tries
}

// check returns every violated property of a SagemakerCD run.
func check(r *Result, fam family) []string {
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	last := r.LastUpload()
	if r.BusyErrors != 0 {
		fail("%d UpdateEndpoint calls on an endpoint busy with our own update (the SDK's automatic retries included)", r.BusyErrors)
	}
	if r.IntentMismatches != 0 {
		fail("%d UpdateEndpoint calls without holding the stored intent", r.IntentMismatches)
	}
	if r.Restless {
		fail("the run did not come to rest %v after the horizon: %d deployments, %d UpdateEndpoint calls", RestDeadline, len(r.Deployments), r.UpdateCalls)
	}
	if r.TooLarge != 0 {
		fail("%d state writes refused: the item exceeded DynamoDB's %d bytes (largest %d)", r.TooLarge, MaxItemBytes, r.MaxItemBytes)
	}
	for i, d := range r.Deployments {
		if d.End.IsZero() {
			fail("deployment %d never ended", i)
		}
	}
	// No redundant update: every UpdateEndpoint that SageMaker accepted or refused for good
	// carries newer changes than the one before (a refused deployment is not retried until a
	// newer change arrives).
	type call struct {
		at   time.Time
		seq  int64
		what string
	}
	var calls []call
	for i, d := range r.Deployments {
		calls = append(calls, call{d.Start, d.Seq, fmt.Sprintf("deployment %d", i)})
	}
	for i, rf := range r.Refusals {
		calls = append(calls, call{rf.At, rf.Seq, fmt.Sprintf("refused call %d (%s)", i, rf.Code)})
	}
	slices.SortStableFunc(calls, func(a, b call) int { return a.at.Compare(b.at) })
	for i := 1; i < len(calls); i++ {
		if calls[i].seq <= calls[i-1].seq {
			fail("%s at %v carries seq %d after %s carried seq %d: the same changes were tried twice",
				calls[i].what, calls[i].at.Sub(r.Start), calls[i].seq, calls[i-1].what, calls[i-1].seq)
		}
	}
	// No lost updates: after the last upload, the endpoint serves a deployment that started after it.
	if r.FinalGeneration != last.Generation || r.FinalStatus != refresh.StatusInService {
		fail("lost update: the endpoint serves generation %d (%s), the last upload is generation %d at %v",
			r.FinalGeneration, r.FinalStatus, last.Generation, last.At)
	}
	if r.Final.InFlight != nil || r.Final.Pending() {
		fail("the stored state is not settled: desired %d, deployed %d, failed %d, in flight %+v", r.Final.Desired, r.Final.Deployed, r.Final.Failed, r.Final.InFlight)
	}
	// Every deployment's end and every permanent refusal is reported exactly once (UpdateFailed
	// drives the alarm), and nobody else's work on the endpoint is.
	var failed, succeeded int
	for _, d := range r.Deployments {
		if d.Failed {
			failed++
		} else {
			succeeded++
		}
	}
	failed += len(r.Refusals)
	// An invocation that crashes after storing an outcome and before writing its metric loses
	// that metric (the stored state keeps the outcome): with crashes, at most as many.
	gotFailed, gotSucceeded := r.Metrics[refresher.MetricUpdateFailed], r.Metrics[refresher.MetricUpdateSucceeded]
	if gotFailed > failed || gotSucceeded > succeeded || (r.Crashes == 0 && (gotFailed != failed || gotSucceeded != succeeded)) {
		fail("metrics count %d failed and %d succeeded updates; there were %d failed (%d refused) and %d succeeded (%d crashes)",
			gotFailed, gotSucceeded, failed, len(r.Refusals), succeeded, r.Crashes)
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
		tries := triesOf(r, u)
		// With the construct's former single delay queue, a multi-file upload recorded after the
		// delay is deployed on its first file's message and once more for the files recorded
		// during that update (TestWiringAndMultiFileUploads): at most two tries, then none. The
		// construct's dual queues (and recording on arrival) try it exactly once.
		maxTries := 1
		if r.Scenario.Wiring == DelayQueue && (fam == famPrefix || fam == famMultiFile) && r.Scenario.MarkerKey == "" {
			maxTries = 2
		}
		if len(tries) < 1 || len(tries) > maxTries || !tries[0].Failed {
			fail("bad upload %d (recorded as seq %d) was deployed %d times after it was recorded, want 1 to %d: %+v", u.Generation, u.RecordedSeq, len(tries), maxTries, tries)
		}
	}
	if (fam == famMultiFile || fam == famLongKeys) && r.Scenario.Wiring != DelayQueue {
		_, violations := multiFileViolations(r)
		bad = append(bad, violations...)
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

// multiFile is one multi-file upload: its files' generations, first to last, and the last
// file's time.
type multiFile struct {
	first, last int
	lastAt      time.Duration
}

// multiFiles groups a famMultiFile or famLongKeys scenario's uploads: each multi-file upload
// starts with a key ending in /part-0.bin.
func multiFiles(us []UploadOutcome) []multiFile {
	var out []multiFile
	for _, u := range us {
		if strings.HasSuffix(u.Key, "/part-0.bin") || len(out) == 0 {
			out = append(out, multiFile{first: u.Generation})
		}
		out[len(out)-1].last, out[len(out)-1].lastAt = u.Generation, u.At
	}
	return out
}

// settled reports whether g started on a settled endpoint: every earlier deployment over and
// the earlier uploads loaded (then nothing but g can start an update while g is uploaded).
func (g multiFile) settled(r *Result) bool {
	firstAt := r.Start.Add(r.Uploads[g.first-1].At)
	loaded := 0
	for _, d := range r.Deployments {
		if d.Start.Before(firstAt) {
			if d.End.IsZero() || !d.End.Before(firstAt) {
				return false
			}
			loaded = max(loaded, d.Generation)
		}
	}
	return loaded >= g.first-1
}

// multiFileViolations checks that each multi-file upload that starts on a settled endpoint is
// exactly one update, which loads every file and starts no earlier than the quiet period after
// the last file. It returns how many uploads it checked and the violations.
func multiFileViolations(r *Result) (checked int, bad []string) {
	for _, g := range multiFiles(r.Uploads) {
		if !g.settled(r) {
			continue
		}
		checked++
		var loading []Deployment
		for _, d := range r.Deployments {
			if d.Generation >= g.first && d.Generation <= g.last {
				loading = append(loading, d)
			}
		}
		// EventBridge stamps events in whole seconds: the quiet period runs from the last
		// file's second.
		if len(loading) != 1 || loading[0].Generation != g.last || loading[0].Start.Before(r.Start.Add(g.lastAt+r.Scenario.QuietPeriod-time.Second)) {
			bad = append(bad, fmt.Sprintf("multi-file upload of generations %d..%d (last file at %v, quiet period %v): deployments %+v, want one, loading generation %d, starting after the quiet period",
				g.first, g.last, g.lastAt, r.Scenario.QuietPeriod, loading, g.last))
		}
	}
	return checked, bad
}

// propStats are TestProperties' figures.
type propStats struct {
	scenarios, uploads, calls, conflicts, crashes, throttled, failedDeploys, deadLetters int
	lostAnswers, refusals, activities, busyOther, writes, writeUnits, maxItemBytes       int
	byFamily                                                                             [numFamilies]int
	byWiring                                                                             [numWirings]int
	// multiFiles counts the settled multi-file uploads checked (famMultiFile), split those that
	// were more than one update (possible only with the former delay-queue wiring: for the
	// others it fails the scenario), by wiring.
	multiFiles, split [numWirings]int
	// bad counts the bad multi-file artifacts (no marker), badTries is the most deployments of
	// one, by wiring.
	bad, badTries [numWirings]int
}

func (s *propStats) add(r *Result, fam family) {
	wi := r.Scenario.Wiring
	s.scenarios++
	s.byFamily[fam]++
	s.byWiring[wi]++
	s.uploads += len(r.Uploads)
	s.calls += r.UpdateCalls
	s.conflicts += r.Conflicts
	s.crashes += r.Crashes
	s.throttled += r.Throttled
	s.deadLetters += r.DeadLetters
	s.lostAnswers += r.LostAnswers
	s.refusals += len(r.Refusals)
	s.activities += r.Activities
	s.busyOther += r.BusyOther
	s.writes += r.Writes
	s.writeUnits += r.WriteUnits
	s.maxItemBytes = max(s.maxItemBytes, r.MaxItemBytes)
	for _, d := range r.Deployments {
		if d.Failed {
			s.failedDeploys++
		}
	}
	if fam == famMultiFile || fam == famLongKeys {
		checked, bad := multiFileViolations(r)
		s.multiFiles[wi] += checked
		s.split[wi] += len(bad)
	}
	if (fam == famMultiFile || fam == famPrefix) && r.Scenario.MarkerKey == "" {
		for _, u := range r.Uploads {
			if u.Bad {
				s.bad[wi]++
				s.badTries[wi] = max(s.badTries[wi], len(triesOf(r, u)))
			}
		}
	}
}

func (s *propStats) merge(o *propStats) {
	s.scenarios += o.scenarios
	s.uploads += o.uploads
	s.calls += o.calls
	s.conflicts += o.conflicts
	s.crashes += o.crashes
	s.throttled += o.throttled
	s.failedDeploys += o.failedDeploys
	s.deadLetters += o.deadLetters
	s.lostAnswers += o.lostAnswers
	s.refusals += o.refusals
	s.activities += o.activities
	s.busyOther += o.busyOther
	s.writes += o.writes
	s.writeUnits += o.writeUnits
	s.maxItemBytes = max(s.maxItemBytes, o.maxItemBytes)
	for f := range s.byFamily {
		s.byFamily[f] += o.byFamily[f]
	}
	for w := range s.byWiring {
		s.byWiring[w] += o.byWiring[w]
		s.multiFiles[w] += o.multiFiles[w]
		s.split[w] += o.split[w]
		s.bad[w] += o.bad[w]
		s.badTries[w] = max(s.badTries[w], o.badTries[w])
	}
}

func TestProperties(t *testing.T) {
	if *flagSeed != 0 {
		replay(t, *flagSeed)
		return
	}
	const workers = 4
	var (
		mu    sync.Mutex
		total propStats
	)
	for wk := range workers {
		t.Run(fmt.Sprintf("worker%d", wk), func(t *testing.T) {
			t.Parallel()
			var s propStats
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
				s.add(r, fam)
			}
			mu.Lock()
			defer mu.Unlock()
			total.merge(&s)
		})
	}
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		t.Logf("%d scenarios passed (by family %v, by wiring %v), %d uploads, %d UpdateEndpoint calls, %d failed deployments, %d write conflicts, %d crashes, %d throttled calls, %d dead letters",
			total.scenarios, total.byFamily, total.byWiring, total.uploads, total.calls, total.failedDeploys, total.conflicts, total.crashes, total.throttled, total.deadLetters)
		t.Logf("%d lost UpdateEndpoint answers, %d permanent refusals, %d activities of other actors (%d of our calls found them busy); %d state writes, %.2f write units each, largest item %d bytes",
			total.lostAnswers, total.refusals, total.activities, total.busyOther, total.writes, float64(total.writeUnits)/float64(max(total.writes, 1)), total.maxItemBytes)
		for w := range numWirings {
			t.Logf("%s: %d of %d multi-file uploads on a settled endpoint were not one update loading every file after the quiet period; each of %d bad multi-file artifacts was deployed at most %d time(s)",
				w, total.split[w], total.multiFiles[w], total.bad[w], total.badTries[w])
		}
		if *flagScenarios < 1000 {
			return
		}
		// The faults must really have happened, or the properties prove little.
		for name, n := range map[string]int{"conflicts": total.conflicts, "crashes": total.crashes, "throttled": total.throttled, "failed deployments": total.failedDeploys,
			"lost answers": total.lostAnswers, "permanent refusals": total.refusals, "other actors' activities": total.activities} {
			if n < 100 {
				t.Errorf("only %d %s in %d scenarios: the fault injection is not exercising the executor", n, name, total.scenarios)
			}
		}
		// The multi-file check must see the former wiring's flaw, and check many uploads.
		if total.split[DelayQueue] == 0 || total.multiFiles[DualQueue] < 100 || total.badTries[DualQueue] != 1 {
			t.Errorf("multi-file checks: %d split uploads with the delay queue (want > 0), %d checked with the dual queue (want >= 100), bad artifact tried at most %d time(s) with the dual queue (want exactly 1)",
				total.split[DelayQueue], total.multiFiles[DualQueue], total.badTries[DualQueue])
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
