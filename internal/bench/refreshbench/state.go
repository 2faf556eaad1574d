package refreshbench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/refresh"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

// StateRow is one upload measured for the state item: the current design (refresh.Recent and
// State.Horizon) against the previous one, which kept a map of up to 1,000 keys to their
// newest sequencer (forgetting arbitrary keys past that) in the item.
type StateRow struct {
	// Files is how many objects the upload changed, KeyBytes the length of each key.
	Files, KeyBytes int
	// Writes counts state item writes; MaxItem is the largest item written (bytes, by
	// DynamoDB's sizing rules) and WCUPerChange the write units spent per changed file.
	Writes, MaxItem int
	WCUPerChange    float64
	// Updates counts UpdateEndpoint decisions.
	Updates int
	// Old* are the same measures for the previous design; OldTooLarge counts writes over
	// DynamoDB's 400 KB item limit (they fail, and so does every later write).
	OldWrites, OldMaxItem int
	OldWCUPerChange       float64
	OldUpdates            int
	OldTooLarge           int
}

// StateUploads are the (files, key length) pairs measured.
var StateUploads = [][2]int{{1, 40}, {100, 200}, {1000, 200}, {1000, 1024}, {10000, 200}, {10000, 1024}}

const (
	// stateQuiet is the quiet period of the measured endpoint (the construct's default for an
	// S3 prefix).
	stateQuiet = 2 * time.Minute
	// batchSize is the SQS batch size the refresher receives.
	batchSize = 10
	// oldMaxSeen and maxItemBytes are the previous design's key bound and DynamoDB's item limit.
	oldMaxSeen   = 1000
	maxItemBytes = 400 * 1024
)

// oldState is the previous design's state: today's fields and the map of keys.
type oldState struct {
	refresh.State
	Seen map[string]string
}

