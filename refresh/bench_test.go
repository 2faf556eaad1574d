package refresh

import (
	"fmt"
	"testing"
	"time"
)

func BenchmarkDecide(b *testing.B) {
	cases := []struct {
		name string
		s    State
		obs  Observation
	}{
		{"update", State{Endpoint: "ep", Desired: 5, Deployed: 3},
			Observation{Found: true, Status: StatusInService, Config: "cfg-a", LastModified: modified}},
		{"wait", State{Endpoint: "ep", Desired: 5, Deployed: 3, InFlight: inflight(true, t0)},
			Observation{Found: true, Status: StatusUpdating, Config: "cfg-a", LastModified: modified}},
		{"finish-and-follow-up", State{Endpoint: "ep", Desired: 7, Deployed: 3, InFlight: inflight(true, t0)},
			Observation{Found: true, Status: StatusInService, Config: "cfg-b", LastModified: t0}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Decide(c.s, c.obs, t0, pol)
			}
		})
	}
}

func BenchmarkRecord(b *testing.B) {
	for _, keys := range []int{1, RecentKeys / 2, RecentKeys} {
		b.Run(fmt.Sprintf("recent=%d", keys), func(b *testing.B) {
			s := State{Endpoint: "ep"}
			for i := range keys {
				s.Recent, _ = s.Recent.Accept(fmt.Sprintf("model/part-%05d", i), "01")
			}
			c := Change{Key: "model/part-00000", Sequencer: "02", At: t0.Add(time.Second)}
			b.ReportAllocs()
			for b.Loop() {
				Record(s, c, pol)
			}
		})
	}
}
