package refresh

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// S3 documents how to order sequencers of one key: pad the shorter with leading zeros, then
// compare. Accept applies it.
func TestRecentAcceptOrdersSequencers(t *testing.T) {
	tests := []struct {
		first, then string
		newer       bool
	}{
		{"0055AED6DCD90281E5", "0055AED6DCD90281E6", true},
		{"0055AED6DCD90281E6", "0055AED6DCD90281E5", false},
		{"0055AED6DCD90281E5", "0055AED6DCD90281E5", false},
		{"0055AED6DCD90281E5", "0055aed6dcd90281e6", true},
		{"0055aed6dcd90281e6", "0055AED6DCD90281E6", false},
		{"0F", "1", false},
		{"F", "10", true},
		{"F", "00F", false},
		{"00E", "F", true},
		{"0055AED6DCD90281E5", "55AED6DCD90281E5", false},
		{"0055AED6DCD90281E5", "10055AED6DCD90281E5", true},
		{"FFFFFFFFFFFFFFFFFF", "1000000000000000000", true},
		{strings.Repeat("F", MaxSequencerDigits), "1" + strings.Repeat("0", MaxSequencerDigits), true}, // not storable: counts
		{"0055AED6DCD90281E5", "not-hex", true},                                                        // not storable: counts
	}
	for _, tc := range tests {
		r, ok := Recent{}.Accept("model.tar.gz", tc.first)
		if !ok {
			t.Fatalf("the first sequencer %q of a key was not accepted", tc.first)
		}
		if _, got := r.Accept("model.tar.gz", tc.then); got != tc.newer {
			t.Errorf("after %q, Accept(%q) = %v, want %v", tc.first, tc.then, got, tc.newer)
		}
		// Sequencers of different keys are never compared.
		if _, got := r.Accept("model/other.bin", tc.then); !got {
			t.Errorf("after %q of another key, Accept(%q) = false, want true", tc.first, tc.then)
		}
	}
}

func TestRecentIsBoundedAndForgetsTheOldest(t *testing.T) {
	var r Recent
	key := func(i int) string { return fmt.Sprintf("models/%s/part-%05d", strings.Repeat("k", 1000), i) }
	for i := range 3 * RecentKeys {
		var ok bool
		if r, ok = r.Accept(key(i), "01"); !ok {
			t.Fatalf("change %d of a new key was not accepted", i)
		}
		if r.Len() > RecentKeys {
			t.Fatalf("after %d keys Recent holds %d, bound %d", i+1, r.Len(), RecentKeys)
		}
	}
	last := 3*RecentKeys - 1
	for i := last - RecentKeys + 1; i <= last; i++ {
		if _, ok := r.Accept(key(i), "01"); ok {
			t.Fatalf("redelivery of key %d (among the newest %d) was accepted", i, RecentKeys)
		}
	}
	if _, ok := r.Accept(key(last-RecentKeys), "01"); !ok {
		t.Fatalf("a forgotten key was not accepted: forgetting must only ever cost a redundant update")
	}
	// A newer sequencer of a remembered key moves it to the front, so it outlives the others.
	r, _ = r.Accept(key(last-RecentKeys+1), "02")
	for i := range RecentKeys - 1 {
		r, _ = r.Accept(fmt.Sprintf("fresh-%d", i), "01")
	}
	if _, ok := r.Accept(key(last-RecentKeys+1), "02"); ok {
		t.Fatalf("the refreshed key was forgotten before older ones")
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if max := 2 + (RecentKeys*entryBytes+2)/3*4; len(b) > max {
		t.Fatalf("JSON form is %d bytes, bound %d", len(b), max)
	}
	var back Recent
	if err := json.Unmarshal(b, &back); err != nil || back != r {
		t.Fatalf("JSON round trip: %v, equal=%v", err, back == r)
	}
	for _, bad := range []string{`"!!"`, `"AAAA"`, `3`, `"` + strings.Repeat("A", (RecentKeys+1)*32) + `"`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("UnmarshalJSON(%.20s...) accepted a malformed value", bad)
		}
	}
}

