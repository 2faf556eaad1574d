package refresher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/smithy-go"

	"github.com/sagemaker-cd/sagemaker-cd/refresh"
)

// DefaultMaxAttempts bounds how often a pass is redone after losing a conditional-write race.
const DefaultMaxAttempts = 8

// DefaultUpdateAttempts bounds how often one pass calls UpdateEndpoint after transient
// failures (throttling, 5xx, no answer). The SDK itself makes exactly one attempt per call:
// UpdateEndpoint is not idempotent, so only the reconciler, which can check DescribeEndpoint
// first, may try again.
const DefaultUpdateAttempts = 3

// Backoff bounds between retries: full jitter, exponential from the base, capped.
const (
	conflictBackoffBase = 20 * time.Millisecond
	updateBackoffBase   = 200 * time.Millisecond
	maxBackoff          = 2 * time.Second
)

// oneAttempt is the per-operation option that turns off the SDK's own retries for a call.
func oneAttempt(o *sagemaker.Options) { o.RetryMaxAttempts = 1 }

// Reconciler executes the refresh core's decisions for one endpoint: it records changes and
// runs reconcile passes, keeping the state in a Store with conditional writes.
type Reconciler struct {
	SageMaker SageMakerAPI
	Store     *Store
	Config    Config
	// Clock is the time source (time.Now when nil).
	Clock func() time.Time
	// Logger receives structured logs (slog.Default() when nil).
	Logger *slog.Logger
	// Metrics receives the embedded metrics (none when nil).
	Metrics *Metrics
	// MaxAttempts bounds the retries after ErrConflict (DefaultMaxAttempts when zero).
	MaxAttempts int
	// UpdateAttempts bounds the UpdateEndpoint calls of one pass (DefaultUpdateAttempts when
	// zero).
	UpdateAttempts int
	// Sleep waits between retries (a timer that stops when ctx ends, when nil). The simulator
	// sets it to advance its clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter picks a random duration in [0, d) (math/rand/v2's N when nil).
	Jitter func(d time.Duration) time.Duration
}

// Pass is the outcome of one reconcile pass.
type Pass struct {
	// Observation is what DescribeEndpoint said.
	Observation refresh.Observation
	// Decision is what was decided and done. An Update whose call was refused for now (endpoint
	// busy, throttled) is reported as a Wait; one refused for good (ErrorRefused) as a Report
	// carrying refresh.EventUpdateFailed.
	Decision refresh.Decision
	// State is the state after the pass.
	State refresh.State
	// Started is true when UpdateEndpoint accepted an update in this pass.
	Started bool
}

// RecordResult counts what Record did with a set of changes.
type RecordResult struct {
	Recorded, Coalesced, Duplicates, NotMarker int
	// Included counts changes older than the newest deployment (refresh.Included).
	Included int
	State    refresh.State
}

func (r *Reconciler) now() time.Time {
	if r.Clock != nil {
		return r.Clock()
	}
	return time.Now()
}

func (r *Reconciler) log() *slog.Logger {
	l := r.Logger
	if l == nil {
		l = slog.Default()
	}
	return l.With("endpoint", r.Config.Endpoint)
}

func (r *Reconciler) attempts() int {
	if r.MaxAttempts > 0 {
		return r.MaxAttempts
	}
	return DefaultMaxAttempts
}

func (r *Reconciler) updateAttempts() int {
	if r.UpdateAttempts > 0 {
		return r.UpdateAttempts
	}
	return DefaultUpdateAttempts
}

