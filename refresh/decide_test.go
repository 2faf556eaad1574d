package refresh

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	t0       = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	modified = t0.Add(-time.Hour) // the endpoint's LastModifiedTime when the intent was recorded
	pol      = Policy{ConfigA: "cfg-a", ConfigB: "cfg-b"}
)

// with returns a copy of s changed by f (pointers are copied, never shared).
func with(s State, f func(*State)) State {
	s = s.Clone()
	f(&s)
	return s
}

func inflight(confirmed bool, startedAt time.Time) *Deployment {
	return &Deployment{Seq: 5, Config: "cfg-b", From: "cfg-a", StartedAt: startedAt, FromModified: modified, Confirmed: confirmed}
}

// want is the expected outcome of one Decide call.
type want struct {
	kind   Kind
	config string
	seq    int64
	until  time.Time
	events []Event
	state  State
	reason string // a substring of Decision.Reason
}

// decideCase is one stored state and observation, with the expected outcome per status class.
// onUpdating, when set, replaces the busy expectation for status Updating only.
type decideCase struct {
	name       string
	state      State
	obsConfig  string
	failure    string
	target     string    // Observation.Target when the status is Updating
	lastMod    time.Time // DescribeEndpoint's LastModifiedTime; zero means modified
	lastModNA  bool      // LastModifiedTime unknown (zero in the observation)
	policy     Policy
	ready      want
	busy       want
	onUpdating *want
	terminal   want
	unknown    want
}

