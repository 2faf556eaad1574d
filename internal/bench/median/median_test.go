package median

import (
	"testing"
	"time"
)

func TestOf(t *testing.T) {
	type run struct {
		n int
		d time.Duration
	}
	runs := []run{{5, 3 * time.Second}, {1, time.Second}, {9, 2 * time.Second}}
	if got := Of(runs, func(r run) int { return r.n }); got != 5 {
		t.Errorf("median n = %d, want 5", got)
	}
	if got := Of(runs, func(r run) time.Duration { return r.d }); got != 2*time.Second {
		t.Errorf("median d = %v, want 2s", got)
	}
	if got := Of([]int{4, 1, 3, 2}, func(n int) int { return n }); got != 3 {
		t.Errorf("median of an even count = %d, want the upper middle 3", got)
	}
}
