package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/refresh"
)

// Executor is the refresh policy a scenario runs.
type Executor int

const (
	// SagemakerCD is the refresh core executed the way the refresher Lambda does: record each
	// change in the versioned store, then reconcile (DescribeEndpoint, Decide, write the intent,
	// UpdateEndpoint, Confirm or Abandon).
	SagemakerCD Executor = iota
	// Baseline is the original Python Lambda: one invocation at a time; on each S3 event it
	// sleeps Scenario.Debounce, then swaps the endpoint to the other config. When the endpoint
	// is busy the call fails and the change is dropped.
	Baseline
)

func (x Executor) String() string {
	if x == Baseline {
		return "original"
	}
	return "sagemaker-cd"
}

// Wiring is how events reach the SagemakerCD handler and how the quiet period is timed. The
// zero value, DualQueue, is the endpoint construct's.
type Wiring int

const (
	// DualQueue is the endpoint construct's wiring: with a quiet period, each S3 change is sent
	// twice, at once (the construct's undelayed state queue) and delayed by the quiet period
	// (its change queue), and the handler records and reconciles on both copies. The undelayed
	// copy records the change when it happens, so the reconcile waits while changes keep
	// coming; the delayed copy arrives when the quiet period after its change has passed and
	// starts the update if no newer change came (its record is a duplicate by sequencer). A
	// multi-file upload is one update, starting a quiet period after its last file. Without a
	// quiet period it is one undelayed copy. Endpoint state changes come without delay; a Wait's
	// Until is left to the delayed copies and the scheduled reconcile.
	DualQueue Wiring = iota
	// DelayQueue is the construct's former wiring: S3 changes go only through the delayed queue
	// and are recorded when delivered. A multi-file upload then starts an update on its first
	// file's message (the later files are not recorded yet, so the quiet period looks over) and
	// a follow-up for the files recorded after it (see TestWiringAndMultiFileUploads).
	DelayQueue
	// RecordOnArrival records every change as soon as it arrives, and when Decide answers Wait
	// with an Until (quiet period, intent lease) sends itself a reconcile message delayed until
	// then: that message is the quiet period's timer, and a multi-file upload is one update.
	RecordOnArrival
	numWirings
)

func (wi Wiring) String() string {
	switch wi {
	case DualQueue:
		return "dual-queue"
	case DelayQueue:
		return "delay-queue"
	case RecordOnArrival:
		return "record-on-arrival"
	}
	return fmt.Sprintf("Wiring(%d)", int(wi))
}

// Endpoint and config names used by every scenario.
const (
	EndpointName = "sim-ep"
	ConfigA      = "sim-ep-a"
	ConfigB      = "sim-ep-b"
	// DefaultKey is the object key of an Upload without one.
	DefaultKey = "model.tar.gz"
)

// Defaults of zero Scenario fields.
const (
	DefaultUpdateDuration    = 5 * time.Minute
	DefaultSchedule          = 5 * time.Minute
	DefaultDebounce          = 30 * time.Second
	DefaultVisibilityTimeout = 6 * time.Minute
	DefaultMaxReceives       = 5
	DefaultHorizon           = time.Hour
	// BaselineMaxEventAge is how long Lambda keeps an asynchronous event queued (6 hours).
	BaselineMaxEventAge = 6 * time.Hour
	// MaxDeliveryDelay is SQS's limit on a queue's delivery delay: a longer quiet period is
	// finished by the scheduled reconcile.
	MaxDeliveryDelay = 15 * time.Minute
)

// Upload is one PUT of a watched object.
type Upload struct {
	// At is the time since the scenario's start.
	At time.Duration
	// Key is the object key (DefaultKey when empty).
	Key string
	// Bad makes a fleet that loads the artifacts as of this upload fail its health checks.
	Bad bool
}

// Faults are the injected failures; zero means none.
type Faults struct {
	// Duplicate is the probability that a message is delivered a second time.
	Duplicate float64
	// Jitter is the largest extra delivery delay; it reorders messages.
	Jitter time.Duration
	// Throttle is the probability that a DescribeEndpoint or UpdateEndpoint call is throttled.
	Throttle float64
	// Crash is the probability that an invocation stops at each crash point: after recording a
	// change and before acknowledging it, after writing an intent and before UpdateEndpoint, and
	// after UpdateEndpoint and before Confirm.
	Crash float64
}

