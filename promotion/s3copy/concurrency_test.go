package s3copy_test

import (
	"context"
	"testing"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy/s3copytest"
)

// TestConcurrencyBoundsRequestsInFlight: whole-object copies and the parts of multipart copies
// share one pool, so the requests in flight never exceed Concurrency, and they reach it.
func TestConcurrencyBoundsRequestsInFlight(t *testing.T) {
	for _, n := range []int{1, 4, 16} {
		m := &s3copytest.Model{Latency: 10 * time.Millisecond}
		objs := m.Objects(40, func(i int) int64 {
			if i%10 == 0 {
				return 40 << 20 // copied in 5 parts of 8 MiB
			}
			return 4 << 10
		})
		if _, err := m.Run(context.Background(), s3copy.Options{Concurrency: n}, objs); err != nil {
			t.Fatalf("concurrency %d: %v", n, err)
		}
		if got := m.MaxInFlight(); got != n {
			t.Errorf("concurrency %d: %d requests in flight at most, want exactly %d", n, got, n)
		}
		if parts := m.Counts()["UploadPartCopy"]; parts != 4*5 {
			t.Errorf("concurrency %d: %d UploadPartCopy, want 20 (4 objects of 5 parts)", n, parts)
		}
	}
}
