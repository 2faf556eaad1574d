// Package median takes per-column medians over repeated benchmark runs, the one statistic the
// bench tables report (these machines are shared and noisy, so means would mislead).
package median

import (
	"cmp"
	"slices"
)

// Of returns the median of col over runs: the middle value after sorting, the upper one of the
// two middle values for an even count. runs must not be empty.
func Of[R any, T cmp.Ordered](runs []R, col func(R) T) T {
	v := make([]T, len(runs))
	for i, r := range runs {
		v[i] = col(r)
	}
	slices.Sort(v)
	return v[len(v)/2]
}