// Scenario is one simulated run. Zero fields take the defaults above.
type Scenario struct {
	Seed     uint64
	Executor Executor
	// UpdateDuration is D, how long an update keeps the endpoint Updating.
	UpdateDuration time.Duration
	// QuietPeriod is the policy's quiet period (how Wiring implements it).
	QuietPeriod time.Duration
	// Wiring is how events reach the SagemakerCD handler (default DualQueue, the construct's).
	Wiring Wiring
	// MarkerKey is the policy's completion marker.
	MarkerKey string
	// IntentTimeout is the policy's intent lease (refresh.DefaultIntentTimeout when zero).
	IntentTimeout time.Duration
	// Schedule is the period of the scheduled reconcile.
	Schedule time.Duration
	// Debounce is the baseline's sleep.
	Debounce time.Duration
	// BaselineConcurrency is how many baseline invocations run at once: 1 (the default) is the
	// original's reserved concurrency; a negative value means unreserved (one per event), as
	// when the reservation is removed to deploy on an account with a low concurrency quota.
	BaselineConcurrency int
	// VisibilityTimeout is how long a message whose handler failed stays hidden.
	VisibilityTimeout time.Duration
	// MaxReceives moves a message to the dead-letter queue after that many failed handlings.
	MaxReceives int
	// Horizon is how long the scheduled reconcile keeps running after the last upload.
	Horizon time.Duration
	Uploads []Upload
	Faults  Faults
	// Trace records a line per step in Result.Trace.
	Trace bool
}

// UploadOutcome is what became of one upload.
type UploadOutcome struct {
	Upload
	// Generation is the artifact generation this upload created (its index + 1).
	Generation int
	// RecordedSeq is State.Desired right after this upload's change was first recorded (0 when
	// it never was: a marker is configured, or the baseline keeps no record).
	RecordedSeq int64
	// Started is when the first deployment that loaded this generation or a newer one started.
	Started time.Time
	// Serving is when the endpoint first served this generation or a newer one.
	Serving time.Time
}

// Lost reports whether the endpoint never served this upload or a newer one.
func (u UploadOutcome) Lost() bool { return u.Serving.IsZero() }

// Result is what a scenario did.
type Result struct {
	Scenario Scenario
	// Start is the simulated time of the scenario's start (Upload.At is relative to it).
	Start       time.Time
	Deployments []Deployment
	Uploads     []UploadOutcome
	// UpdateCalls counts UpdateEndpoint calls made, accepted or not.
	UpdateCalls int
	// BusyErrors counts "Cannot update in-progress endpoint" answers.
	BusyErrors int
	// Throttled counts throttled DescribeEndpoint and UpdateEndpoint calls.
	Throttled int
	// Conflicts counts conditional writes refused because another invocation wrote first.
	Conflicts int
	// Invocations counts handler runs; Crashes those that stopped at a crash point.
	Invocations, Crashes int
	// DeadLetters counts messages moved to the dead-letter queue; Expired baseline events
	// dropped for age.
	DeadLetters, Expired int
	// IntentMismatches counts UpdateEndpoint calls made while the stored intent was not the
	// caller's (must be zero: at most one update of ours in flight).
	IntentMismatches int
	// Decisions counts decisions by kind, Events the events of the passes whose state was
	// stored (what the refresher logs and turns into metrics and alarms).
	Decisions map[refresh.Kind]int
	Events    map[refresh.Event]int
	// Final is the stored state at the end (SagemakerCD).
	Final refresh.State
	// FinalGeneration, FinalConfig, FinalStatus and FinalFailure describe the endpoint at the end.
	FinalGeneration int
	FinalConfig     string
	FinalStatus     refresh.Status
	FinalFailure    string
	Trace           []string
}

// LastUpload is the outcome of the scenario's last upload (zero when there were none).
func (r *Result) LastUpload() UploadOutcome {
	if len(r.Uploads) == 0 {
		return UploadOutcome{}
	}
	return r.Uploads[len(r.Uploads)-1]
}

// Policy is the refresh policy a scenario's SagemakerCD executor decides with.
func (sc Scenario) Policy() refresh.Policy {
	return refresh.Policy{ConfigA: ConfigA, ConfigB: ConfigB, QuietPeriod: sc.QuietPeriod, MarkerKey: sc.MarkerKey, IntentTimeout: sc.IntentTimeout}
}

