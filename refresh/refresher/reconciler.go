package refresher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/smithy-go"

	"github.com/sagemaker-cd/sagemaker-cd/refresh"
)

// DefaultMaxAttempts bounds how often a pass is redone after losing a conditional-write race.
const DefaultMaxAttempts = 8

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
}

// Pass is the outcome of one reconcile pass.
type Pass struct {
	// Observation is what DescribeEndpoint said.
	Observation refresh.Observation
	// Decision is what was decided and done. An Update whose call was refused (endpoint busy,
	// throttled) is reported as a Wait.
	Decision refresh.Decision
	// State is the state after the pass.
	State refresh.State
	// Started is true when UpdateEndpoint accepted an update in this pass.
	Started bool
}

// RecordResult counts what Record did with a set of changes.
type RecordResult struct {
	Recorded, Coalesced, Duplicates, NotMarker int
	State                                      refresh.State
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
			}
		}
		if res.Recorded+res.Coalesced > 0 {
			res.State, err = r.Store.Save(ctx, res.State, p, r.now())
			if errors.Is(err, ErrConflict) && attempt < r.attempts() {
				continue
			}
			if err != nil {
				return RecordResult{}, fmt.Errorf("record %d change(s) for endpoint %s: %w", len(changes), r.Config.Endpoint, err)
			}
		}
		var names []string
		for range res.Recorded + res.Coalesced {
			names = append(names, MetricChangeRecorded)
		}
		for range res.Coalesced {
			names = append(names, MetricCoalesced)
		}
		for range res.Duplicates {
			names = append(names, MetricDuplicateIgnored)
		}
		r.count(names...)
		r.log().Info("changes recorded", "recorded", res.Recorded, "coalesced", res.Coalesced,
			"duplicates", res.Duplicates, "notMarker", res.NotMarker, "desired", res.State.Desired,
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
		FailureReason: aws.ToString(out.FailureReason),
		LastModified:  aws.ToTime(out.LastModifiedTime),
	}, nil
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
		if changed(it.State, next) {
			next, err = r.Store.Save(ctx, next, p, now)
			if errors.Is(err, ErrConflict) && attempt < r.attempts() {
				r.log().Debug("state changed concurrently; redoing the pass", "attempt", attempt)
				continue
			}
			if err != nil {
				return Pass{}, fmt.Errorf("reconcile endpoint %s: %w", r.Config.Endpoint, err)
			}
		}
		pass := Pass{Observation: obs, Decision: dec, State: next}
		if dec.Kind == refresh.Update {
			pass, err = r.update(ctx, pass)
		}
		r.report(ctx, pass)
		return pass, err
	}
}

// update calls UpdateEndpoint for a stored intent and records how it went.
func (r *Reconciler) update(ctx context.Context, pass Pass) (Pass, error) {
	dec := pass.Decision
	in := &sagemaker.UpdateEndpointInput{
		EndpointName:               aws.String(r.Config.Endpoint),
		EndpointConfigName:         aws.String(dec.Config),
		RetainAllVariantProperties: aws.Bool(r.Config.RetainAllVariantProperties),
		DeploymentConfig:           r.Config.DeploymentConfig,
	}
	_, callErr := r.SageMaker.UpdateEndpoint(ctx, in)
	if callErr == nil {
		st, err := r.modify(ctx, func(s refresh.State) refresh.State { return refresh.Confirm(s, dec.Seq) })
		if err != nil {
			// The update runs; the next pass confirms it from the Updating status.
			return pass, fmt.Errorf("update endpoint %s to %s started, but: %w", r.Config.Endpoint, dec.Config, err)
		}
		pass.State, pass.Started = st, true
		return pass, nil
	}
	var api smithy.APIError
	if !errors.As(callErr, &api) {
		// No answer (network, timeout): the call may have taken effect. Keep the intent; the
		// next pass sees Updating (confirm) or InService on the old config (lost, decide again).
		return pass, fmt.Errorf("update endpoint %s to %s: %w", r.Config.Endpoint, dec.Config, callErr)
	}
	st, err := r.modify(ctx, func(s refresh.State) refresh.State { return refresh.Abandon(s, dec.Seq) })
	if err != nil {
		return pass, fmt.Errorf("update endpoint %s to %s: %w (and %w)", r.Config.Endpoint, dec.Config, callErr, err)
	}
	pass.State = st
	switch {
	case isBusy(callErr):
		pass.Decision = refresh.Decision{Kind: refresh.Wait, Events: dec.Events,
			Reason: fmt.Sprintf("update to %s refused, will retry on the next event: %s", dec.Config, api.ErrorMessage())}
		return pass, nil
	case IsEndpointNotFound(callErr):
		pass.Decision = refresh.Decision{Kind: refresh.Report, Events: append(dec.Events, refresh.EventNotFound),
			Reason: fmt.Sprintf("endpoint %s not found", r.Config.Endpoint)}
		return pass, nil
	}
	return pass, fmt.Errorf("update endpoint %s to %s: %w", r.Config.Endpoint, dec.Config, callErr)
}

// modify applies f to the freshly read state and writes it, redoing both on conflicts.
func (r *Reconciler) modify(ctx context.Context, f func(refresh.State) refresh.State) (refresh.State, error) {
	p := r.Config.Policy()
	for attempt := 1; ; attempt++ {
		it, err := r.Store.Load(ctx, r.Config.Endpoint)
		if err != nil {
			return refresh.State{}, err
		}
		next := f(it.State)
		if !changed(it.State, next) {
			return it.State, nil
		}
		next, err = r.Store.Save(ctx, next, p, r.now())
		if errors.Is(err, ErrConflict) && attempt < r.attempts() {
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

// changed reports whether b differs from a in anything but the store's version.
func changed(a, b refresh.State) bool {
	a.Version, b.Version = 0, 0
	return !reflect.DeepEqual(a, b)
}
