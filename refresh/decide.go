package refresh

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Observation is what DescribeEndpoint said just now.
type Observation struct {
	// Found is false when the endpoint does not exist.
	Found bool
	// Status is the endpoint status.
	Status Status
	// Config is the endpoint config the endpoint is on (DescribeEndpoint's EndpointConfigName:
	// during an update, still the config it is moving away from).
	Config string
	// Target is the endpoint config an update in progress moves the endpoint to
	// (DescribeEndpoint's PendingDeploymentSummary.EndpointConfigName); empty when no update to
	// another config runs. SageMaker documents that summary only for creating or updating with a
	// new endpoint config, so an update on the same config (Application Auto Scaling's
	// UpdateEndpointWeightsAndCapacities) has none.
	Target string
	// FailureReason is SageMaker's reason for the last failure, if any.
	FailureReason string
	// LastModified is DescribeEndpoint's LastModifiedTime (zero when unknown), for logs. Other
	// actors move it too (autoscaling, maintenance), so decisions never rest on it.
	LastModified time.Time
}

// Kind is the action a Decision asks for.
type Kind int

// Decision kinds.
const (
	// NoOp: nothing to do (up to date, or waiting for a newer change after a failure).
	NoOp Kind = iota
	// Wait: the endpoint is busy or the quiet period runs; a later event or schedule resumes.
	Wait
	// Update: call UpdateEndpoint to Decision.Config. The returned state records the intent
	// and must be stored before the call.
	Update
	// Report: a person must look (endpoint missing, Failed, or on a config neither A nor B).
	Report
)