func (sc Scenario) withDefaults() Scenario {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&sc.UpdateDuration, DefaultUpdateDuration)
	def(&sc.Schedule, DefaultSchedule)
	def(&sc.Debounce, DefaultDebounce)
	def(&sc.VisibilityTimeout, DefaultVisibilityTimeout)
	def(&sc.Horizon, DefaultHorizon)
	if sc.MaxReceives <= 0 {
		sc.MaxReceives = DefaultMaxReceives
	}
	return sc
}

// Run simulates one scenario to quiescence and reports what happened.
func Run(sc Scenario) (*Result, error) {
	sc = sc.withDefaults()
	var last time.Duration
	for i, u := range sc.Uploads {
		if u.At < 0 || (i > 0 && u.At < sc.Uploads[i-1].At) {
			return nil, fmt.Errorf("run scenario %d: upload %d at %v: uploads must be in time order from 0", sc.Seed, i, u.At)
		}
		last = u.At
	}
	if sc.Wiring < 0 || sc.Wiring >= numWirings {
		return nil, fmt.Errorf("run scenario %d: unknown wiring %d", sc.Seed, sc.Wiring)
	}
	w := newWorld(sc.Seed, sc.Trace)
	r := &Result{Scenario: sc, Start: epoch, Decisions: map[refresh.Kind]int{}, Events: map[refresh.Event]int{}}
	arts := &artifacts{bad: map[int]bool{}}
	ep := &sagemaker{w: w, name: EndpointName, status: refresh.StatusInService, config: ConfigA,
		lastModified: epoch.Add(-24 * time.Hour), artifacts: arts, duration: sc.UpdateDuration, throttle: sc.Faults.Throttle}
	st := &store{item: refresh.State{Endpoint: EndpointName}}
	recorded := make([]int64, len(sc.Uploads))

	var ex executor
	switch sc.Executor {
	case SagemakerCD:
		ex = newCD(w, sc, ep, st, r, recorded)
	case Baseline:
		ex = newBaseline(w, sc, ep, r)
	default:
		return nil, fmt.Errorf("run scenario %d: unknown executor %d", sc.Seed, sc.Executor)
	}
	ep.onChange = ex.stateChanged

	sequencers := map[string]uint64{}
	for i, u := range sc.Uploads {
		w.at(epoch.Add(u.At), func() {
			key := u.Key
			if key == "" {
				key = DefaultKey
			}
			arts.generation = i + 1
			arts.bad[arts.generation] = u.Bad
			sequencers[key]++
			// S3 sequencers grow per key; their length varies, so comparing them needs padding.
			seq := fmt.Sprintf("%0*X", 15+w.rng.IntN(6), uint64(0x55AED6DCD9028)+sequencers[key])
			w.logf("S3: upload %d %s (sequencer %s, bad=%v)", i+1, key, seq, u.Bad)
			ex.changed(i, refresh.Change{Key: key, Sequencer: seq, At: w.now})
		})
	}
	end := epoch.Add(last + sc.Horizon)
	var tick func()
	tick = func() {
		ex.scheduled()
		if next := w.now.Add(sc.Schedule); !next.After(end) {
			w.at(next, tick)
		}
	}
	w.at(epoch.Add(sc.Schedule), tick)
	w.run()

	r.Deployments = ep.deployments
	r.BusyErrors, r.Throttled = ep.busyErrors, ep.throttled
	r.Conflicts = st.conflicts
	r.Final = st.get()
	r.FinalGeneration, r.FinalConfig, r.FinalStatus, r.FinalFailure = ep.generation, ep.config, ep.status, ep.failure
	r.Trace = w.trace
	for i, u := range sc.Uploads {
		o := UploadOutcome{Upload: u, Generation: i + 1, RecordedSeq: recorded[i]}
		if o.Key == "" {
			o.Key = DefaultKey
		}
		for _, d := range r.Deployments {
			if d.Generation < o.Generation {
				continue
			}
			if o.Started.IsZero() || d.Start.Before(o.Started) {
				o.Started = d.Start
			}
			if !d.Failed && !d.End.IsZero() && (o.Serving.IsZero() || d.End.Before(o.Serving)) {
				o.Serving = d.End
			}
		}
		r.Uploads = append(r.Uploads, o)
	}
	return r, nil
}

// executor is how changes and triggers reach a refresh policy.
type executor interface {
	changed(upload int, c refresh.Change)
	stateChanged(refresh.Status)
	scheduled()
}

type msgKind int