func decideCases() []decideCase {
	upToDate := State{Endpoint: "ep", Desired: 3, Deployed: 3, Version: 7}
	pending := State{Endpoint: "ep", Desired: 5, Deployed: 3, LastChangeAt: t0.Add(-10 * time.Minute), Version: 7}
	failed := with(pending, func(s *State) { s.Failed = 5 })
	newerThanFailed := with(pending, func(s *State) { s.Failed = 4 })
	fresh := with(pending, func(s *State) { s.InFlight = inflight(false, t0.Add(-30*time.Second)) })
	stale := with(pending, func(s *State) { s.InFlight = inflight(false, t0.Add(-10*time.Minute)) })
	staleFailure := with(fresh, func(s *State) { s.InFlight.FromFailure = failureDigest("image pull failed") })
	confirmed := with(pending, func(s *State) { s.InFlight = inflight(true, t0.Add(-4*time.Minute)) })
	burst := with(confirmed, func(s *State) { s.Desired = 7 })
	quiet := Policy{ConfigA: "cfg-a", ConfigB: "cfg-b", QuietPeriod: 2 * time.Minute}
	marker := Policy{ConfigA: "cfg-a", ConfigB: "cfg-b", QuietPeriod: 2 * time.Minute, MarkerKey: "model/_SUCCESS"}
	recent := with(pending, func(s *State) { s.LastChangeAt = t0.Add(-time.Minute) })

	failedAfter := func(s State, reason string) State {
		return with(s, func(s *State) {
			s.InFlight = nil
			s.Failed = 5
			s.LastResult = &Result{Seq: 5, Config: "cfg-b", Succeeded: false, Reason: reason, At: t0}
		})
	}
	succeededAfter := func(s State) State {
		return with(s, func(s *State) {
			s.InFlight = nil
			s.Deployed = 5
			s.LastResult = &Result{Seq: 5, Config: "cfg-b", Succeeded: true, At: t0}
		})
	}
	intent := func(s State, seq int64, from, to string) State {
		return with(s, func(s *State) {
			s.InFlight = &Deployment{Seq: seq, Config: to, From: from, StartedAt: t0, FromModified: modified}
			s.Horizon = t0
		})
	}
	// Expectations shared by cases with no update of ours in flight.
	busy := func(s State) want { return want{kind: Wait, state: s, reason: "endpoint is"} }
	terminal := func(s State) want {
		return want{kind: Report, events: []Event{EventEndpointFailed}, state: s, reason: "image pull failed"}
	}
	unknown := func(s State) want {
		return want{kind: Wait, events: []Event{EventUnknownStatus}, state: s, reason: "unknown"}
	}
	// Expectations shared by cases with an update of ours in flight.
	busyIn := func(s State) want { return want{kind: Wait, state: s, reason: "update to cfg-b in progress"} }
	confirmedIn := func(s State) *want {
		w := busyIn(with(s, func(s *State) { s.InFlight.Confirmed = true }))
		return &w
	}
	terminalIn := func(s State) want {
		return want{kind: Report, events: []Event{EventUpdateFailed, EventEndpointFailed}, state: failedAfter(s, "image pull failed"), reason: "after update to cfg-b"}
	}
	// An intent nobody saw start is dropped when the endpoint fails on its own; the changes
	// stay pending.
	terminalUnconfirmed := func(s State) want {
		return want{kind: Report, events: []Event{EventEndpointFailed}, state: with(s, func(s *State) { s.InFlight = nil }), reason: "image pull failed"}
	}
	unknownIn := func(s State) want {
		return want{kind: Wait, events: []Event{EventUnknownStatus}, state: s, reason: "unknown"}
	}

	return []decideCase{
		{
			name: "up to date on A", state: upToDate, obsConfig: "cfg-a",
			ready: want{kind: NoOp, state: upToDate, reason: "up to date"},
			busy:  busy(upToDate), terminal: terminal(upToDate), unknown: unknown(upToDate),
		},
		{
			name: "pending on A swaps to B", state: pending, obsConfig: "cfg-a",
			ready: want{kind: Update, config: "cfg-b", seq: 5, state: intent(pending, 5, "cfg-a", "cfg-b"), reason: "2 change(s)"},
			busy:  busy(pending), terminal: terminal(pending), unknown: unknown(pending),
		},
		{
			name: "pending on B swaps to A", state: pending, obsConfig: "cfg-b",
			ready: want{kind: Update, config: "cfg-a", seq: 5, state: intent(pending, 5, "cfg-b", "cfg-a"), reason: "cfg-b -> cfg-a"},
			busy:  busy(pending), terminal: terminal(pending), unknown: unknown(pending),
		},
		{
			name: "pending on a foreign config is reported", state: pending, obsConfig: "cfg-manual",
			ready: want{kind: Report, events: []Event{EventDrift}, state: pending, reason: `"cfg-manual", which is neither`},
			busy:  busy(pending), terminal: terminal(pending), unknown: unknown(pending),
		},
		{
			name: "failed artifacts are not retried", state: failed, obsConfig: "cfg-a",
			ready: want{kind: NoOp, state: failed, reason: "waiting for a newer change"},
			busy:  busy(failed), terminal: terminal(failed), unknown: unknown(failed),
		},
		{
			name: "a change after a failure tries again", state: newerThanFailed, obsConfig: "cfg-a",
			ready: want{kind: Update, config: "cfg-b", seq: 5, state: intent(newerThanFailed, 5, "cfg-a", "cfg-b"), reason: "1 change(s)"},
			busy:  busy(newerThanFailed), terminal: terminal(newerThanFailed), unknown: unknown(newerThanFailed),
		},
		{
			name: "quiet period still running", state: recent, obsConfig: "cfg-a", policy: quiet,
			ready: want{kind: Wait, until: t0.Add(time.Minute), state: recent, reason: "quiet period"},
			busy:  busy(recent), terminal: terminal(recent), unknown: unknown(recent),
		},
		{
			name: "quiet period over", state: pending, obsConfig: "cfg-a", policy: quiet,
			ready: want{kind: Update, config: "cfg-b", seq: 5, state: intent(pending, 5, "cfg-a", "cfg-b")},
			busy:  busy(pending), terminal: terminal(pending), unknown: unknown(pending),
		},
		{
			name: "a marker key makes the change count at once", state: recent, obsConfig: "cfg-a", policy: marker,
			ready: want{kind: Update, config: "cfg-b", seq: 5, state: intent(recent, 5, "cfg-a", "cfg-b")},
			busy:  busy(recent), terminal: terminal(recent), unknown: unknown(recent),
		},
		{
			name: "fresh unconfirmed intent on From: another invocation may be calling", state: fresh, obsConfig: "cfg-a", target: "cfg-b",
			ready:      want{kind: Wait, until: t0.Add(90 * time.Second), state: fresh, reason: "being started"},
			busy:       busyIn(fresh),
			onUpdating: confirmedIn(fresh),
			terminal:   terminalUnconfirmed(fresh), unknown: unknownIn(fresh),
		},
		{
			name: "unconfirmed intent, Updating on the same config (autoscaling): not ours", state: fresh, obsConfig: "cfg-a",
			ready:    want{kind: Wait, until: t0.Add(90 * time.Second), state: fresh, reason: "being started"},
			busy:     busyIn(fresh),
			terminal: terminalUnconfirmed(fresh), unknown: unknownIn(fresh),
		},
		{
			name: "unconfirmed intent, Updating towards another config (CloudFormation): not ours", state: stale, obsConfig: "cfg-a", target: "cfg-new",
			ready:    want{kind: Update, config: "cfg-b", seq: 5, events: []Event{EventUpdateLost}, state: intent(pending, 5, "cfg-a", "cfg-b")},
			busy:     busyIn(stale),
			terminal: terminalUnconfirmed(stale), unknown: unknownIn(stale),
		},
		{
			name: "stale unconfirmed intent on From was lost: decide again", state: stale, obsConfig: "cfg-a", target: "cfg-b",
			ready:      want{kind: Update, config: "cfg-b", seq: 5, events: []Event{EventUpdateLost}, state: intent(pending, 5, "cfg-a", "cfg-b")},
			busy:       busyIn(stale),
			onUpdating: confirmedIn(stale),
			terminal:   terminalUnconfirmed(stale), unknown: unknownIn(stale),
		},
		{
			name: "stale unconfirmed intent, LastModified unknown: lost", state: stale, obsConfig: "cfg-a", lastModNA: true,
			ready:    want{kind: Update, config: "cfg-b", seq: 5, events: []Event{EventUpdateLost}, state: with(intent(pending, 5, "cfg-a", "cfg-b"), func(s *State) { s.InFlight.FromModified = time.Time{} })},
			busy:     busyIn(stale),
			terminal: terminalUnconfirmed(stale), unknown: unknownIn(stale),
		},
		{
			name: "unconfirmed intent, endpoint modified since with a new failure, back on From: it ran and failed", state: fresh, obsConfig: "cfg-a",
			lastMod: t0.Add(-5 * time.Second), failure: "image pull failed",
			ready:    want{kind: NoOp, events: []Event{EventUpdateFailed}, state: failedAfter(fresh, "image pull failed"), reason: "waiting for a newer change"},
			busy:     busyIn(fresh),
			terminal: terminalUnconfirmed(fresh), unknown: unknownIn(fresh),
		},
		{
			// Autoscaling's UpdateEndpointWeightsAndCapacities moves LastModifiedTime too: that
			// alone is no proof that our update ran and failed, and booking it failed would
			// block the changes.
			name: "unconfirmed intent, endpoint modified since without a failure (autoscaling): not booked as failed", state: fresh, obsConfig: "cfg-a",
			lastMod:  t0.Add(-5 * time.Second),
			ready:    want{kind: Wait, until: t0.Add(90 * time.Second), state: fresh, reason: "being started"},
			busy:     busyIn(fresh),
			terminal: terminalUnconfirmed(fresh), unknown: unknownIn(fresh),
		},
		{
			name: "unconfirmed intent, modified since, the failure it had at the decision (stale): not booked", state: staleFailure, obsConfig: "cfg-a",
			lastMod: t0.Add(-5 * time.Second), failure: "image pull failed",
			ready:    want{kind: Wait, until: t0.Add(90 * time.Second), state: staleFailure, reason: "being started"},
			busy:     busyIn(staleFailure),
			terminal: terminalUnconfirmed(staleFailure), unknown: unknownIn(staleFailure),
		},
		{
			name: "stale unconfirmed intent, endpoint modified since without a failure: decided again", state: stale, obsConfig: "cfg-a",
			lastMod:  t0.Add(-5 * time.Second),
			ready:    want{kind: Update, config: "cfg-b", seq: 5, events: []Event{EventUpdateLost}, state: with(intent(pending, 5, "cfg-a", "cfg-b"), func(s *State) { s.InFlight.FromModified = t0.Add(-5 * time.Second) })},
			busy:     busyIn(stale),
			terminal: terminalUnconfirmed(stale), unknown: unknownIn(stale),
		},
		{
			name: "unconfirmed intent, endpoint already on the target: it succeeded", state: fresh, obsConfig: "cfg-b", target: "cfg-b",
			ready:      want{kind: NoOp, events: []Event{EventUpdateSucceeded}, state: succeededAfter(fresh), reason: "up to date"},
			busy:       busyIn(fresh),
			onUpdating: confirmedIn(fresh),
			terminal:   terminalUnconfirmed(fresh), unknown: unknownIn(fresh),
		},
		{
			name: "confirmed update finished on the target", state: confirmed, obsConfig: "cfg-b",
			ready:    want{kind: NoOp, events: []Event{EventUpdateSucceeded}, state: succeededAfter(confirmed), reason: "up to date"},
			busy:     busyIn(confirmed),
			terminal: terminalIn(confirmed), unknown: unknownIn(confirmed),
		},
		{
			name: "a burst during the update causes exactly one follow-up", state: burst, obsConfig: "cfg-b",
			ready: want{kind: Update, config: "cfg-a", seq: 7, events: []Event{EventUpdateSucceeded},
				state: intent(succeededAfter(burst), 7, "cfg-b", "cfg-a"), reason: "2 change(s)"},
			busy:     busyIn(burst),
			terminal: terminalIn(burst), unknown: unknownIn(burst),
		},
		{
			name: "confirmed update rolled back with a reason", state: confirmed, obsConfig: "cfg-a", failure: "image pull failed",
			ready:    want{kind: NoOp, events: []Event{EventUpdateFailed}, state: failedAfter(confirmed, "image pull failed"), reason: "waiting for a newer change"},
			busy:     busyIn(confirmed),
			terminal: terminalIn(confirmed), unknown: unknownIn(confirmed),
		},
		{
			name: "confirmed update back on From without a reason", state: confirmed, obsConfig: "cfg-a",
			ready: want{kind: NoOp, events: []Event{EventUpdateFailed},
				state: failedAfter(confirmed, "endpoint returned to cfg-a instead of cfg-b")},
			busy:     busyIn(confirmed),
			terminal: want{kind: Report, events: []Event{EventUpdateFailed, EventEndpointFailed}, state: failedAfter(confirmed, ""), reason: "no reason given"},
			unknown:  unknownIn(confirmed),
		},
		{
			// A CloudFormation deployment moved the endpoint to a third config: neither our
			// success nor our failure; the changes stay pending.
			name: "confirmed update overridden by another config", state: confirmed, obsConfig: "cfg-manual",
			ready: want{kind: Report, events: []Event{EventUpdateOverridden, EventDrift},
				state: with(confirmed, func(s *State) { s.InFlight = nil }), reason: "neither A (cfg-a) nor B (cfg-b)"},
			busy:     busyIn(confirmed),
			terminal: terminalIn(confirmed), unknown: unknownIn(confirmed),
		},
	}
}

