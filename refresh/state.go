package refresh

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// State is what the refresher remembers about one endpoint between invocations. The adapter
// stores it (one DynamoDB item per endpoint) and writes it back only if Version is unchanged, so
// concurrent invocations never both start an update.
type State struct {
	// Endpoint is the endpoint name.
	Endpoint string `json:"endpoint"`
	// Desired counts the accepted changes to watched artifacts; every change bumps it.
	Desired int64 `json:"desired"`
	// LastChangeAt is the event time of the newest accepted change; the quiet period runs from it.
	LastChangeAt time.Time `json:"lastChangeAt,omitzero"`
	// LastChangeKey is the object key of the newest accepted change, for people reading status.
	LastChangeKey string `json:"lastChangeKey,omitempty"`
	// Deployed is the Desired value that the last successful deployment included.
	Deployed int64 `json:"deployed"`
	// Failed is the Desired value whose deployment failed. Those artifacts are not retried until
	// a newer change moves Desired past it.
	Failed int64 `json:"failed"`
	// InFlight is the update this refresher started and has not yet seen finish.
	InFlight *Deployment `json:"inFlight,omitempty"`
	// LastResult is how the most recent deployment ended.
	LastResult *Result `json:"lastResult,omitempty"`
	// Recent remembers the newest S3 sequencer of the most recently changed keys, so duplicate
	// and out-of-order deliveries of a change are ignored. Its size is fixed (RecentKeys).
	Recent Recent `json:"recent,omitzero"`
	// Horizon is when the newest deployment was decided. A change whose event time is more than
	// EventTimeSlack before it was in S3 when that deployment started, so the deployment loads
	// it: a late or duplicate delivery of it is not a new change, even when Recent has forgotten
	// its key (an upload of more than RecentKeys files).
	Horizon time.Time `json:"horizon,omitzero"`
	// OutOfService counts the passes that found the endpoint OutOfService in a row; nil when
	// the last pass did not.
	OutOfService *Outage `json:"outOfService,omitempty"`
	// Foreign is the config neither A nor B that the endpoint was first seen on, while
	// Policy.DriftGrace runs; nil when the endpoint is on A or B.
	Foreign *Foreign `json:"foreign,omitempty"`
	// Version is owned by the store: the item version this state was read at (0: new).
	Version int64 `json:"version"`
}

// Pending reports whether accepted changes wait for a deployment (and are not known to fail).
func (s State) Pending() bool { return s.Desired > s.Deployed && s.Desired > s.Failed }

// Outage records since when, and for how many passes, the endpoint is OutOfService.
type Outage struct {
	Since  time.Time `json:"since"`
	Passes int       `json:"passes"`
}

// Foreign records since when the endpoint is on a config that is neither A nor B.
type Foreign struct {
	Config string    `json:"config"`
	Since  time.Time `json:"since"`
}

// Deployment is an UpdateEndpoint this refresher decided to make.
type Deployment struct {
	// Seq is the Desired value it includes.
	Seq int64 `json:"seq"`
	// Config is the endpoint config it moves the endpoint to.
	Config string `json:"config"`
	// From is the endpoint config the endpoint was on.
	From string `json:"from"`
	// StartedAt is when the decision was made.
	StartedAt time.Time `json:"startedAt"`
	// FromModified is the endpoint's LastModifiedTime when the decision was made (zero when
	// unknown), and FromFailure a digest of its FailureReason then (empty when none). An
	// unconfirmed deployment whose endpoint is back on From, modified since and with a new
	// FailureReason ran and rolled back unseen. A changed LastModifiedTime alone proves nothing:
	// Application Auto Scaling and maintenance move it too.
	FromModified time.Time `json:"fromModified,omitzero"`
	FromFailure  string    `json:"fromFailure,omitempty"`
	// Confirmed is set once UpdateEndpoint was accepted, or DescribeEndpoint showed the endpoint
	// Updating towards Config (Observation.Target). An unconfirmed deployment whose endpoint is
	// InService on From after Policy.IntentTimeout never happened: the process stopped between
	// recording the intent and calling UpdateEndpoint, or the call was refused.
	Confirmed bool `json:"confirmed"`
}

