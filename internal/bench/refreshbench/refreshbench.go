// Package refreshbench measures endpoint refresh under upload storms in the simulator (package
// refresh/sim): the sagemaker-cd policy against the original Lambda, as a table for people.
//
// Each storm uploads model.tar.gz N times at random moments of a 30-minute window while updates
// take 5 simulated minutes; every storm runs with several seeds and the table reports medians.
package refreshbench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/internal/bench/median"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/sim"
)

// Parameters of the storms.
const (
	// Window is the time over which a storm's uploads are spread.
	Window = 30 * time.Minute
	// UpdateDuration is D, the simulated duration of one endpoint update.
	UpdateDuration = 5 * time.Minute
	// Seeds is how many randomized runs each row's medians are taken over.
	Seeds = 7
)

// Storms are the storm sizes measured (uploads per storm).
var Storms = []int{10, 100, 1000}

// faults are the same for both policies: S3 and EventBridge deliver at least once and not
// always in order.
var faults = sim.Faults{Duplicate: 0.05, Jitter: 5 * time.Second}

// Policy is one refresh policy measured.
type Policy struct {
	// Name labels the table rows.
	Name     string
	Executor sim.Executor
	// Concurrency is sim.Scenario.BaselineConcurrency.
	Concurrency int
}

// Policies are the policies measured; the first original one is the baseline of the ratios.
var Policies = []Policy{
	{Name: "sagemaker-cd", Executor: sim.SagemakerCD},
	{Name: "original", Executor: sim.Baseline, Concurrency: 1},
	{Name: "original, unreserved", Executor: sim.Baseline, Concurrency: -1},
}

// Row is one (storm, policy) line of the table: medians over Seeds runs.
type Row struct {
	Storm  int
	Policy Policy
	// UpdateCalls counts UpdateEndpoint calls made; Rejected those refused because the endpoint
	// was busy; Deployments those accepted.
	UpdateCalls, Rejected, Deployments int
	// Lost counts uploads never served, not even through a newer upload.
	Lost int
	// LostLast counts the runs (of Seeds) whose last upload was never served: the endpoint
	// stays stale until the next upload.
	LostLast int
	// Settled is the storm's start -> the end of the last deployment.
	Settled time.Duration
	// StaleP50 and StaleP99 are upload -> start of the first update that loaded it.
	StaleP50, StaleP99 time.Duration
	// ServeP50 and ServeP99 are upload -> the endpoint serving it (or a newer upload).
	ServeP50, ServeP99 time.Duration
	// LastServed is the storm's last upload -> serving it; negative when it never was.
	LastServed time.Duration
}

// Measure runs every storm with both policies.
func Measure(ctx context.Context) ([]Row, error) {
	var rows []Row
	for _, n := range Storms {
		for _, policy := range Policies {
			var runs []Row
			for seed := range uint64(Seeds) {
				if err := ctx.Err(); err != nil {
					return nil, fmt.Errorf("refresh benchmark: %w", err)
				}
				r, err := sim.Run(storm(n, policy, seed+1))
				if err != nil {
					return nil, fmt.Errorf("refresh benchmark storm %d %s: %w", n, policy.Name, err)
				}
				runs = append(runs, measure(n, policy, r))
			}
			rows = append(rows, medianRow(runs))
		}
	}
	return rows, nil
}

// storm is N uploads of one object at random moments of Window.
func storm(n int, policy Policy, seed uint64) sim.Scenario {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	times := make([]time.Duration, n)
	for i := range times {
		times[i] = time.Duration(rng.Int64N(int64(Window)))
	}
	slices.Sort(times)
	sc := sim.Scenario{Seed: seed*1000 + uint64(n), Executor: policy.Executor, BaselineConcurrency: policy.Concurrency,
		UpdateDuration: UpdateDuration, Faults: faults}
	for _, t := range times {
		sc.Uploads = append(sc.Uploads, sim.Upload{At: t})
	}
	return sc
}

func measure(n int, policy Policy, r *sim.Result) Row {
	stale, serve := r.Latencies()
	row := Row{Storm: n, Policy: policy, UpdateCalls: r.UpdateCalls, Rejected: r.BusyErrors, Deployments: len(r.Deployments), Lost: r.Lost(),
		StaleP50: sim.Percentile(stale, 50), StaleP99: sim.Percentile(stale, 99),
		ServeP50: sim.Percentile(serve, 50), ServeP99: sim.Percentile(serve, 99), LastServed: -1}
	if last := r.LastUpload(); !last.Lost() {
		row.LastServed = last.Serving.Sub(r.Start.Add(last.At))
	} else {
		row.LostLast = 1
	}
	for _, d := range r.Deployments {
		row.Settled = max(row.Settled, d.End.Sub(r.Start))
	}
	return row
}