// backoff waits before retry number attempt (1 for the first retry): exponential with full
// jitter, so concurrent invocations that collided spread out.
func (r *Reconciler) backoff(ctx context.Context, base time.Duration, attempt int) error {
	ceiling := min(maxBackoff, base<<min(attempt-1, 16))
	jitter := r.Jitter
	if jitter == nil {
		jitter = rand.N[time.Duration]
	}
	d := jitter(ceiling)
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryConflict reports whether a pass that got err should be redone, after a backoff.
func (r *Reconciler) retryConflict(ctx context.Context, err error, attempt int) bool {
	return errors.Is(err, ErrConflict) && attempt < r.attempts() && r.backoff(ctx, conflictBackoffBase, attempt) == nil
}

func (r *Reconciler) count(names ...string) {
	if err := r.Metrics.Count(r.Config.Endpoint, names...); err != nil {
		r.log().Warn("metrics not written", "error", err.Error())
	}
}

// Record folds changes into the stored state in one conditional write, redone on conflicts.
func (r *Reconciler) Record(ctx context.Context, changes []refresh.Change) (RecordResult, error) {
	p := r.Config.Policy()
	for attempt := 1; ; attempt++ {
		it, err := r.Store.Load(ctx, r.Config.Endpoint)
		if err != nil {
			return RecordResult{}, err
		}
		res := RecordResult{State: it.State}
		for _, c := range changes {
			var o refresh.RecordOutcome
			res.State, o = refresh.Record(res.State, c, p)
			switch o {
			case refresh.Recorded:
				res.Recorded++
			case refresh.Coalesced:
				res.Coalesced++
			case refresh.Duplicate:
				res.Duplicates++
			case refresh.NotMarker:
				res.NotMarker++
			case refresh.Included:
				res.Included++
			}
		}
		res.State, err = r.Store.SaveChanged(ctx, it.State, res.State, p, r.now())
		if r.retryConflict(ctx, err, attempt) {
			continue
		}
		if err != nil {
			return RecordResult{}, fmt.Errorf("record %d change(s) for endpoint %s: %w", len(changes), r.Config.Endpoint, err)
		}
		var names []string
		for range res.Recorded + res.Coalesced {
			names = append(names, MetricChangeRecorded)
		}
		for range res.Coalesced {
			names = append(names, MetricCoalesced)
		}
		for range res.Duplicates + res.Included {
			names = append(names, MetricDuplicateIgnored)
		}
		r.count(names...)
		r.log().Info("changes recorded", "recorded", res.Recorded, "coalesced", res.Coalesced,
			"duplicates", res.Duplicates, "included", res.Included, "notMarker", res.NotMarker, "desired", res.State.Desired,
			"deployed", res.State.Deployed, "lastChangeKey", res.State.LastChangeKey)
		return res, nil
	}
}

// Observe describes the endpoint. A missing endpoint is Observation{Found: false}, not an error.
func (r *Reconciler) Observe(ctx context.Context) (refresh.Observation, error) {
	out, err := r.SageMaker.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(r.Config.Endpoint)})
	if IsEndpointNotFound(err) {
		return refresh.Observation{Found: false}, nil
	}
	if err != nil {
		return refresh.Observation{}, fmt.Errorf("describe endpoint %s: %w", r.Config.Endpoint, err)
	}
	return refresh.Observation{
		Found:         true,
		Status:        refresh.ParseStatus(string(out.EndpointStatus)),
		Config:        aws.ToString(out.EndpointConfigName),
		Target:        target(out),
		FailureReason: aws.ToString(out.FailureReason),
		LastModified:  aws.ToTime(out.LastModifiedTime),
	}, nil
}

// target is the config an update in progress moves the endpoint to: the pending deployment's
// config when it differs from the current one.
func target(out *sagemaker.DescribeEndpointOutput) string {
	if out.PendingDeploymentSummary == nil {
		return ""
	}
	return aws.ToString(out.PendingDeploymentSummary.EndpointConfigName)
}