// Result is how a deployment ended.
type Result struct {
	Seq       int64     `json:"seq"`
	Config    string    `json:"config"`
	Succeeded bool      `json:"succeeded"`
	Reason    string    `json:"reason,omitempty"`
	At        time.Time `json:"at"`
}

// Change is one observed change to a watched artifact (an S3 object created or deleted).
type Change struct {
	// Key is the object key.
	Key string
	// Sequencer is S3's per-key ordering token; empty when unknown (then no deduplication).
	Sequencer string
	// At is when the change happened (the event time).
	At time.Time
}

// Policy is the per-endpoint configuration of the decisions.
type Policy struct {
	// ConfigA and ConfigB are the two identical endpoint configs the endpoint swaps between.
	ConfigA, ConfigB string
	// QuietPeriod is how long after the newest change to wait before updating, so multi-file
	// uploads finish. Zero for single-object artifacts (a PUT replaces them atomically).
	QuietPeriod time.Duration
	// MarkerKey, when set, is a completion marker: only changes to this key count, and they
	// count at once (the uploader writes it last).
	MarkerKey string
	// OutOfServicePasses is how many passes in a row may find the endpoint OutOfService before
	// Decide reports it (default DefaultOutOfServicePasses).
	OutOfServicePasses int
	// IntentTimeout is how long an unconfirmed intent belongs to the invocation that recorded
	// it (default DefaultIntentTimeout). Until then other passes wait instead of declaring it
	// lost; it must exceed the refresher function's timeout.
	IntentTimeout time.Duration
	// DriftGrace is how long the endpoint may sit on a config that is neither A nor B before
	// Decide reports drift. A CDK deployment that changes model or config props moves the
	// endpoint to new content-named configs and gives the refresher the new A/B names in the
	// same deployment, in no fixed order; the grace keeps that window from raising the drift
	// alarm. Zero reports at once (what a person running smcd wants).
	DriftGrace time.Duration
}

// DefaultOutOfServicePasses is Policy.OutOfServicePasses when unset.
const DefaultOutOfServicePasses = 3

// EventTimeSlack is how much earlier than the true moment of a change its event time may be
// (S3 event times have whole seconds, and clocks differ), with a wide margin: a change is
// known to be in a deployment only when its event time is more than EventTimeSlack before the
// deployment was decided. It is also the shortest quiet period for which a multi-file upload
// of any size is guaranteed to cause exactly one update.
const EventTimeSlack = time.Minute

// DefaultIntentTimeout is Policy.IntentTimeout when unset.
const DefaultIntentTimeout = 2 * time.Minute

func (p Policy) intentTimeout() time.Duration {
	if p.IntentTimeout > 0 {
		return p.IntentTimeout
	}
	return DefaultIntentTimeout
}

// Other returns the config to swap to from current, and false when current is neither A nor B.
func (p Policy) Other(current string) (string, bool) {
	switch current {
	case p.ConfigA:
		return p.ConfigB, true
	case p.ConfigB:
		return p.ConfigA, true
	}
	return "", false
}

// RecordOutcome says what Record did with a change.
type RecordOutcome int

// Record outcomes.
const (
	// Recorded: the change bumped Desired; a deployment will include it.
	Recorded RecordOutcome = iota
	// Coalesced: recorded, and folded into a deployment that was already pending or running.
	Coalesced
	// Duplicate: the same or an older change to this key was already recorded.
	Duplicate
	// NotMarker: a completion marker is configured and this is not it.
	NotMarker
	// Included: the change happened before the newest deployment was decided (State.Horizon),
	// so that deployment loads it; a late or repeated delivery is not a new change.
	Included
)