const (
	msgChange msgKind = iota
	msgStateChange
	msgReconcile
)

type message struct {
	kind     msgKind
	upload   int
	change   refresh.Change
	receives int
}

// cd is the SagemakerCD executor: SQS queues (as Wiring says) in front of concurrent
// invocations of the refresher handler.
type cd struct {
	w        *world
	sc       Scenario
	pol      refresh.Policy
	ep       *sagemaker
	st       *store
	r        *Result
	recorded []int64
	n        int
}

func newCD(w *world, sc Scenario, ep *sagemaker, st *store, r *Result, recorded []int64) *cd {
	return &cd{w: w, sc: sc, pol: sc.Policy(), ep: ep, st: st, r: r, recorded: recorded}
}

func (x *cd) changed(upload int, c refresh.Change) {
	m := &message{kind: msgChange, upload: upload, change: c}
	delay := min(x.sc.QuietPeriod, MaxDeliveryDelay)
	switch {
	case x.sc.Wiring == RecordOnArrival || delay <= 0:
		x.send(m, 0)
	case x.sc.Wiring == DelayQueue:
		x.send(m, delay)
	default: // DualQueue: the state queue at once, the change queue after the quiet period.
		x.send(m, 0)
		x.send(m, delay)
	}
}

func (x *cd) stateChanged(s refresh.Status) {
	x.send(&message{kind: msgStateChange}, 0)
}

func (x *cd) scheduled() {
	x.invoke("schedule", func(p *proc) bool { return x.reconcile(p) })
}

// send enqueues m for delivery after delay (plus jitter), sometimes twice.
func (x *cd) send(m *message, delay time.Duration) {
	copies := 1
	if x.w.chance(x.sc.Faults.Duplicate) {
		copies = 2
	}
	for range copies {
		c := *m
		x.w.after(delay+x.w.jitter(x.sc.Faults.Jitter), func() { x.deliver(&c) })
	}
}

func (x *cd) deliver(m *message) {
	m.receives++
	x.invoke(fmt.Sprintf("msg%d", m.kind), func(p *proc) bool {
		ok := x.handle(p, m)
		if !ok {
			if m.receives >= x.sc.MaxReceives {
				x.r.DeadLetters++
				x.w.logf("SQS: message moved to the dead-letter queue after %d receives", m.receives)
			} else {
				x.w.after(x.sc.VisibilityTimeout, func() { x.deliver(m) })
			}
		}
		return ok
	})
}

func (x *cd) invoke(name string, f func(p *proc) bool) {
	x.n++
	x.r.Invocations++
	x.w.spawn(fmt.Sprintf("%s#%d", name, x.n), func(p *proc) { f(p) })
}

// crash reports whether the invocation stops at a crash point.
func (x *cd) crash(p *proc, where string) bool {
	if !x.w.chance(x.sc.Faults.Crash) {
		return false
	}
	x.r.Crashes++
	x.w.logf("%s: crashed %s", p.name, where)
	return true
}

// handle is the refresher handler for one message; false leaves it to be redelivered.
func (x *cd) handle(p *proc, m *message) bool {
	if m.kind == msgChange {
		if !x.record(p, m) {
			return false
		}
		if x.crash(p, "after recording a change, before acknowledging it") {
			return false
		}
	}
	return x.reconcile(p)
}

const maxAttempts = 20

func (x *cd) record(p *proc, m *message) bool {
	for range maxAttempts {
		p.latency()
		s := x.st.get()
		ns, outcome := refresh.Record(s, m.change, x.pol)
		x.w.logf("%s: record %s %s: %s (desired %d)", p.name, m.change.Key, m.change.Sequencer, outcome, ns.Desired)
		if outcome == refresh.Duplicate || outcome == refresh.NotMarker {
			return true
		}
		p.latency()
		if err := x.st.put(ns); err != nil {
			x.w.logf("%s: %v", p.name, err)
			continue
		}
		if x.recorded[m.upload] == 0 {
			x.recorded[m.upload] = ns.Desired
		}
		return true
	}
	return false
}