// MeasureState runs every upload in StateUploads through refresh.Record and refresh.Decide as
// the refresher does (SQS batches of 10, one write per batch and per pass that changes the
// state, every change delivered twice: at once and after the quiet period), sizing each item
// written with refresher.StateItem and refresher.ItemSize.
func MeasureState(ctx context.Context) ([]StateRow, error) {
	var rows []StateRow
	for _, u := range StateUploads {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("state benchmark: %w", err)
		}
		row, err := measureState(u[0], u[1])
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func measureState(files, keyBytes int) (StateRow, error) {
	row := StateRow{Files: files, KeyBytes: keyBytes}
	p := refresh.Policy{ConfigA: "churn-config-a-0123456789abcdef", ConfigB: "churn-config-b-0123456789abcdef", QuietPeriod: stateQuiet}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	changes := make([]refresh.Change, files)
	for i := range changes {
		k := fmt.Sprintf("models/churn/part-%05d", i)
		if len(k) < keyBytes {
			k = strings.Repeat("p", keyBytes-len(k)) + k
		}
		changes[i] = refresh.Change{Key: k, Sequencer: fmt.Sprintf("%018X", 0x617F08299329D189+i), At: start.Add(time.Duration(i) * 20 * time.Millisecond)}
	}
	// Every change twice: at once, and the delayed copy one quiet period later, give or take
	// up to 10 s of delivery jitter.
	type delivery struct {
		c  refresh.Change
		at time.Time
	}
	var deliveries []delivery
	for i, c := range changes {
		deliveries = append(deliveries, delivery{c, c.At}, delivery{c, c.At.Add(stateQuiet + time.Duration(i%11)*time.Second)})
	}
	slices.SortStableFunc(deliveries, func(a, b delivery) int { return a.at.Compare(b.at) })

	cur, old := refresh.State{Endpoint: "churn-endpoint"}, oldState{State: refresh.State{Endpoint: "churn-endpoint"}, Seen: map[string]string{}}
	// seenBytes is the length of the previous design's "seen" map in JSON, kept as it changes
	// (encoding the map on every write would dominate the run).
	seenBytes := 0
	entryLen := func(k, v string) int {
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(v)
		return len(kb) + len(vb) + 2
	}
	obs := refresh.Observation{Found: true, Status: refresh.StatusInService, Config: p.ConfigA}
	var wcu, oldWCU int
	write := func(st refresh.State, seen bool, now time.Time) (int, error) {
		item, err := refresher.StateItem(st, p, now)
		if err != nil {
			return 0, err
		}
		n := refresher.ItemSize(item)
		if seen && len(old.Seen) > 0 {
			n += len(`,"seen":{}`) + seenBytes - 1 // the last entry has no comma
		}
		return n, nil
	}
	for b := 0; b < len(deliveries); b += batchSize {
		batch := deliveries[b:min(b+batchSize, len(deliveries))]
		now := batch[len(batch)-1].at
		// Current design.
		before := cur
		for _, d := range batch {
			cur, _ = refresh.Record(cur, d.c, p)
		}
		if !before.Equal(cur) {
			n, err := write(cur, false, now)
			if err != nil {
				return row, err
			}
			row.Writes, row.MaxItem, wcu = row.Writes+1, max(row.MaxItem, n), wcu+refresher.WriteUnits(n)
		}
		next, d := refresh.Decide(cur, obs, now, p)
		if d.Kind == refresh.Update {
			row.Updates++
			next = refresh.Confirm(next, d.Seq)
		}
		if !next.Equal(cur) {
			n, err := write(next, false, now)
			if err != nil {
				return row, err
			}
			row.Writes, row.MaxItem, wcu = row.Writes+1, max(row.MaxItem, n), wcu+refresher.WriteUnits(n)
		}
		cur = next
		// Previous design: the same decisions, deduplication by the map of keys.
		changed := false
		for _, d := range batch {
			prev, ok := old.Seen[d.c.Key]
			if ok && prev >= d.c.Sequencer { // same-length sequencers: plain comparison
				continue
			}
			if ok {
				seenBytes -= entryLen(d.c.Key, prev)
			} else if len(old.Seen) >= oldMaxSeen {
				for k, v := range old.Seen { // the previous design forgot an arbitrary key
					delete(old.Seen, k)
					seenBytes -= entryLen(k, v)
					break
				}
			}
			old.Seen[d.c.Key] = d.c.Sequencer
			seenBytes += entryLen(d.c.Key, d.c.Sequencer)
			old.State.Desired++
			old.State.LastChangeAt, old.State.LastChangeKey = maxTime(old.State.LastChangeAt, d.c.At), d.c.Key
			changed = true
		}
		oldNext, od := refresh.Decide(old.State, obs, now, p)
		oldNext.Horizon = time.Time{} // the previous design had none
		if od.Kind == refresh.Update {
			row.OldUpdates++
			oldNext = refresh.Confirm(oldNext, od.Seq)
		}
		writes := 0
		if changed {
			writes++
		}
		if !oldNext.Equal(old.State) {
			writes++
		}
		old.State = oldNext
		for range writes {
			n, err := write(old.State, true, now)
			if err != nil {
				return row, err
			}
			row.OldWrites, row.OldMaxItem, oldWCU = row.OldWrites+1, max(row.OldMaxItem, n), oldWCU+refresher.WriteUnits(n)
			if n > maxItemBytes {
				row.OldTooLarge++
			}
		}
		// Both endpoints finish their update a few minutes later.
		if cur.InFlight != nil && now.Sub(cur.InFlight.StartedAt) > 5*time.Minute {
			cur, _ = refresh.Decide(cur, refresh.Observation{Found: true, Status: refresh.StatusInService, Config: cur.InFlight.Config}, now, p)
		}
		if old.State.InFlight != nil && now.Sub(old.State.InFlight.StartedAt) > 5*time.Minute {
			old.State, _ = refresh.Decide(old.State, refresh.Observation{Found: true, Status: refresh.StatusInService, Config: old.State.InFlight.Config}, now, p)
		}
	}
	// After the upload both endpoints finish their update and decide once more: leftover
	// changes (late duplicates the design could not recognise) cause another update.
	end := deliveries[len(deliveries)-1].at.Add(10 * time.Minute)
	for _, st := range []*refresh.State{&cur, &old.State} {
		if st.InFlight != nil {
			*st, _ = refresh.Decide(*st, refresh.Observation{Found: true, Status: refresh.StatusInService, Config: st.InFlight.Config}, end, p)
		}
	}
	if _, d := refresh.Decide(cur, obs, end, p); d.Kind == refresh.Update {
		row.Updates++
	}
	if _, d := refresh.Decide(old.State, obs, end, p); d.Kind == refresh.Update {
		row.OldUpdates++
	}
	row.WCUPerChange = float64(wcu) / float64(files)
	row.OldWCUPerChange = float64(oldWCU) / float64(files)
	return row, nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// RunState measures the state item and prints the table to w.
func RunState(ctx context.Context, w io.Writer) error {
	rows, err := MeasureState(ctx)
	if err != nil {
		return err
	}
	return PrintState(w, rows)
}

// PrintState writes rows as a table.
func PrintState(w io.Writer, rows []StateRow) error {
	fmt.Fprintf(w, "Refresh state item per upload (every change delivered twice, the delayed copy with up to 10 s of\n")
	fmt.Fprintf(w, "jitter; SQS batches of %d; quiet period %v; item sizes by DynamoDB's rules, 1 WCU per started KB;\n", batchSize, stateQuiet)
	fmt.Fprintf(w, "\"previous\" is the design that kept up to %d keys in the item, run on the same deliveries)\n\n", oldMaxSeen)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "files\tkey bytes\tupdates\tmax item\tWCU/write\tWCU/change\tprevious: updates\tmax item\tWCU/write\tWCU/change\twrites > 400 KB\titem vs previous\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d B\t%d\t%.2f\t%d\t%d B\t%d\t%.2f\t%d\t%s\t\n", r.Files, r.KeyBytes,
			r.Updates, r.MaxItem, refresher.WriteUnits(r.MaxItem), r.WCUPerChange,
			r.OldUpdates, r.OldMaxItem, refresher.WriteUnits(r.OldMaxItem), r.OldWCUPerChange, r.OldTooLarge,
			ratio(float64(r.MaxItem), float64(r.OldMaxItem)))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("print state benchmark: %w", err)
	}
	_, err := fmt.Fprintf(w, `
The current item is bounded by construction (refresh.RecentKeys keys as 24-byte entries, strings
for people clipped): at most %d bytes (refresher.MaxStateItemBytes). The previous item grew with
every key: past 400 KB DynamoDB refuses the write (and every later one: its "updates" in those rows
could not happen), and past %d keys it forgot arbitrary keys, so late duplicates caused redundant
updates.
`, refresher.MaxStateItemBytes, oldMaxSeen)
	if err != nil {
		return fmt.Errorf("print state benchmark: %w", err)
	}
	return nil
}
