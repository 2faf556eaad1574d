package refreshbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/sim"
)

func TestMeasure(t *testing.T) {
	rows, err := Measure(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(Storms)*len(Policies) {
		t.Fatalf("%d rows, want %d", len(rows), len(Storms)*len(Policies))
	}
	byKey := map[string]Row{}
	for _, r := range rows {
		byKey[fmt.Sprintf("%d/%s", r.Storm, r.Policy.Name)] = r
	}
	for _, n := range Storms {
		ours, original := byKey[fmt.Sprintf("%d/sagemaker-cd", n)], byKey[fmt.Sprintf("%d/original", n)]
		if ours.Lost != 0 || ours.LostLast != 0 || ours.Rejected != 0 || ours.LastServed < 0 {
			t.Errorf("storm %d: sagemaker-cd lost %d uploads (last lost in %d runs), %d calls on a busy endpoint", n, ours.Lost, ours.LostLast, ours.Rejected)
		}
		// Wait for the in-flight update, then one more: serving within about 2 x D.
		if ours.ServeP99 > 2*UpdateDuration+30*time.Second || ours.ServeP50 < UpdateDuration {
			t.Errorf("storm %d: serving p50 %v, p99 %v; want between D and 2 x D", n, ours.ServeP50, ours.ServeP99)
		}
		if n >= 100 && (ours.UpdateCalls*5 > original.UpdateCalls || ours.Deployments >= original.Deployments) {
			t.Errorf("storm %d: %d calls and %d deployments, the original %d and %d: bursts do not coalesce",
				n, ours.UpdateCalls, ours.Deployments, original.UpdateCalls, original.Deployments)
		}
		if original.Rejected == 0 {
			t.Errorf("storm %d: the original was never refused; the baseline does not model it", n)
		}
	}
}

func TestRunPrintsTheTable(t *testing.T) {
	var out bytes.Buffer
	if err := Run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	for _, n := range Storms {
		for _, p := range Policies {
			row := regexp.MustCompile(fmt.Sprintf(`(?m)^\s+%d\s+%s\s+\d+`, n, regexp.QuoteMeta(p.Name)))
			if !row.Match(out.Bytes()) {
				t.Errorf("no row for storm %d, policy %s in:\n%s", n, p.Name, out.String())
			}
		}
		ours := regexp.MustCompile(fmt.Sprintf(`(?m)^\s+%d\s+sagemaker-cd\s+\d+\s+0\s+\d+\s+0\s+0/%d\s`, n, Seeds))
		if !ours.Match(out.Bytes()) {
			t.Errorf("storm %d: the sagemaker-cd row does not show 0 rejected, 0 lost:\n%s", n, out.String())
		}
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	if err := Run(ctx, &out); !errors.Is(err, context.Canceled) || out.Len() != 0 {
		t.Fatalf("Run on a cancelled context = %v, printed %d bytes", err, out.Len())
	}
}

func TestStormIsSeeded(t *testing.T) {
	a, b := storm(100, Policies[0], 3), storm(100, Policies[0], 3)
	if len(a.Uploads) != 100 || fmt.Sprint(a.Uploads) != fmt.Sprint(b.Uploads) {
		t.Fatal("storm is not reproducible from its seed")
	}
	for i, u := range a.Uploads {
		if u.At < 0 || u.At >= Window || (i > 0 && u.At < a.Uploads[i-1].At) {
			t.Fatalf("upload %d at %v is outside the window or out of order", i, u.At)
		}
	}
	if a.Executor != sim.SagemakerCD || storm(10, Policies[1], 1).BaselineConcurrency != 1 {
		t.Fatal("storm does not carry the policy")
	}
}

// The largest upload: one update and a small item now; the previous design's item passes
// DynamoDB's 400 KB and its late duplicates cause redundant updates.
func TestMeasureStateLargestUpload(t *testing.T) {
	r, err := measureState(10000, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if r.Updates != 1 || r.MaxItem > refresher.MaxStateItemBytes || r.WCUPerChange > 1 {
		t.Errorf("current design: %d updates, item %d B, %.2f WCU per change", r.Updates, r.MaxItem, r.WCUPerChange)
	}
	if r.OldTooLarge == 0 || r.OldUpdates <= 1 || r.OldWCUPerChange < 10*r.WCUPerChange {
		t.Errorf("previous design: %d writes over 400 KB, %d updates, %.2f WCU per change", r.OldTooLarge, r.OldUpdates, r.OldWCUPerChange)
	}
	var b strings.Builder
	if err := PrintState(&b, []StateRow{r}); err != nil || !strings.Contains(b.String(), "10000") {
		t.Errorf("PrintState: %v\n%s", err, b.String())
	}
}