func TestDecideEveryStatusAndState(t *testing.T) {
	for _, st := range statusTable {
		for _, spelling := range []string{st.api, st.event} {
			for _, tc := range decideCases() {
				t.Run(spelling+"/"+tc.name, func(t *testing.T) {
					p := tc.policy
					if p.ConfigA == "" {
						p = pol
					}
					failure := tc.failure
					var w want
					switch st.class {
					case ClassReady:
						w = tc.ready
					case ClassBusy:
						w = tc.busy
						if tc.onUpdating != nil && st.api == "Updating" {
							w = *tc.onUpdating
						}
					case ClassTerminal:
						w = tc.terminal
						if failure == "" && tc.name != "confirmed update back on From without a reason" {
							failure = "image pull failed"
						}
					case ClassUnknown:
						w = tc.unknown
					}
					lastMod := tc.lastMod
					if lastMod.IsZero() && !tc.lastModNA {
						lastMod = modified
					}
					obs := Observation{Found: true, Status: ParseStatus(spelling), Config: tc.obsConfig, FailureReason: failure, LastModified: lastMod}
					if obs.Status == StatusUpdating {
						obs.Target = tc.target
					}
					if obs.Status == StatusOutOfService {
						// The first pass that finds it OutOfService starts counting.
						w.state = with(w.state, func(s *State) { s.OutOfService = &Outage{Since: t0, Passes: 1} })
					}
					before := with(tc.state, func(*State) {})
					got, d := Decide(tc.state, obs, t0, p)
					checkDecision(t, d, got, w)
					if !reflect.DeepEqual(tc.state, before) {
						t.Errorf("Decide changed its input state:\n got %+v\nwant %+v", tc.state, before)
					}
					if d.Kind == Update && st.class != ClassReady {
						t.Errorf("Update decided on status %s", spelling)
					}
				})
			}
		}
	}
}