func (k Kind) String() string {
	if k < NoOp || k > Report {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return [...]string{"noop", "wait", "update", "report"}[k]
}

// Event is a notable transition a decision observed, for logs and metrics.
type Event string

// Events a decision can carry.
const (
	EventUpdateSucceeded Event = "UpdateSucceeded"
	EventUpdateFailed    Event = "UpdateFailed"
	// EventUpdateLost: an intent was recorded but UpdateEndpoint never took effect (a crash
	// between the two); the update is decided again.
	EventUpdateLost     Event = "UpdateLost"
	EventDrift          Event = "Drift"
	EventEndpointFailed Event = "EndpointFailed"
	EventNotFound       Event = "EndpointNotFound"
	EventUnknownStatus  Event = "UnknownStatus"
	// EventUpdateOverridden: while an update of ours was recorded, another actor (a
	// CloudFormation deployment) moved the endpoint to a config that is neither our target nor
	// where it came from. The update is booked neither as succeeded nor as failed; the changes
	// stay pending.
	EventUpdateOverridden Event = "UpdateOverridden"
	// EventOutOfService: the endpoint stayed OutOfService for Policy.OutOfServicePasses passes.
	EventOutOfService Event = "OutOfService"
)

// Decision is what to do next, as data; package refresher executes it.
type Decision struct {
	Kind Kind
	// Config is the target endpoint config of an Update.
	Config string
	// Seq is the Desired value an Update includes.
	Seq int64
	// Until is when a time-bound Wait ends: the quiet period, or the lease of an intent that
	// another invocation may be about to execute. Zero for waits on the endpoint status. An
	// executor may schedule a reconcile at Until; the periodic reconcile heals it otherwise.
	Until time.Time
	// Reason says why, in words for logs and `smcd status`.
	Reason string
	// Events are the transitions observed on the way.
	Events []Event
}

// Decide is one reconcile pass: from the stored state, a fresh observation of the endpoint and
// the time, it returns the next state and what to do. It never returns Update unless the
// endpoint is InService on config A or B and no other update of ours is in flight.
func Decide(s State, obs Observation, now time.Time, p Policy) (State, Decision) {
	var events []Event
	if !obs.Found {
		return s, Decision{Kind: Report, Reason: fmt.Sprintf("endpoint %s not found", s.Endpoint), Events: []Event{EventNotFound}}
	}
	class := obs.Status.Class()
	if obs.Status != StatusOutOfService {
		s.OutOfService = nil
	} else if s.OutOfService == nil {
		s.OutOfService = &Outage{Since: now, Passes: 1}
	} else {
		s.OutOfService = &Outage{Since: s.OutOfService.Since, Passes: s.OutOfService.Passes + 1}
	}

	if d := s.InFlight; d != nil {
		switch {
		case class == ClassBusy:
			if obs.Status == StatusUpdating && obs.Target == d.Config && !d.Confirmed {
				// Updating towards our target: the call took effect even if we never stored
				// its answer. Updating on the same config (autoscaling) or towards another
				// config (CloudFormation) is someone else's update and confirms nothing.
				s.InFlight = clonePtr(d)
				s.InFlight.Confirmed = true
			}
			if dec, ok := outOfService(s, obs, p); ok {
				return s, dec
			}
			return s, Decision{Kind: Wait, Reason: fmt.Sprintf("update to %s in progress (endpoint %s)", d.Config, obs.Status)}
		case class == ClassTerminal && d.Confirmed:
			s = finish(s, false, obs.FailureReason, now)
			return s, Decision{Kind: Report, Reason: fmt.Sprintf("endpoint is %s after update to %s: %s", obs.Status, d.Config, orUnknown(obs.FailureReason)),
				Events: []Event{EventUpdateFailed, EventEndpointFailed}}
		case class == ClassTerminal:
			// Our update never started; the endpoint failed on its own. The changes stay pending.
			s.InFlight = nil
		case class == ClassReady && obs.Config == d.Config:
			s = finish(s, true, "", now)
			events = append(events, EventUpdateSucceeded)
		case class == ClassReady && obs.Config == d.From && d.Confirmed:
			// Our update ran and the endpoint is back where it came from: it rolled back.
			s = finish(s, false, failureReason(obs, d), now)
			events = append(events, EventUpdateFailed)
		case class == ClassReady && obs.Config == d.From && ranAndFailed(d, obs):
			// Nobody saw it Updating, but since the decision the endpoint was modified and
			// gained a new FailureReason: the update ran and rolled back. Not retried.
			s = finish(s, false, failureReason(obs, d), now)
			events = append(events, EventUpdateFailed)
		case class == ClassReady && obs.Config == d.From && now.Before(d.StartedAt.Add(p.intentTimeout())):
			// The invocation that recorded the intent may be about to call UpdateEndpoint;
			// deciding again now would race it into "Cannot update in-progress endpoint".
			until := d.StartedAt.Add(p.intentTimeout())
			return s, Decision{Kind: Wait, Until: until,
				Reason: fmt.Sprintf("update to %s is being started (intent recorded %s); waiting until %s", d.Config, d.StartedAt.Format(time.RFC3339), until.Format(time.RFC3339))}
		case class == ClassReady && obs.Config == d.From:
			// Nobody saw our update run (a changed LastModifiedTime without a new failure may
			// be autoscaling's): it never started, or ran unseen. Deciding again risks one
			// redundant update; booking it as failed could lose the changes.
			s.InFlight = nil
			events = append(events, EventUpdateLost)
		case class == ClassReady:
			// Another actor moved the endpoint to a third config: not our update's outcome.
			s.InFlight = nil
			events = append(events, EventUpdateOverridden)
		default:
			return s, Decision{Kind: Wait, Reason: fmt.Sprintf("endpoint status %q is unknown; waiting", obs.Status), Events: []Event{EventUnknownStatus}}
		}
	}

	switch class {
	case ClassBusy:
		if dec, ok := outOfService(s, obs, p); ok {
			dec.Events = append(events, dec.Events...)
			return s, dec
		}
		return s, Decision{Kind: Wait, Reason: fmt.Sprintf("endpoint is %s", obs.Status), Events: events}
	case ClassTerminal:
		return s, Decision{Kind: Report, Reason: fmt.Sprintf("endpoint is %s: %s", obs.Status, orUnknown(obs.FailureReason)), Events: append(events, EventEndpointFailed)}
	case ClassUnknown:
		return s, Decision{Kind: Wait, Reason: fmt.Sprintf("endpoint status %q is unknown; waiting", obs.Status), Events: append(events, EventUnknownStatus)}
	}

	next, ok := p.Other(obs.Config)
	if !ok {
		if p.DriftGrace > 0 {
			if s.Foreign == nil || s.Foreign.Config != obs.Config {
				s.Foreign = &Foreign{Config: obs.Config, Since: now}
			}
			if until := s.Foreign.Since.Add(p.DriftGrace); now.Before(until) {
				return s, Decision{Kind: Wait, Until: until, Events: events,
					Reason: fmt.Sprintf("endpoint is on config %q, which is neither A (%s) nor B (%s); waiting until %s for a deployment to settle before reporting drift", obs.Config, p.ConfigA, p.ConfigB, until.Format(time.RFC3339))}
			}
		}
		return s, Decision{Kind: Report, Events: append(events, EventDrift),
			Reason: fmt.Sprintf("endpoint is on config %q, which is neither A (%s) nor B (%s); refresh paused until it is back on one of them", obs.Config, p.ConfigA, p.ConfigB)}
	}
	s.Foreign = nil
	switch {
	case s.Desired <= s.Deployed:
		return s, Decision{Kind: NoOp, Reason: "up to date", Events: events}
	case s.Desired <= s.Failed:
		return s, Decision{Kind: NoOp, Events: events,
			Reason: "the last update of these artifacts failed; waiting for a newer change"}
	}
	if until := s.LastChangeAt.Add(p.QuietPeriod); p.MarkerKey == "" && now.Before(until) {
		return s, Decision{Kind: Wait, Until: until, Events: events,
			Reason: fmt.Sprintf("quiet period: last change %s, updating after %s", s.LastChangeAt.Format(time.RFC3339), until.Format(time.RFC3339))}
	}
	s.InFlight = &Deployment{Seq: s.Desired, Config: next, From: obs.Config, StartedAt: now,
		FromModified: obs.LastModified, FromFailure: failureDigest(obs.FailureReason)}
	s.Horizon = now
	return s, Decision{Kind: Update, Config: next, Seq: s.Desired, Events: events,
		Reason: fmt.Sprintf("%d change(s) since the last deployment; swapping %s -> %s", s.Desired-max(s.Deployed, s.Failed), obs.Config, next)}
}

// outOfService reports an endpoint that stayed OutOfService for Policy.OutOfServicePasses
// passes: it is not waited on silently for ever.
func outOfService(s State, obs Observation, p Policy) (Decision, bool) {
	o := s.OutOfService
	if o == nil || o.Passes < p.outOfServicePasses() {
		return Decision{}, false
	}
	return Decision{Kind: Report, Events: []Event{EventOutOfService},
		Reason: fmt.Sprintf("endpoint is %s since %s (%d passes): %s", obs.Status, o.Since.Format(time.RFC3339), o.Passes, orUnknown(obs.FailureReason))}, true
}

// Confirm records that UpdateEndpoint accepted the deployment with sequence seq.
func Confirm(s State, seq int64) State {
	if s.InFlight != nil && s.InFlight.Seq == seq {
		s.InFlight = clonePtr(s.InFlight)
		s.InFlight.Confirmed = true
	}
	return s
}

// Refuse records that UpdateEndpoint refused the deployment with sequence seq for good
// (ResourceLimitExceeded, a validation error, AccessDenied): it is booked as a failed
// deployment of those changes, like an update that rolled back, and not retried until a newer
// change arrives. It returns the state and whether it booked the failure.
func Refuse(s State, seq int64, reason string, now time.Time) (State, bool) {
	if s.InFlight == nil || s.InFlight.Seq != seq {
		return s, false
	}
	return finish(s, false, reason, now), true
}

// Abandon records that UpdateEndpoint refused the deployment with sequence seq (the endpoint
// turned busy, throttling): the intent is dropped and the changes stay pending for the next pass.
// A refused call never started, so the intent is dropped even when a pass marked it confirmed
// (it saw the endpoint Updating, which was then someone else's update): keeping it would later
// book that update's end as ours, and a failure would block the pending changes.
func Abandon(s State, seq int64) State {
	if s.InFlight != nil && s.InFlight.Seq == seq {
		s.InFlight = nil
	}
	return s
}

func finish(s State, ok bool, reason string, now time.Time) State {
	d := s.InFlight
	s.InFlight = nil
	s.LastResult = &Result{Seq: d.Seq, Config: d.Config, Succeeded: ok, Reason: clip(reason, MaxReasonInState), At: now}
	if ok {
		s.Deployed = max(s.Deployed, d.Seq)
	} else {
		s.Failed = max(s.Failed, d.Seq)
	}
	return s
}

// ranAndFailed reports the evidence that an unconfirmed deployment ran and rolled back: the
// endpoint was modified after the decision and has a FailureReason it did not have then.
func ranAndFailed(d *Deployment, obs Observation) bool {
	return !d.FromModified.IsZero() && obs.LastModified.After(d.FromModified) &&
		obs.FailureReason != "" && failureDigest(obs.FailureReason) != d.FromFailure
}

// failureDigest is a short digest of a FailureReason (empty for none), so the state remembers
// which failure the endpoint showed without keeping its text.
func failureDigest(reason string) string {
	if reason == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(reason))
	return hex.EncodeToString(sum[:8])
}

func failureReason(obs Observation, d *Deployment) string {
	if obs.FailureReason != "" {
		return obs.FailureReason
	}
	return fmt.Sprintf("endpoint returned to %s instead of %s", obs.Config, d.Config)
}

func orUnknown(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}