// Reconcile runs one pass: read the state, describe the endpoint, decide, store the decision's
// state (the intent, before any call), then execute it. Losing a write race redoes the pass.
func (r *Reconciler) Reconcile(ctx context.Context) (Pass, error) {
	p := r.Config.Policy()
	for attempt := 1; ; attempt++ {
		it, err := r.Store.Load(ctx, r.Config.Endpoint)
		if err != nil {
			return Pass{}, err
		}
		obs, err := r.Observe(ctx)
		if err != nil {
			return Pass{}, err
		}
		now := r.now()
		next, dec := refresh.Decide(it.State, obs, now, p)
		next, err = r.Store.SaveChanged(ctx, it.State, next, p, now)
		if r.retryConflict(ctx, err, attempt) {
			r.log().Debug("state changed concurrently; redoing the pass", "attempt", attempt)
			continue
		}
		if err != nil {
			return Pass{}, fmt.Errorf("reconcile endpoint %s: %w", r.Config.Endpoint, err)
		}
		pass := Pass{Observation: obs, Decision: dec, State: next}
		if dec.Kind == refresh.Update {
			pass, err = r.update(ctx, pass)
		}
		r.report(ctx, pass)
		return pass, err
	}
}

// update calls UpdateEndpoint for a stored intent and records how it went. The SDK makes one
// attempt per call; this loop owns the retries, and checks DescribeEndpoint before each one so
// a call that took effect without an answer is never made twice.
func (r *Reconciler) update(ctx context.Context, pass Pass) (Pass, error) {
	dec := pass.Decision
	in := &sagemaker.UpdateEndpointInput{
		EndpointName:               aws.String(r.Config.Endpoint),
		EndpointConfigName:         aws.String(dec.Config),
		RetainAllVariantProperties: aws.Bool(r.Config.RetainAllVariantProperties),
		DeploymentConfig:           r.Config.DeploymentConfig,
	}
	for attempt := 1; ; attempt++ {
		_, callErr := r.SageMaker.UpdateEndpoint(ctx, in, oneAttempt)
		class := ClassifyError(callErr)
		if class == ErrorNone {
			return r.started(ctx, pass, "")
		}
		if class == ErrorInProgress || class == ErrorNoAnswer || class == ErrorServer {
			// "In progress" may be our own update: an earlier attempt whose answer was lost.
			// No answer or a 5xx may have taken effect. The endpoint's target config says.
			obs, err := r.Observe(ctx)
			if err == nil && obs.Status == refresh.StatusUpdating && obs.Target == dec.Config {
				return r.started(ctx, pass, fmt.Sprintf("UpdateEndpoint answered %q, but the endpoint is updating to %s: ours", class, dec.Config))
			}
		}
		wrapped := fmt.Errorf("update endpoint %s to %s: %w", r.Config.Endpoint, dec.Config, callErr)
		switch {
		case class.Transient() && attempt < r.updateAttempts() && r.backoff(ctx, updateBackoffBase, attempt) == nil:
			r.log().Info("UpdateEndpoint failed transiently; retrying", "attempt", attempt, "class", class.String(), "error", callErr.Error())
			continue
		case class == ErrorNoAnswer || class == ErrorServer:
			// Still unknown whether it took effect: keep the intent. The next pass confirms it
			// from the endpoint's target config, or finds it lost and decides again.
			return pass, wrapped
		case class == ErrorRefused:
			return r.refused(ctx, pass, callErr)
		}
		st, err := r.modify(ctx, func(s refresh.State) refresh.State { return refresh.Abandon(s, dec.Seq) })
		if err != nil {
			return pass, fmt.Errorf("%w (and %w)", wrapped, err)
		}
		pass.State = st
		var api smithy.APIError
		msg := callErr.Error()
		if errors.As(callErr, &api) {
			msg = api.ErrorMessage()
		}
		switch class {
		case ErrorInProgress, ErrorThrottled:
			pass.Decision = refresh.Decision{Kind: refresh.Wait, Events: dec.Events,
				Reason: fmt.Sprintf("update to %s refused (%s), will retry on the next event: %s", dec.Config, class, msg)}
			return pass, nil
		case ErrorEndpointNotFound:
			pass.Decision = refresh.Decision{Kind: refresh.Report, Events: append(dec.Events, refresh.EventNotFound),
				Reason: fmt.Sprintf("endpoint %s not found", r.Config.Endpoint)}
			return pass, nil
		}
		return pass, wrapped
	}
}

