package refresh

import (
	"fmt"
	"strings"
	"time"
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
	// Seen maps object keys to the newest S3 sequencer accepted for them, so duplicate and
	// out-of-order deliveries of the same change are ignored.
	Seen map[string]string `json:"seen,omitempty"`
	// Foreign is the config neither A nor B that the endpoint was first seen on, while
	// Policy.DriftGrace runs; nil when the endpoint is on A or B.
	Foreign *Foreign `json:"foreign,omitempty"`
	// Version is owned by the store: the item version this state was read at (0: new).
	Version int64 `json:"version"`
}

// Pending reports whether accepted changes wait for a deployment (and are not known to fail).
func (s State) Pending() bool { return s.Desired > s.Deployed && s.Desired > s.Failed }

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
	// unknown); a later LastModifiedTime proves the update ran.
	FromModified time.Time `json:"fromModified,omitzero"`
	// Confirmed is set once UpdateEndpoint was accepted (or the endpoint was seen Updating).
	// An unconfirmed deployment whose endpoint is InService on From never happened: the
	// process stopped between recording the intent and calling UpdateEndpoint.
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
	// MaxSeen bounds the Seen map (default 1000 keys).
	MaxSeen int
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

// DefaultMaxSeen bounds how many object keys State.Seen remembers.
const DefaultMaxSeen = 1000

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
)

func (o RecordOutcome) String() string {
	if o < Recorded || o > NotMarker {
		return fmt.Sprintf("RecordOutcome(%d)", int(o))
	}
	return [...]string{"recorded", "coalesced", "duplicate", "not-marker"}[o]
}

// Record folds one change into the state.
func Record(s State, c Change, p Policy) (State, RecordOutcome) {
	if p.MarkerKey != "" && c.Key != p.MarkerKey {
		return s, NotMarker
	}
	if c.Sequencer != "" {
		if prev, ok := s.Seen[c.Key]; ok && !SequencerAfter(c.Sequencer, prev) {
			return s, Duplicate
		}
		s.Seen = cloneSeen(s.Seen, p.maxSeen())
		s.Seen[c.Key] = c.Sequencer
	}
	outcome := Recorded
	if s.InFlight != nil || s.Pending() {
		outcome = Coalesced
	}
	s.Desired++
	if c.At.After(s.LastChangeAt) {
		s.LastChangeAt = c.At
		s.LastChangeKey = c.Key
	}
	return s, outcome
}

func (p Policy) maxSeen() int {
	if p.MaxSeen > 0 {
		return p.MaxSeen
	}
	return DefaultMaxSeen
}

// cloneSeen copies m (states are values; callers keep the old one) leaving room for one more
// key. Past max it forgets arbitrary keys: a forgotten key's duplicate costs at most one extra
// update, never a lost one.
func cloneSeen(m map[string]string, max int) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		if len(out) >= max-1 {
			break
		}
		out[k] = v
	}
	return out
}

// SequencerAfter reports whether S3 sequencer a is newer than b. S3 documents the comparison:
// pad the shorter hex string with leading zeros, then compare as strings.
func SequencerAfter(a, b string) bool {
	a, b = strings.ToUpper(a), strings.ToUpper(b)
	for len(a) < len(b) {
		a = "0" + a
	}
	for len(b) < len(a) {
		b = "0" + b
	}
	return a > b
}
