package refresh_test

import (
	"fmt"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/refresh"
)

// Two uploads of model.tar.gz arrive, one of them twice (S3 delivers at least once); the
// duplicate is recognised by its S3 sequencer.
func ExampleRecord() {
	p := refresh.Policy{ConfigA: "my-ep-a", ConfigB: "my-ep-b"}
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := refresh.State{Endpoint: "my-ep"}
	for _, c := range []refresh.Change{
		{Key: "model.tar.gz", Sequencer: "0055AED6DCD90281E5", At: at},
		{Key: "model.tar.gz", Sequencer: "0055AED6DCD90281E5", At: at},
		{Key: "model.tar.gz", Sequencer: "0055AED6DCD90281F0", At: at.Add(time.Second)},
	} {
		var outcome refresh.RecordOutcome
		s, outcome = refresh.Record(s, c, p)
		fmt.Printf("%s: desired=%d pending=%v\n", outcome, s.Desired, s.Pending())
	}
	// Output:
	// recorded: desired=1 pending=true
	// duplicate: desired=1 pending=true
	// coalesced: desired=2 pending=true
}

// One reconcile pass on an InService endpoint with pending changes decides an update to the
// other config; while that update runs, passes wait; when it ends, it is booked as deployed.
func ExampleDecide() {
	p := refresh.Policy{ConfigA: "my-ep-a", ConfigB: "my-ep-b"}
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := refresh.State{Endpoint: "my-ep", Desired: 2, Deployed: 1}

	s, d := refresh.Decide(s, refresh.Observation{Found: true, Status: refresh.StatusInService, Config: "my-ep-a"}, now, p)
	fmt.Println(d.Kind, d.Config, d.Reason)
	s = refresh.Confirm(s, d.Seq) // UpdateEndpoint accepted it

	status := refresh.ParseStatus("UPDATING") // from an EventBridge endpoint state change
	s, d = refresh.Decide(s, refresh.Observation{Found: true, Status: status, Config: "my-ep-a"}, now.Add(time.Minute), p)
	fmt.Println(d.Kind, d.Reason)

	s, d = refresh.Decide(s, refresh.Observation{Found: true, Status: refresh.StatusInService, Config: "my-ep-b"}, now.Add(5*time.Minute), p)
	fmt.Println(d.Kind, d.Events, d.Reason, "deployed:", s.Deployed)
	// Output:
	// update my-ep-b 1 change(s) since the last deployment; swapping my-ep-a -> my-ep-b
	// wait update to my-ep-b in progress (endpoint Updating)
	// noop [UpdateSucceeded] up to date deployed: 2
}
