package sim

import (
	"context"
	"fmt"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/refresh"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

// Executor is the refresh policy a scenario runs.
type Executor int

const (
	// SagemakerCD is the product: the refresher's Handler and Reconciler (package
	// refresh/refresher) behind the endpoint construct's queues (Scenario.Wiring), talking to
	// the fake SageMaker and DynamoDB.
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

// Names used by every scenario.
const (
	EndpointName = "sim-ep"
	ConfigA      = "sim-ep-a"
	ConfigB      = "sim-ep-b"
	// TableName is the state table.
	TableName = "sim-ep-state"
	// Bucket is the watched bucket; WatchedPrefix the watched key prefix.
	Bucket        = "sim-models"
	WatchedPrefix = "model"
	// DefaultKey is the object key of an Upload without one.
	DefaultKey = "model.tar.gz"
	// Region and Account appear in ARNs and events.
	Region  = "us-east-1"
	Account = "123456789012"
)

// Defaults of zero Scenario fields.
const (
	DefaultUpdateDuration = 5 * time.Minute
	DefaultDebounce       = 30 * time.Second
	DefaultHorizon        = time.Hour
	// BaselineMaxEventAge is how long Lambda keeps an asynchronous event queued (6 hours).
	BaselineMaxEventAge = 6 * time.Hour
	// RestDeadline is how long after the horizon a run may still be busy (updates, retries)
	// before it is stopped and reported restless: an update loop never comes to rest.
	RestDeadline = 12 * time.Hour
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
	// Throttle is the probability that a SageMaker call is throttled (ThrottlingException).
	Throttle float64
	// ThrottleStore is the probability that a DynamoDB call is throttled
	// (ProvisionedThroughputExceededException, after the SDK's own retries).
	ThrottleStore float64
	// Crash is the probability that an invocation stops after each write that took effect
	// (a DynamoDB PutItem, an accepted UpdateEndpoint) and before its answer arrived.
	Crash float64
	// LostAnswer is the probability that SageMaker accepts an UpdateEndpoint call and its
	// answer is lost (connection reset). The SDK retries such a call when the caller allows
	// more than one attempt; the retry answers "Cannot update in-progress endpoint".
	LostAnswer float64
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
	// Refusals are windows in which SageMaker refuses every UpdateEndpoint for good.
	Refusals []Refusal
	// Activities are other actors' work on the endpoint (autoscaling, maintenance).
	Activities []Activity
	// Trace records a line per step (and the refresher's logs) in Result.Trace.
	Trace bool
}

// UploadOutcome is what became of one upload.
type UploadOutcome struct {
	Upload
	// Generation is the artifact generation this upload created (its index + 1).
	Generation int
	// RecordedSeq is the stored State.Desired after the first successful handling of a message
	// carrying this upload's change: every deployment with a Seq at least this includes it (0
	// when no message of it was handled: the baseline keeps no record).
	RecordedSeq int64
	// Started is when the first deployment that loaded this generation or a newer one started.
	Started time.Time
	// Serving is when the endpoint first served this generation or a newer one.
	Serving time.Time
}

// Lost reports whether the endpoint never served this upload or a newer one.
func (u UploadOutcome) Lost() bool { return u.Serving.IsZero() }

// RefusedCall is an UpdateEndpoint call SageMaker refused for good.
type RefusedCall struct {
	At time.Time
	// Seq is the stored intent's Seq when the call was made.
	Seq  int64
	Code string
}

// Result is what a scenario did.
type Result struct {
	Scenario Scenario
	// Start is the simulated time of the scenario's start (Upload.At is relative to it).
	Start       time.Time
	Deployments []Deployment
	Uploads     []UploadOutcome
	// UpdateCalls counts UpdateEndpoint calls made by the refresher, accepted or not (not the
	// SDK's automatic retries).
	UpdateCalls int
	// BusyErrors counts "Cannot update in-progress endpoint" answers while the endpoint was
	// busy with an update of ours (the SDK's retries included); BusyOther those while another
	// actor's work kept it busy (a race no caller can avoid).
	BusyErrors, BusyOther int
	// LostAnswers counts accepted UpdateEndpoint calls whose answer was lost; SDKRetries the
	// automatic retries the SDK made of them.
	LostAnswers, SDKRetries int
	// Refusals lists the permanent UpdateEndpoint refusals.
	Refusals []RefusedCall
	// Activities counts other actors' work on the endpoint.
	Activities int
	// Throttled counts throttled SageMaker and DynamoDB calls.
	Throttled int
	// Conflicts counts conditional writes refused because another invocation wrote first;
	// Writes the accepted ones, WriteUnits their write capacity units (1 per KB), MaxItemBytes
	// the largest item written or attempted, TooLarge the writes refused for exceeding
	// MaxItemBytes.
	Conflicts, Writes, WriteUnits, MaxItemBytes, TooLarge int
	// Invocations counts handler runs; Crashes those that stopped at a crash point.
	Invocations, Crashes int
	// DeadLetters counts messages moved to the dead-letter queue (and scheduled events given
	// up); Expired baseline events dropped for age.
	DeadLetters, Expired int
	// IntentMismatches counts UpdateEndpoint calls made while the stored intent was not the
	// caller's (must be zero: at most one update of ours in flight).
	IntentMismatches int
	// Metrics sums the refresher's embedded metrics by name (refresher.MetricUpdateStarted,
	// MetricUpdateFailed, ...): what CloudWatch and the alarms would see.
	Metrics map[string]int
	// Restless is set when the run was stopped RestDeadline after the horizon with work left
	// (an update loop, endless retries).
	Restless bool
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

// Config is the refresher configuration of a scenario's SagemakerCD executor, as the endpoint
// construct would set it.
func (sc Scenario) Config() refresher.Config {
	return refresher.Config{Endpoint: EndpointName, ConfigA: ConfigA, ConfigB: ConfigB, Table: TableName,
		QuietPeriod: sc.QuietPeriod, MarkerKey: sc.MarkerKey, IntentTimeout: sc.IntentTimeout, DriftGrace: refresher.DefaultDriftGrace,
		Watch:                      refresher.Watch{Bucket: Bucket, Filters: []refresher.Filter{{Prefix: WatchedPrefix}}},
		RetainAllVariantProperties: true, MetricsNamespace: refresher.DefaultMetricsNamespace}
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

// Run simulates one scenario to quiescence and reports what happened. It fails when the
// scenario is invalid or the refresher used the fakes in a way they do not model.
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
		return nil, fmt.Errorf("run scenario %d: unknown wiring %d, expected %s or %s", sc.Seed, sc.Wiring, DualQueue, DelayQueue)
	}
	for _, rf := range sc.Refusals {
		if _, ok := refusalMessages[rf.Code]; !ok || rf.Until < rf.From {
			return nil, fmt.Errorf("run scenario %d: refusal %+v: expected a code of %s, %s or %s and From <= Until",
				sc.Seed, rf, RefuseResourceLimit, RefuseAccessDenied, RefuseValidation)
		}
	}
	w := newWorld(sc.Seed, sc.Trace)
	r := &Result{Scenario: sc, Start: epoch, Metrics: map[string]int{}}
	arts := &artifacts{bad: map[int]bool{}}
	db := newFakeDynamoDB(w, &sc, r)
	ep := newFakeSageMaker(w, &sc, db, arts, r)
	recorded := make([]int64, len(sc.Uploads))

	var ex executor
	switch sc.Executor {
	case SagemakerCD:
		ex = newCD(w, &sc, ep, db, r, recorded)
	case Baseline:
		ex = newBaseline(w, &sc, ep, r)
	default:
		return nil, fmt.Errorf("run scenario %d: unknown executor %d, expected %s or %s", sc.Seed, sc.Executor, SagemakerCD, Baseline)
	}
	ep.onChange = func() { ex.stateChanged(ep) }

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
			w.logf("S3: upload %d %s (sequencer %s, bad=%v)", i+1, shortKey(key), seq, u.Bad)
			ex.changed(i, key, seq)
		})
	}
	for _, a := range sc.Activities {
		w.at(epoch.Add(a.At), func() { ep.activity(a) })
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
	if !w.run(end.Add(RestDeadline)) {
		r.Restless = true
		w.logf("the world did not come to rest %v after the horizon", RestDeadline)
	}
	if db.unsupported != nil {
		return nil, fmt.Errorf("run scenario %d: %w", sc.Seed, db.unsupported)
	}

	r.Deployments = ep.deployments
	r.Final, _ = db.state()
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

// shortKey keeps traces readable with 1,024-byte keys.
func shortKey(k string) string {
	if len(k) <= 60 {
		return k
	}
	return k[:20] + "..." + k[len(k)-30:]
}

// executor is how changes and triggers reach a refresh policy.
type executor interface {
	changed(upload int, key, sequencer string)
	stateChanged(ep *fakeSageMaker)
	scheduled()
}

// baseline is the original Lambda: reserved concurrency 1, S3 notifications queued as
// asynchronous invocations.
type baseline struct {
	w       *world
	sc      *Scenario
	ep      *fakeSageMaker
	r       *Result
	queue   []time.Time // event times of the queued S3 notifications
	running int
}

func newBaseline(w *world, sc *Scenario, ep *fakeSageMaker, r *Result) *baseline {
	return &baseline{w: w, sc: sc, ep: ep, r: r}
}

func (b *baseline) changed(int, string, string) {
	copies := 1
	if b.w.chance(b.sc.Faults.Duplicate) {
		copies = 2
	}
	at := b.w.now
	for range copies {
		b.w.after(b.w.jitter(b.sc.Faults.Jitter), func() {
			b.queue = append(b.queue, at)
			b.startWorker()
		})
	}
}

func (b *baseline) stateChanged(*fakeSageMaker) {}
func (b *baseline) scheduled()                  {}

func (b *baseline) startWorker() {
	if limit := b.sc.BaselineConcurrency; limit >= 0 && b.running >= max(limit, 1) {
		return
	}
	b.running++
	b.w.spawn("original", func(p *proc) {
		ctx := withProc(context.Background(), p)
		for len(b.queue) > 0 {
			at := b.queue[0]
			b.queue = b.queue[1:]
			if b.w.now.Sub(at) > BaselineMaxEventAge {
				b.r.Expired++
				continue
			}
			b.r.Invocations++
			p.sleep(b.sc.Debounce)
			// The original's boto3 calls, through the same fake.
			out, err := b.ep.DescribeEndpoint(ctx, describeInput)
			if err != nil {
				b.w.logf("original: %v; event dropped", err)
				continue
			}
			next := ConfigA
			if *out.EndpointConfigName == ConfigA {
				next = ConfigB
			}
			if _, err := b.ep.UpdateEndpoint(ctx, updateInput(next)); err != nil {
				b.w.logf("original: %v; event dropped", err)
			}
		}
		b.running--
	})
}