func checkDecision(t *testing.T, d Decision, got State, w want) {
	t.Helper()
	if d.Kind != w.kind || d.Config != w.config || (w.kind == Update && d.Seq != w.seq) || !d.Until.Equal(w.until) {
		t.Errorf("decision = %v %q seq %d until %v (%s), want %v %q seq %d until %v", d.Kind, d.Config, d.Seq, d.Until, d.Reason, w.kind, w.config, w.seq, w.until)
	}
	if !slices.Equal(d.Events, w.events) {
		t.Errorf("events = %v, want %v", d.Events, w.events)
	}
	if d.Reason == "" || !strings.Contains(d.Reason, w.reason) {
		t.Errorf("reason = %q, want it to contain %q", d.Reason, w.reason)
	}
	if !reflect.DeepEqual(got, w.state) {
		g, _ := json.Marshal(got)
		e, _ := json.Marshal(w.state)
		t.Errorf("state =\n  %s\nwant\n  %s", g, e)
	}
}

func TestDecideEndpointNotFound(t *testing.T) {
	for _, s := range []State{
		{Endpoint: "ep", Desired: 5, Deployed: 3},
		{Endpoint: "ep", Desired: 5, Deployed: 3, InFlight: inflight(true, t0)},
	} {
		got, d := Decide(s, Observation{Found: false}, t0, pol)
		checkDecision(t, d, got, want{kind: Report, events: []Event{EventNotFound}, state: s, reason: "endpoint ep not found"})
	}
}

