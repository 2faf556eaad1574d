package refresher_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/sagemaker-cd/sagemaker-cd/events"
	"github.com/sagemaker-cd/sagemaker-cd/internal/faultproxy"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher/refreshertest"
)

// newProxiedStack is newStack with a fault proxy between every client (the refresher's and the
// test's) and the emulator.
func newProxiedStack(t *testing.T, opts refreshertest.Options) (*refreshertest.Stack, *faultproxy.Proxy) {
	t.Helper()
	p, err := faultproxy.Start(moto.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	opts.Name = fmt.Sprintf("%s-%d", opts.Name, stacks.Add(1))
	ctx := context.Background()
	cfg, err := moto.Via(p.URL).Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, err := refreshertest.Create(ctx, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, p
}

// TestLostAnswers: DynamoDB applies the refresher's conditional state write, or SageMaker its
// UpdateEndpoint, and the answer is lost (a retried write fails its own condition; a retried
// update meets "Cannot update in-progress endpoint"). The refresher must start exactly one
// update for the change and end with the change deployed.
func TestLostAnswers(t *testing.T) {
	for _, operation := range []string{"PutItem", "UpdateEndpoint"} {
		t.Run(operation, func(t *testing.T) {
			s, proxy := newProxiedStack(t, refreshertest.Options{Name: "lost", UpdateSeconds: 1})
			h := s.Handler(io.Discard, io.Discard)
			a, b := s.Config.ConfigA, s.Config.ConfigB
			batch := uploadAndReceive(t, s, s.ModelKey)
			proxy.Add(faultproxy.Rule{Operation: operation, Calls: []int{1}, Fault: faultproxy.ResetAfter})
			payload, err := json.Marshal(batch)
			if err != nil {
				t.Fatal(err)
			}
			// The batch may be handed back for a retry (SQS redelivers it): feed it until accepted.
			for i := 0; i < 3; i++ {
				out, err := invoke(t, h, payload)
				t.Logf("delivery %d: %d item failures, error %v", i+1, len(out.BatchItemFailures), err)
				if err == nil && len(out.BatchItemFailures) == 0 {
					break
				}
			}
			// The SDK retries a lost PutItem; UpdateEndpoint has no client token, so the refresher
			// may instead read the endpoint to learn what happened. Either way the call was made.
			if n := proxy.Count(operation); n < 1 || (operation == "PutItem" && n < 2) {
				t.Fatalf("%s called %d times after its answer was lost", operation, n)
			}
			expectEndpoint(t, s, "Updating", a, 1)
			waitInService(t, s, b)
			mustInvoke(t, h, stateChange(t, s, events.EndpointStatusInService))
			mustInvoke(t, h, schedule(t))
			expectEndpoint(t, s, "InService", b, 1)
			st := loadState(t, s)
			if st.Desired != 1 || st.Deployed != 1 || st.InFlight != nil || st.LastResult == nil || !st.LastResult.Succeeded {
				t.Fatalf("state after the update: %+v, want change 1 deployed and nothing in flight", st)
			}
		})
	}
}