// An upload of far more files than Recent remembers, with 1,024-byte keys, delivered twice
// (the construct's undelayed and delayed queues) and partly out of order, under a quiet
// period: exactly one update, and a state whose JSON stays small.
func TestTenThousandFileUploadCausesOneUpdate(t *testing.T) {
	p := Policy{ConfigA: "cfg-a", ConfigB: "cfg-b", QuietPeriod: 2 * time.Minute}
	s := State{Endpoint: "ep", Desired: 1, Deployed: 1}
	key := func(i int) string {
		k := fmt.Sprintf("models/llm/shard-%05d/", i)
		return k + strings.Repeat("x", 1024-len(k))
	}
	const files = 10000
	start := t0
	at := func(i int) time.Time { return start.Add(time.Duration(i) * 30 * time.Millisecond) } // 5 minutes of uploads
	seq := func(i int) string { return fmt.Sprintf("%018X", 0x55AED6DCD9028000+i) }
	updates, maxJSON := 0, 0
	pass := func(now time.Time) {
		var d Decision
		s, d = Decide(s, Observation{Found: true, Status: StatusInService, Config: "cfg-a"}, now, p)
		if d.Kind == Update {
			updates++
			s = Confirm(s, d.Seq)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		maxJSON = max(maxJSON, len(b))
	}
	record := func(i int) {
		s, _ = Record(s, Change{Key: key(i), Sequencer: seq(i), At: at(i)}, p)
	}
	for i := range files {
		record(i)
		// The delayed copy of a change arrives a quiet period later, with up to 10 s of jitter.
		if j := i - int((p.QuietPeriod+time.Duration(i%10)*time.Second)/(30*time.Millisecond)); j >= 0 {
			record(j)
		}
		if i%100 == 0 {
			pass(at(i))
		}
	}
	end := at(files - 1)
	pass(end.Add(p.QuietPeriod)) // the quiet period is over: the one update
	// The remaining delayed copies, and SQS redeliveries of the whole upload, arrive after it.
	for i := range files {
		record(i)
		if i%100 == 0 {
			pass(end.Add(p.QuietPeriod + time.Duration(i)*time.Millisecond))
		}
	}
	if updates != 1 {
		t.Fatalf("%d updates, want exactly 1 (state %+v)", updates, s)
	}
	if s.Pending() {
		t.Fatalf("changes still pending after the update: desired %d deployed %d", s.Desired, s.Deployed)
	}
	if maxJSON > 4096 {
		t.Fatalf("state JSON reached %d bytes, want at most 4096", maxJSON)
	}
	// A real new change after the storm still counts.
	if _, o := Record(s, Change{Key: key(7), Sequencer: seq(files + 7), At: end.Add(10 * time.Minute)}, p); o != Coalesced && o != Recorded {
		t.Fatalf("a new change after the upload: %v, want recorded", o)
	}
}

func TestRecordIncludedByHorizon(t *testing.T) {
	decided := t0
	s := State{Endpoint: "ep", Desired: 5, Deployed: 3, Horizon: decided,
		InFlight: &Deployment{Seq: 5, Config: "cfg-b", From: "cfg-a", StartedAt: decided, Confirmed: true}}
	tests := []struct {
		name string
		at   time.Time
		want RecordOutcome
	}{
		{"long before the decision: the deployment loads it", decided.Add(-EventTimeSlack - time.Second), Included},
		{"within the slack: counted (possible redundant update, never a lost one)", decided.Add(-EventTimeSlack + time.Second), Coalesced},
		{"after the decision", decided.Add(time.Second), Coalesced},
		{"no event time: counted", time.Time{}, Coalesced},
	}
	for _, tc := range tests {
		got, o := Record(s, Change{Key: "forgotten/key", Sequencer: "01", At: tc.at}, pol)
		if o != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, o, tc.want)
		}
		if o == Included && !reflect.DeepEqual(got, s) {
			t.Errorf("%s: an included change modified the state", tc.name)
		}
	}
}

// Every field of State takes part in Equal (except Version) and Clone shares no pointer: a
// new field that is forgotten fails here.
func TestStateEqualAndCloneCoverEveryField(t *testing.T) {
	full := func() State {
		s := State{Endpoint: "ep", Desired: 7, Deployed: 5, Failed: 4, LastChangeAt: t0, LastChangeKey: "k",
			InFlight: inflight(true, t0), LastResult: &Result{Seq: 5, Config: "cfg-a", Succeeded: true, Reason: "r", At: t0},
			Foreign: &Foreign{Config: "cfg-x", Since: t0}, OutOfService: &Outage{Since: t0, Passes: 2}, Horizon: t0, Version: 3}
		s.Recent, _ = s.Recent.Accept("k", "01")
		return s
	}
	base := full()
	if !base.Equal(full()) {
		t.Fatal("equal states compare unequal")
	}
	// Times compare as instants: a state read back from JSON equals the one written.
	b, _ := json.Marshal(base)
	var back State
	if err := json.Unmarshal(b, &back); err != nil || !back.Equal(base) {
		t.Fatalf("JSON round trip: %v, equal=%v", err, back.Equal(base))
	}
	typ := reflect.TypeFor[State]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Type.Kind() == reflect.Pointer {
			// Each field of the pointed-to struct, and the pointer being nil.
			for j := range f.Type.Elem().NumField() {
				other := full()
				v := reflect.ValueOf(&other).Elem().Field(i)
				c := reflect.New(f.Type.Elem())
				c.Elem().Set(v.Elem())
				mutate(t, f.Name+"."+f.Type.Elem().Field(j).Name, c.Elem().Field(j))
				v.Set(c)
				if base.Equal(other) {
					t.Errorf("changing %s.%s: Equal = true", f.Name, f.Type.Elem().Field(j).Name)
				}
			}
			other := full()
			reflect.ValueOf(&other).Elem().Field(i).SetZero()
			if base.Equal(other) || other.Equal(base) {
				t.Errorf("%s nil on one side: Equal = true", f.Name)
			}
			continue
		}
		other := full()
		mutate(t, f.Name, reflect.ValueOf(&other).Elem().Field(i))
		if got := base.Equal(other); got != (f.Name == "Version") {
			t.Errorf("changing %s: Equal = %v", f.Name, got)
		}
	}
	c := base.Clone()
	for _, p := range [][2]any{{c.InFlight, base.InFlight}, {c.LastResult, base.LastResult}, {c.Foreign, base.Foreign}, {c.OutOfService, base.OutOfService}} {
		if reflect.ValueOf(p[0]).Pointer() == reflect.ValueOf(p[1]).Pointer() {
			t.Errorf("Clone shares %T", p[0])
		}
	}
	if !c.Equal(base) {
		t.Error("a clone is not equal to its original")
	}
}

// mutate changes v (a State field) to a different value, descending into pointers to structs.
func mutate(t *testing.T, name string, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Struct:
		switch x := v.Addr().Interface().(type) {
		case *time.Time:
			*x = x.Add(time.Second)
		case *Recent:
			*x, _ = x.Accept("another", "01")
		default:
			t.Fatalf("field %s: no way to change a %s; teach mutate", name, v.Type())
		}
	default:
		t.Fatalf("field %s: no way to change a %s; teach mutate", name, v.Type())
	}
}