func TestConfirmAndAbandon(t *testing.T) {
	unconfirmed := State{Desired: 5, InFlight: inflight(false, t0)}
	confirmed := State{Desired: 5, InFlight: inflight(true, t0)}
	none := State{Desired: 5}
	tests := []struct {
		name string
		f    func(State, int64) State
		in   State
		seq  int64
		want State
	}{
		{"confirm marks the matching intent", Confirm, unconfirmed, 5, confirmed},
		{"confirm ignores another sequence", Confirm, unconfirmed, 4, unconfirmed},
		{"confirm after the update was booked is a no-op", Confirm, none, 5, none},
		{"confirm twice is a no-op", Confirm, confirmed, 5, confirmed},
		{"abandon drops the matching intent", Abandon, unconfirmed, 5, none},
		{"abandon drops an intent confirmed by someone else's update", Abandon, confirmed, 5, none},
		{"abandon ignores another sequence", Abandon, unconfirmed, 6, unconfirmed},
		{"abandon with nothing in flight is a no-op", Abandon, none, 5, none},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := with(tc.in, func(*State) {})
			got := tc.f(tc.in, tc.seq)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v (inflight %+v), want %+v", got, got.InFlight, tc.want)
			}
			if !reflect.DeepEqual(tc.in, before) {
				t.Errorf("input state was modified")
			}
		})
	}
}