func (o RecordOutcome) String() string {
	if o < Recorded || o > Included {
		return fmt.Sprintf("RecordOutcome(%d)", int(o))
	}
	return [...]string{"recorded", "coalesced", "duplicate", "not-marker", "included"}[o]
}

// Record folds one change into the state.
func Record(s State, c Change, p Policy) (State, RecordOutcome) {
	if p.MarkerKey != "" && c.Key != p.MarkerKey {
		return s, NotMarker
	}
	if !c.At.IsZero() && !s.Horizon.IsZero() && c.At.Add(EventTimeSlack).Before(s.Horizon) {
		return s, Included
	}
	if c.Sequencer != "" {
		var fresh bool
		if s.Recent, fresh = s.Recent.Accept(c.Key, c.Sequencer); !fresh {
			return s, Duplicate
		}
	}
	outcome := Recorded
	if s.InFlight != nil || s.Pending() {
		outcome = Coalesced
	}
	s.Desired++
	if c.At.After(s.LastChangeAt) {
		s.LastChangeAt = c.At
		s.LastChangeKey = clip(c.Key, MaxKeyInState)
	}
	return s, outcome
}

func (p Policy) outOfServicePasses() int {
	if p.OutOfServicePasses > 0 {
		return p.OutOfServicePasses
	}
	return DefaultOutOfServicePasses
}

// Limits on the strings a State keeps for people (in bytes), so the stored item stays small
// whatever the keys and failure reasons are: S3 keys reach 1,024 bytes, SageMaker failure
// reasons 1,024 characters.
const (
	MaxKeyInState    = 200
	MaxReasonInState = 400
)

// clip shortens s to at most n bytes, at a UTF-8 boundary, marking the cut with "...".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// Clone returns a deep copy of s: no pointer is shared, so changing the copy never changes s.
func (s State) Clone() State {
	s.InFlight = clonePtr(s.InFlight)
	s.LastResult = clonePtr(s.LastResult)
	s.Foreign = clonePtr(s.Foreign)
	s.OutOfService = clonePtr(s.OutOfService)
	return s
}

// Equal reports whether s and o hold the same state. Version, owned by the store, is not
// compared, and times compare as instants (a state read back from JSON equals the one written).
// The store, the reconciler and the simulator use it to decide whether a pass must write.
func (s State) Equal(o State) bool {
	return s.Endpoint == o.Endpoint && s.Desired == o.Desired && s.Deployed == o.Deployed && s.Failed == o.Failed &&
		s.LastChangeAt.Equal(o.LastChangeAt) && s.LastChangeKey == o.LastChangeKey &&
		s.Recent == o.Recent && s.Horizon.Equal(o.Horizon) &&
		equalPtr(s.InFlight, o.InFlight, Deployment.equal) && equalPtr(s.LastResult, o.LastResult, Result.equal) &&
		equalPtr(s.Foreign, o.Foreign, Foreign.equal) && equalPtr(s.OutOfService, o.OutOfService, Outage.equal)
}

func (d Deployment) equal(o Deployment) bool {
	return d.Seq == o.Seq && d.Config == o.Config && d.From == o.From && d.StartedAt.Equal(o.StartedAt) &&
		d.FromModified.Equal(o.FromModified) && d.FromFailure == o.FromFailure && d.Confirmed == o.Confirmed
}

func (r Result) equal(o Result) bool {
	return r.Seq == o.Seq && r.Config == o.Config && r.Succeeded == o.Succeeded && r.Reason == o.Reason && r.At.Equal(o.At)
}

func (f Foreign) equal(o Foreign) bool { return f.Config == o.Config && f.Since.Equal(o.Since) }

func (u Outage) equal(o Outage) bool { return u.Passes == o.Passes && u.Since.Equal(o.Since) }

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

func equalPtr[T any](a, b *T, eq func(T, T) bool) bool {
	if a == nil || b == nil {
		return a == b
	}
	return eq(*a, *b)
}