// median takes each column's median over the runs.
func medianRow(runs []Row) Row {
	ints := func(f func(Row) int) int { return median.Of(runs, f) }
	durs := func(f func(Row) time.Duration) time.Duration { return median.Of(runs, f) }
	return Row{Storm: runs[0].Storm, Policy: runs[0].Policy,
		UpdateCalls: ints(func(r Row) int { return r.UpdateCalls }),
		Rejected:    ints(func(r Row) int { return r.Rejected }),
		Deployments: ints(func(r Row) int { return r.Deployments }),
		Lost:        ints(func(r Row) int { return r.Lost }),
		LostLast:    sum(runs, func(r Row) int { return r.LostLast }),
		Settled:     durs(func(r Row) time.Duration { return r.Settled }),
		StaleP50:    durs(func(r Row) time.Duration { return r.StaleP50 }),
		StaleP99:    durs(func(r Row) time.Duration { return r.StaleP99 }),
		ServeP50:    durs(func(r Row) time.Duration { return r.ServeP50 }),
		ServeP99:    durs(func(r Row) time.Duration { return r.ServeP99 }),
		LastServed:  durs(func(r Row) time.Duration { return r.LastServed }),
	}
}

func sum(runs []Row, f func(Row) int) int {
	n := 0
	for _, r := range runs {
		n += f(r)
	}
	return n
}

// Run measures the storms and prints the table to w.
func Run(ctx context.Context, w io.Writer) error {
	rows, err := Measure(ctx)
	if err != nil {
		return err
	}
	return Print(w, rows)
}

// Print writes rows as a table, with each sagemaker-cd row compared to the original's.
func Print(w io.Writer, rows []Row) error {
	fmt.Fprintf(w, "Endpoint refresh under upload storms (simulated; uploads of model.tar.gz at random moments of %v,\n", Window)
	fmt.Fprintf(w, "an update takes D = %v; medians of %d seeds; 5%% duplicate deliveries, up to 5s reordering)\n\n", UpdateDuration, Seeds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "storm\tpolicy\tUpdateEndpoint\trejected\tdeployments\tlost\tlast upload\tstale p50\tstale p99\tserving p50\tserving p99\tlast upload\tendpoint\tcalls vs\tdeployments vs\tserving p99 vs\t")
	fmt.Fprintln(tw, "\t\tcalls\t(busy)\t\tuploads\tlost (runs)\t\t\t\t\tserved after\tsettled after\toriginal\toriginal\toriginal\t")
	original := map[int]Row{}
	for _, r := range rows {
		if _, ok := original[r.Storm]; !ok && r.Policy.Executor == sim.Baseline {
			original[r.Storm] = r
		}
	}
	for _, r := range rows {
		calls, deployments, p99 := "", "", ""
		if o, ok := original[r.Storm]; ok && r.Policy.Executor != sim.Baseline {
			calls, deployments = ratio(float64(r.UpdateCalls), float64(o.UpdateCalls)), ratio(float64(r.Deployments), float64(o.Deployments))
			p99 = ratio(r.ServeP99.Seconds(), o.ServeP99.Seconds())
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\t%d\t%d/%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Storm, r.Policy.Name,
			r.UpdateCalls, r.Rejected, r.Deployments, r.Lost, r.LostLast, Seeds,
			minutes(r.StaleP50), minutes(r.StaleP99), minutes(r.ServeP50), minutes(r.ServeP99), minutes(r.LastServed), minutes(r.Settled),
			calls, deployments, p99)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("print refresh benchmark: %w", err)
	}
	_, err := fmt.Fprint(w, `
Columns are medians over the seeds, except "last upload lost", which counts the runs whose last
upload was never served (the endpoint stays stale until the next upload). lost: uploads never
served, not even through a newer one. stale: upload -> start of the first update that loaded it;
serving: upload -> the endpoint serving it or a newer upload (both over served uploads). endpoint
settled after: storm start -> end of the last update. The original sleeps 30 s per event, then swaps
configs, and drops the event when the endpoint is busy; with its reserved concurrency of 1 the events
queue up and the endpoint keeps updating long after the storm (Lambda drops queued events after 6 h);
"unreserved" is the same code without the reservation. Ratios compare with the original; below 1
favours sagemaker-cd.
`)
	if err != nil {
		return fmt.Errorf("print refresh benchmark: %w", err)
	}
	return nil
}

func minutes(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	return fmt.Sprintf("%.2f min", d.Minutes())
}

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}