func TestKindAndOutcomeStrings(t *testing.T) {
	for k, w := range map[Kind]string{NoOp: "noop", Wait: "wait", Update: "update", Report: "report", Kind(9): "Kind(9)", Kind(-1): "Kind(-1)"} {
		if k.String() != w {
			t.Errorf("Kind(%d).String() = %q, want %q", k, k.String(), w)
		}
	}
	for o, w := range map[RecordOutcome]string{Recorded: "recorded", Coalesced: "coalesced", Duplicate: "duplicate", NotMarker: "not-marker", Included: "included", RecordOutcome(7): "RecordOutcome(7)"} {
		if o.String() != w {
			t.Errorf("RecordOutcome(%d).String() = %q, want %q", o, o.String(), w)
		}
	}
}

func TestStateJSONRoundTrip(t *testing.T) {
	s := State{Endpoint: "ep", Desired: 7, Deployed: 5, Failed: 4, LastChangeAt: t0, LastChangeKey: "model.tar.gz",
		InFlight:   inflight(true, t0),
		LastResult: &Result{Seq: 5, Config: "cfg-a", Succeeded: true, At: t0},
		Foreign:    &Foreign{Config: "cfg-x", Since: t0}, OutOfService: &Outage{Since: t0, Passes: 2},
		Horizon: t0.Add(time.Minute), Version: 3}
	s.Recent, _ = s.Recent.Accept("model.tar.gz", "0055AED6DCD90281E5")
	s.Recent, _ = s.Recent.Accept("model/weights.bin", "0001")
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back State
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Fatalf("round trip changed the state:\n got %+v\nwant %+v", back, s)
	}
	var empty State
	b, _ = json.Marshal(State{Endpoint: "ep"})
	if strings.Contains(string(b), "lastChangeAt") || strings.Contains(string(b), "inFlight") {
		t.Errorf("zero fields are not omitted: %s", b)
	}
	if err := json.Unmarshal(b, &empty); err != nil || empty.Endpoint != "ep" {
		t.Errorf("empty state round trip: %v %+v", err, empty)
	}
}

// A deployment that changes model or config props moves the endpoint to new configs before (or
// after) the refresher learns their names: with a DriftGrace, a foreign config is waited out,
// and reported as drift only when it outlasts the grace.
func TestDecideDriftGrace(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	p := Policy{ConfigA: "cfg-a", ConfigB: "cfg-b", DriftGrace: 10 * time.Minute}
	on := func(config string) Observation {
		return Observation{Found: true, Status: StatusInService, Config: config}
	}
	pending := State{Endpoint: "ep", Desired: 2, Deployed: 1, LastChangeAt: t0.Add(-time.Hour)}

	type step struct {
		at     time.Duration
		config string
		kind   Kind
		drift  bool
		since  time.Duration // want Foreign.Since = t0 + since; -1: want no Foreign
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"foreign config waited out, then reported", []step{
			{0, "cfg-new-a", Wait, false, 0},
			{9 * time.Minute, "cfg-new-a", Wait, false, 0},
			{10 * time.Minute, "cfg-new-a", Report, true, 0},
			{20 * time.Minute, "cfg-new-a", Report, true, 0},
		}},
		{"back on A within the grace: no drift, and the pending change deploys", []step{
			{0, "cfg-new-a", Wait, false, 0},
			{5 * time.Minute, "cfg-a", Update, false, -1},
		}},
		{"another foreign config restarts the grace", []step{
			{0, "cfg-x", Wait, false, 0},
			{8 * time.Minute, "cfg-y", Wait, false, 8 * time.Minute},
			{12 * time.Minute, "cfg-y", Wait, false, 8 * time.Minute},
			{18 * time.Minute, "cfg-y", Report, true, 8 * time.Minute},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := pending
			for i, st := range tc.steps {
				var d Decision
				s, d = Decide(s, on(st.config), t0.Add(st.at), p)
				drift := slices.Contains(d.Events, EventDrift)
				if d.Kind != st.kind || drift != st.drift {
					t.Fatalf("step %d (%v on %s): %v events %v (%s), want %v drift=%v", i, st.at, st.config, d.Kind, d.Events, d.Reason, st.kind, st.drift)
				}
				switch {
				case st.since < 0 && s.Foreign != nil:
					t.Fatalf("step %d: Foreign %+v, want none", i, s.Foreign)
				case st.since >= 0 && (s.Foreign == nil || s.Foreign.Config != st.config || !s.Foreign.Since.Equal(t0.Add(st.since))):
					t.Fatalf("step %d: Foreign %+v, want %s since %v", i, s.Foreign, st.config, t0.Add(st.since))
				}
				if d.Kind == Wait && !d.Until.Equal(s.Foreign.Since.Add(p.DriftGrace)) {
					t.Fatalf("step %d: Until %v, want the end of the grace", i, d.Until)
				}
			}
		})
	}
}