// started records that the update runs (refresh.Confirm).
func (r *Reconciler) started(ctx context.Context, pass Pass, note string) (Pass, error) {
	dec := pass.Decision
	if note != "" {
		r.log().Info(note)
	}
	st, err := r.modify(ctx, func(s refresh.State) refresh.State { return refresh.Confirm(s, dec.Seq) })
	if err != nil {
		// The update runs; the next pass confirms it from the endpoint's target config.
		return pass, fmt.Errorf("update endpoint %s to %s started, but: %w", r.Config.Endpoint, dec.Config, err)
	}
	pass.State, pass.Started = st, true
	return pass, nil
}

// refused books a permanent refusal as a failed deployment of the intent's changes
// (refresh.Refuse): reported, alarmed through UpdateFailed, not retried until a newer change.
func (r *Reconciler) refused(ctx context.Context, pass Pass, callErr error) (Pass, error) {
	dec := pass.Decision
	reason := fmt.Sprintf("UpdateEndpoint refused: %v", callErr)
	var api smithy.APIError
	if errors.As(callErr, &api) {
		reason = fmt.Sprintf("UpdateEndpoint refused: %s: %s", api.ErrorCode(), api.ErrorMessage())
	}
	booked := false
	st, err := r.modify(ctx, func(s refresh.State) refresh.State {
		s, booked = refresh.Refuse(s, dec.Seq, reason, r.now())
		return s
	})
	if err != nil {
		return pass, fmt.Errorf("update endpoint %s to %s: %w (and %w)", r.Config.Endpoint, dec.Config, callErr, err)
	}
	pass.State = st
	events := dec.Events
	if booked {
		events = append(events, refresh.EventUpdateFailed)
	}
	pass.Decision = refresh.Decision{Kind: refresh.Report, Events: events,
		Reason: fmt.Sprintf("update to %s: %s; not retried until a newer change", dec.Config, reason)}
	return pass, nil
}

// modify applies f to the freshly read state and writes it, redoing both on conflicts.
func (r *Reconciler) modify(ctx context.Context, f func(refresh.State) refresh.State) (refresh.State, error) {
	p := r.Config.Policy()
	for attempt := 1; ; attempt++ {
		it, err := r.Store.Load(ctx, r.Config.Endpoint)
		if err != nil {
			return refresh.State{}, err
		}
		next, err := r.Store.SaveChanged(ctx, it.State, f(it.State), p, r.now())
		if r.retryConflict(ctx, err, attempt) {
			continue
		}
		return next, err
	}
}

// report logs a pass and emits its metrics.
func (r *Reconciler) report(ctx context.Context, pass Pass) {
	dec := pass.Decision
	var names []string
	for _, e := range dec.Events {
		switch e {
		case refresh.EventUpdateSucceeded:
			names = append(names, MetricUpdateSucceeded)
		case refresh.EventUpdateFailed:
			names = append(names, MetricUpdateFailed)
		case refresh.EventDrift:
			names = append(names, MetricDrift)
		case refresh.EventEndpointFailed:
			names = append(names, MetricEndpointFailed)
		case refresh.EventOutOfService:
			names = append(names, MetricOutOfService)
		}
	}
	switch {
	case pass.Started:
		names = append(names, MetricUpdateStarted)
	case dec.Kind == refresh.Wait:
		names = append(names, MetricWaiting)
	}
	r.count(names...)
	events := make([]string, len(dec.Events))
	for i, e := range dec.Events {
		events[i] = string(e)
	}
	level := slog.LevelInfo
	if dec.Kind == refresh.Report {
		level = slog.LevelWarn
	}
	r.log().Log(ctx, level, "reconciled",
		"decision", dec.Kind.String(), "reason", dec.Reason, "events", events, "config", dec.Config,
		"started", pass.Started, "status", string(pass.Observation.Status), "currentConfig", pass.Observation.Config,
		"desired", pass.State.Desired, "deployed", pass.State.Deployed, "failed", pass.State.Failed)
}
