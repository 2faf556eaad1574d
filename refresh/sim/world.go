package sim

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"time"
)

// epoch is the simulated time of a scenario's start.
var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// world is the fake clock and the event queue.
type world struct {
	now    time.Time
	rng    *rand.Rand
	events eventHeap
	seq    int64
	idle   []*proc  // handler coroutines waiting for an invocation
	stops  []func() // stop every handler coroutine when the run ends
	trace  []string
	traced bool
}

type event struct {
	at  time.Time
	seq int64
	fn  func()
}

// eventHeap is a binary min-heap by (at, seq), typed to avoid container/heap's boxing: the
// simulator pushes millions of events per test run.
type eventHeap []event

func (h eventHeap) less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}

func (h *eventHeap) push(e event) {
	*h = append(*h, e)
	q := *h
	for i := len(q) - 1; i > 0; {
		parent := (i - 1) / 2
		if !q.less(i, parent) {
			break
		}
		q[i], q[parent] = q[parent], q[i]
		i = parent
	}
}

func (h *eventHeap) pop() event {
	q := *h
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q[n] = event{}
	q = q[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && q.less(l, m) {
			m = l
		}
		if r < n && q.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}

func newWorld(seed uint64, traced bool) *world {
	return &world{now: epoch, rng: rand.New(rand.NewPCG(seed, seed^0x5DEECE66D)), traced: traced}
}

// at schedules fn at time t (never in the past).
func (w *world) at(t time.Time, fn func()) {
	if t.Before(w.now) {
		t = w.now
	}
	w.seq++
	w.events.push(event{at: t, seq: w.seq, fn: fn})
}

func (w *world) after(d time.Duration, fn func()) { w.at(w.now.Add(d), fn) }

// run executes events until none are left or the next is after deadline, then stops the
// handler coroutines. It reports whether the world came to rest.
func (w *world) run(deadline time.Time) bool {
	for len(w.events) > 0 {
		if w.events[0].at.After(deadline) {
			break
		}
		e := w.events.pop()
		w.now = e.at
		e.fn()
	}
	for _, stop := range w.stops {
		stop()
	}
	return len(w.events) == 0
}

// proc is a handler coroutine (iter.Pull) that runs Lambda invocations one after another; it
// yields whenever an invocation waits. Idle procs are reused: a fresh coroutine would grow its
// stack again on every invocation, which dominated the simulator's time.
type proc struct {
	w     *world
	yield func(time.Duration) bool
	next  func() (time.Duration, bool)
	task  func(*proc)
	name  string
	// crash is the probability that the current invocation crashes at a crash point.
	crash float64
	// uploads are the uploads whose changes the current invocation carries and has not
	// recorded yet (see fakeDynamoDB.PutItem).
	uploads []int
}

// done is what a proc yields when its invocation has finished.
const done time.Duration = -1

// spawn starts f as a handler now. Only one handler runs at a time, and it hands control back
// to the event loop at every wait, so runs are deterministic for a seed while handlers still
// interleave step by step.
func (w *world) spawn(name string, f func(p *proc)) {
	w.after(0, func() {
		var p *proc
		if n := len(w.idle); n > 0 {
			p, w.idle = w.idle[n-1], w.idle[:n-1]
		} else {
			p = &proc{w: w}
			var stop func()
			p.next, stop = iter.Pull(func(yield func(time.Duration) bool) {
				p.yield = yield
				for {
					p.task(p)
					if !yield(done) {
						return
					}
				}
			})
			w.stops = append(w.stops, stop)
		}
		p.name, p.task = name, f
		p.resume()
	})
}

// resume runs p until its next wait and schedules the wake-up.
func (p *proc) resume() {
	d, _ := p.next()
	if d == done {
		p.w.idle = append(p.w.idle, p)
		return
	}
	p.w.after(d, p.resume)
}

// sleep lets simulated time pass for the handler; other handlers and events run meanwhile.
func (p *proc) sleep(d time.Duration) { p.yield(d) }

// latency is one AWS API round trip.
func (p *proc) latency() { p.sleep(time.Duration(5+p.w.rng.IntN(145)) * time.Millisecond) }

func (w *world) logf(format string, args ...any) {
	if w.traced {
		w.trace = append(w.trace, fmt.Sprintf("%9.3fs ", w.now.Sub(epoch).Seconds())+fmt.Sprintf(format, args...))
	}
}

// chance reports true with probability p.
func (w *world) chance(p float64) bool { return p > 0 && w.rng.Float64() < p }

// jitter is a random duration in [0, max].
func (w *world) jitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return time.Duration(w.rng.Int64N(int64(max) + 1))
}

// procKey is the context key under which an invocation's proc travels through the real
// handler to the fake AWS clients, which wait on it (no global state).
type procKey struct{}

func withProc(ctx context.Context, p *proc) context.Context {
	return context.WithValue(ctx, procKey{}, p)
}

// procOf returns the invocation calling a fake AWS client. A call outside a simulated
// invocation is a bug of the simulator.
func procOf(ctx context.Context) *proc {
	p, ok := ctx.Value(procKey{}).(*proc)
	if !ok {
		panic("sim: AWS call outside a simulated invocation")
	}
	return p
}

// crashed is what crashPoint panics with; the invocation wrapper recovers it as the Lambda
// process dying at that point (timeout, out of memory, a host failure).
type crashed struct{ where string }

// crashPoint stops p's invocation with probability Faults.Crash, after the call it is in has
// taken effect and before its answer reaches the caller.
func crashPoint(p *proc, where string) {
	if p.crash > 0 && p.w.chance(p.crash) {
		panic(crashed{where})
	}
}