// An endpoint OutOfService is waited on for a few passes, then reported on every pass until it
// leaves that status.
func TestDecideOutOfServiceIsReported(t *testing.T) {
	p := Policy{ConfigA: "cfg-a", ConfigB: "cfg-b", OutOfServicePasses: 3}
	s := State{Endpoint: "ep", Desired: 4, Deployed: 3}
	oos := Observation{Found: true, Status: StatusOutOfService, Config: "cfg-a"}
	for i, wantKind := range []Kind{Wait, Wait, Report, Report} {
		var d Decision
		s, d = Decide(s, oos, t0.Add(time.Duration(i)*time.Minute), p)
		if d.Kind != wantKind || (wantKind == Report) != slices.Contains(d.Events, EventOutOfService) {
			t.Fatalf("pass %d: %v %v (%s), want %v", i+1, d.Kind, d.Events, d.Reason, wantKind)
		}
		if s.OutOfService == nil || s.OutOfService.Passes != i+1 || !s.OutOfService.Since.Equal(t0) {
			t.Fatalf("pass %d: OutOfService = %+v", i+1, s.OutOfService)
		}
	}
	s, d := Decide(s, Observation{Found: true, Status: StatusInService, Config: "cfg-a"}, t0.Add(time.Hour), p)
	if d.Kind != Update || s.OutOfService != nil {
		t.Fatalf("back InService: %v, OutOfService %+v; want an update and the count cleared", d.Kind, s.OutOfService)
	}
	// Default: DefaultOutOfServicePasses.
	s = State{Endpoint: "ep"}
	for range DefaultOutOfServicePasses {
		s, d = Decide(s, oos, t0, Policy{ConfigA: "cfg-a", ConfigB: "cfg-b"})
	}
	if d.Kind != Report {
		t.Fatalf("after %d passes with the default policy: %v", DefaultOutOfServicePasses, d.Kind)
	}
}

func TestRefuse(t *testing.T) {
	s := State{Endpoint: "ep", Desired: 5, Deployed: 3, InFlight: inflight(false, t0)}
	long := strings.Repeat("é", MaxReasonInState)
	got, ok := Refuse(s, 5, "ResourceLimitExceeded: "+long, t0)
	if !ok || got.InFlight != nil || got.Failed != 5 || got.LastResult == nil || got.LastResult.Succeeded ||
		!strings.HasPrefix(got.LastResult.Reason, "ResourceLimitExceeded") || len(got.LastResult.Reason) > MaxReasonInState {
		t.Fatalf("Refuse = %+v (%v), result %+v", got, ok, got.LastResult)
	}
	if got.Pending() {
		t.Fatal("refused changes are still pending: they would be retried in a loop")
	}
	if _, d := Decide(got, Observation{Found: true, Status: StatusInService, Config: "cfg-a"}, t0, pol); d.Kind != NoOp {
		t.Fatalf("after a refusal: %v, want noop until a newer change", d.Kind)
	}
	if again, ok := Refuse(s, 4, "x", t0); ok || !again.Equal(s) {
		t.Fatal("Refuse booked another sequence's intent")
	}
	if s.InFlight == nil {
		t.Fatal("Refuse modified its input")
	}
}