// reconcile is one pass: load, DescribeEndpoint, Decide, write, execute.
func (x *cd) reconcile(p *proc) bool {
	for range maxAttempts {
		p.latency()
		s := x.st.get()
		p.latency()
		obs, err := x.ep.describe()
		if err != nil {
			x.w.logf("%s: %v", p.name, err)
			return false
		}
		ns, d := refresh.Decide(s, obs, x.w.now, x.pol)
		if !equalState(ns, s) {
			p.latency()
			if err := x.st.put(ns); err != nil {
				x.w.logf("%s: %v; reconcile again", p.name, err)
				continue
			}
		}
		x.r.Decisions[d.Kind]++
		for _, e := range d.Events {
			x.r.Events[e]++
		}
		x.w.logf("%s: %s %s seq %d: %s %v", p.name, d.Kind, d.Config, d.Seq, d.Reason, d.Events)
		switch d.Kind {
		case refresh.Update:
			return x.execute(p, ns, d)
		case refresh.Wait:
			if !d.Until.IsZero() && x.sc.Wiring == RecordOnArrival {
				x.send(&message{kind: msgReconcile}, d.Until.Sub(x.w.now))
			}
		}
		return true
	}
	return false
}

func (x *cd) execute(p *proc, s refresh.State, d refresh.Decision) bool {
	if x.crash(p, "after writing the intent, before UpdateEndpoint") {
		return false
	}
	p.latency()
	if cur := x.st.item.InFlight; cur == nil || *cur != *s.InFlight {
		x.r.IntentMismatches++
		x.w.logf("%s: INVARIANT: calling UpdateEndpoint while the stored intent is %+v, not ours %+v", p.name, cur, s.InFlight)
	}
	x.r.UpdateCalls++
	err := x.ep.update(d.Config, d.Seq)
	if err == nil {
		if x.crash(p, "after UpdateEndpoint, before Confirm") {
			return false
		}
		return x.write(p, func(s refresh.State) refresh.State { return refresh.Confirm(s, d.Seq) })
	}
	x.w.logf("%s: %v; abandoning seq %d", p.name, err, d.Seq)
	if !x.write(p, func(s refresh.State) refresh.State { return refresh.Abandon(s, d.Seq) }) {
		return false
	}
	// A busy endpoint announces its end; a throttled call is retried by redelivery.
	return !errors.Is(err, errThrottled)
}

// write applies f to the stored state with a conditional write, retrying on conflicts.
func (x *cd) write(p *proc, f func(refresh.State) refresh.State) bool {
	for range maxAttempts {
		p.latency()
		s := x.st.get()
		ns := f(s)
		if equalState(ns, s) {
			return true
		}
		p.latency()
		if err := x.st.put(ns); err == nil {
			return true
		}
	}
	return false
}

// baseline is the original Lambda: reserved concurrency 1, S3 notifications queued as
// asynchronous invocations.
type baseline struct {
	w       *world
	sc      Scenario
	ep      *sagemaker
	r       *Result
	queue   []refresh.Change
	running int
}

func newBaseline(w *world, sc Scenario, ep *sagemaker, r *Result) *baseline {
	return &baseline{w: w, sc: sc, ep: ep, r: r}
}

func (b *baseline) changed(_ int, c refresh.Change) {
	copies := 1
	if b.w.chance(b.sc.Faults.Duplicate) {
		copies = 2
	}
	for range copies {
		b.w.after(b.w.jitter(b.sc.Faults.Jitter), func() {
			b.queue = append(b.queue, c)
			b.startWorker()
		})
	}
}

func (b *baseline) stateChanged(refresh.Status) {}
func (b *baseline) scheduled()                  {}

func (b *baseline) startWorker() {
	if limit := b.sc.BaselineConcurrency; limit >= 0 && b.running >= max(limit, 1) {
		return
	}
	b.running++
	b.w.spawn("original", func(p *proc) {
		for len(b.queue) > 0 {
			c := b.queue[0]
			b.queue = b.queue[1:]
			if b.w.now.Sub(c.At) > BaselineMaxEventAge {
				b.r.Expired++
				continue
			}
			b.r.Invocations++
			p.sleep(b.sc.Debounce)
			p.latency()
			obs, err := b.ep.describe()
			if err != nil {
				b.w.logf("original: %v; event dropped", err)
				continue
			}
			next := ConfigA
			if obs.Config == ConfigA {
				next = ConfigB
			}
			p.latency()
			b.r.UpdateCalls++
			if err := b.ep.update(next, 0); err != nil {
				b.w.logf("original: %v; event dropped", err)
			}
		}
		b.running--
	})
}

// equalState reports whether a pass changed the state (then it must be written).
func equalState(a, b refresh.State) bool { return a.Equal(b) && a.Version == b.Version }
