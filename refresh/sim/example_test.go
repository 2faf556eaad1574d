package sim_test

import (
	"fmt"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/refresh/sim"
)

// Twenty uploads of model.tar.gz arrive while the endpoint is updating onto the first one: the
// refresher waits for that update and makes exactly one more. The original Lambda swaps configs
// for each upload and drops the ones that find the endpoint busy: with its reserved concurrency
// of 1 its 30 s sleeps queue up and the backlog swaps the endpoint three times; without the
// reservation, every upload after the first is lost.
func ExampleRun() {
	sc := sim.Scenario{Seed: 1, Uploads: []sim.Upload{{At: 0}}}
	for i := range 20 {
		sc.Uploads = append(sc.Uploads, sim.Upload{At: time.Minute + time.Duration(i)*5*time.Second})
	}
	for _, x := range []struct {
		name        string
		executor    sim.Executor
		concurrency int
	}{{"sagemaker-cd", sim.SagemakerCD, 0}, {"original", sim.Baseline, 1}, {"original, unreserved", sim.Baseline, -1}} {
		sc.Executor, sc.BaselineConcurrency = x.executor, x.concurrency
		r, err := sim.Run(sc)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %d UpdateEndpoint calls, %d refused, %d deployments, serving upload %d of %d, %d lost\n",
			x.name, r.UpdateCalls, r.BusyErrors, len(r.Deployments), r.FinalGeneration, len(r.Uploads), r.Lost())
	}
	// Output:
	// sagemaker-cd: 2 UpdateEndpoint calls, 0 refused, 2 deployments, serving upload 21 of 21, 0 lost
	// original: 21 UpdateEndpoint calls, 18 refused, 3 deployments, serving upload 21 of 21, 0 lost
	// original, unreserved: 21 UpdateEndpoint calls, 20 refused, 1 deployments, serving upload 1 of 21, 20 lost
}
