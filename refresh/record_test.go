package refresh

import (
	"reflect"
	"testing"
	"time"
)

// accept remembers key at sequencer seq in s.Recent.
func accept(s *State, key, seq string) { s.Recent, _ = s.Recent.Accept(key, seq) }

func TestRecord(t *testing.T) {
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	idle := State{Endpoint: "ep", Desired: 3, Deployed: 3, LastChangeAt: at(-60), LastChangeKey: "model.tar.gz"}
	accept(&idle, "model.tar.gz", "0055AED6DCD90281E5")
	running := with(idle, func(s *State) { s.InFlight = inflight(true, at(-2)) })
	failed := with(idle, func(s *State) { s.Desired, s.Failed = 4, 4 })
	marker := Policy{ConfigA: "cfg-a", ConfigB: "cfg-b", MarkerKey: "model/_SUCCESS"}

	tests := []struct {
		name    string
		state   State
		change  Change
		policy  Policy
		outcome RecordOutcome
		want    State
	}{
		{
			name: "a newer sequencer is recorded", state: idle,
			change:  Change{Key: "model.tar.gz", Sequencer: "0055AED6DCD90281E6", At: at(0)},
			outcome: Recorded,
			want: with(idle, func(s *State) {
				s.Desired, s.LastChangeAt = 4, at(0)
				accept(s, "model.tar.gz", "0055AED6DCD90281E6")
			}),
		},
		{
			name: "the same sequencer again is a duplicate", state: idle,
			change:  Change{Key: "model.tar.gz", Sequencer: "0055AED6DCD90281E5", At: at(0)},
			outcome: Duplicate, want: idle,
		},
		{
			name: "an older sequencer arriving late is a duplicate", state: idle,
			change:  Change{Key: "model.tar.gz", Sequencer: "0055AED6DCD90281E4", At: at(-61)},
			outcome: Duplicate, want: idle,
		},
		{
			name: "sequencers compare case-insensitively", state: idle,
			change:  Change{Key: "model.tar.gz", Sequencer: "0055aed6dcd90281e5", At: at(0)},
			outcome: Duplicate, want: idle,
		},
		{
			name: "a shorter sequencer is padded with leading zeros: older", state: idle,
			change:  Change{Key: "model.tar.gz", Sequencer: "FFFFFFFFFFFFFFF", At: at(0)},
			outcome: Duplicate, want: idle,
		},
		{
			name: "the same sequencer without its leading zeros is a duplicate", state: idle,
			change:  Change{Key: "model.tar.gz", Sequencer: "55AED6DCD90281E5", At: at(0)},
			outcome: Duplicate, want: idle,
		},
		{
			name: "a longer sequencer is newer when its padded value is larger", state: idle,
			change:  Change{Key: "model.tar.gz", Sequencer: "10055AED6DCD90281E5", At: at(0)},
			outcome: Recorded,
			want: with(idle, func(s *State) {
				s.Desired, s.LastChangeAt = 4, at(0)
				accept(s, "model.tar.gz", "10055AED6DCD90281E5")
			}),
		},
		{
			name: "another key is a separate change", state: idle,
			change:  Change{Key: "model/weights.bin", Sequencer: "0001", At: at(1)},
			outcome: Recorded,
			want: with(idle, func(s *State) {
				s.Desired, s.LastChangeAt, s.LastChangeKey = 4, at(1), "model/weights.bin"
				accept(s, "model/weights.bin", "0001")
			}),
		},
		{
			name: "without a sequencer every delivery counts", state: idle,
			change:  Change{Key: "model.tar.gz", At: at(0)},
			outcome: Recorded,
			want:    with(idle, func(s *State) { s.Desired, s.LastChangeAt = 4, at(0) }),
		},
		{
			name: "an out-of-order change of another key keeps the newest change time", state: idle,
			change:  Change{Key: "model/old.bin", Sequencer: "01", At: at(-90)},
			outcome: Recorded,
			want: with(idle, func(s *State) {
				s.Desired = 4
				accept(s, "model/old.bin", "01")
			}),
		},
		{
			name: "a change during an update is coalesced", state: running,
			change:  Change{Key: "model.tar.gz", Sequencer: "0055AED6DCD90281E6", At: at(0)},
			outcome: Coalesced,
			want: with(running, func(s *State) {
				s.Desired, s.LastChangeAt = 4, at(0)
				accept(s, "model.tar.gz", "0055AED6DCD90281E6")
			}),
		},
		{
			name: "a change while one is pending is coalesced", state: with(idle, func(s *State) { s.Desired = 4 }),
			change:  Change{Key: "model.tar.gz", Sequencer: "0055AED6DCD90281E6", At: at(0)},
			outcome: Coalesced,
			want: with(idle, func(s *State) {
				s.Desired, s.LastChangeAt = 5, at(0)
				accept(s, "model.tar.gz", "0055AED6DCD90281E6")
			}),
		},
		{
			name: "a change after a failed deployment is recorded (the next change tries again)", state: failed,
			change:  Change{Key: "model.tar.gz", Sequencer: "0055AED6DCD90281E6", At: at(0)},
			outcome: Recorded,
			want: with(failed, func(s *State) {
				s.Desired, s.LastChangeAt = 5, at(0)
				accept(s, "model.tar.gz", "0055AED6DCD90281E6")
			}),
		},
		{
			name: "with a marker, other keys do not count", state: idle, policy: marker,
			change:  Change{Key: "model/weights.bin", Sequencer: "0001", At: at(0)},
			outcome: NotMarker, want: idle,
		},
		{
			name: "with a marker, the marker counts", state: idle, policy: marker,
			change:  Change{Key: "model/_SUCCESS", Sequencer: "0001", At: at(0)},
			outcome: Recorded,
			want: with(idle, func(s *State) {
				s.Desired, s.LastChangeAt, s.LastChangeKey = 4, at(0), "model/_SUCCESS"
				accept(s, "model/_SUCCESS", "0001")
			}),
		},
		{
			name: "the first change of a new endpoint", state: State{Endpoint: "ep"},
			change:  Change{Key: "model.tar.gz", Sequencer: "0A", At: at(0)},
			outcome: Recorded,
			want: with(State{Endpoint: "ep", Desired: 1, LastChangeAt: at(0), LastChangeKey: "model.tar.gz"},
				func(s *State) { accept(s, "model.tar.gz", "0A") }),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.policy
			if p.ConfigA == "" {
				p = pol
			}
			before := tc.state.Clone()
			got, outcome := Record(tc.state, tc.change, p)
			if outcome != tc.outcome {
				t.Errorf("outcome = %v, want %v", outcome, tc.outcome)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("state =\n  %+v\nwant\n  %+v", got, tc.want)
			}
			if !reflect.DeepEqual(tc.state, before) {
				t.Errorf("Record modified its input state")
			}
		})
	}
}

func TestPolicyOther(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{{"cfg-a", "cfg-b", true}, {"cfg-b", "cfg-a", true}, {"cfg-x", "", false}, {"", "", false}} {
		if got, ok := pol.Other(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("Other(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestPending(t *testing.T) {
	for _, tc := range []struct {
		s    State
		want bool
	}{
		{State{Desired: 0}, false},
		{State{Desired: 3, Deployed: 3}, false},
		{State{Desired: 4, Deployed: 3}, true},
		{State{Desired: 4, Deployed: 3, Failed: 4}, false},
		{State{Desired: 5, Deployed: 3, Failed: 4}, true},
	} {
		if got := tc.s.Pending(); got != tc.want {
			t.Errorf("%+v.Pending() = %v, want %v", tc.s, got, tc.want)
		}
	}
}
