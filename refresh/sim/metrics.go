package sim

import (
	"slices"
	"time"
)

// Percentile returns the p-th percentile (0 < p <= 100, nearest rank) of ds, or 0 for none.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(p/100*float64(len(s))+0.999999) - 1
	return s[min(max(rank, 0), len(s)-1)]
}

// Latencies returns, for every upload the endpoint ended up serving, the time from the upload
// to the start of the first deployment that loaded it (staleness) and to the endpoint serving
// it or a newer upload.
func (r *Result) Latencies() (toStart, toServing []time.Duration) {
	for _, u := range r.Uploads {
		at := r.Start.Add(u.At)
		if !u.Started.IsZero() {
			toStart = append(toStart, u.Started.Sub(at))
		}
		if !u.Lost() {
			toServing = append(toServing, u.Serving.Sub(at))
		}
	}
	return toStart, toServing
}

// Lost counts the uploads the endpoint never served, not even through a newer upload.
func (r *Result) Lost() int {
	n := 0
	for _, u := range r.Uploads {
		if u.Lost() {
			n++
		}
	}
	return n
}
