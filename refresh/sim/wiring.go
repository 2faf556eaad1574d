package sim

import (
	"fmt"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/events"
)

// Wiring is how events reach the refresher handler. The zero value, DualQueue, is the endpoint
// construct's; Model describes it in full so a template test can compare the two.
type Wiring int

const (
	// DualQueue is the endpoint construct's wiring: with a quiet period, each S3 change is sent
	// twice, at once (to the construct's undelayed state queue) and delayed by the quiet period
	// (its change queue), and the handler records and reconciles on both copies. The undelayed
	// copy records the change when it happens, so the reconcile waits while changes keep
	// coming; the delayed copy arrives when the quiet period after its change has passed and
	// starts the update if no newer change came (its record is a duplicate). A multi-file upload
	// is one update, starting a quiet period after its last file. Without a quiet period each
	// change goes to the change queue only, undelayed. Endpoint state changes go to the state
	// queue without delay; a schedule invokes the function directly.
	DualQueue Wiring = iota
	// DelayQueue is the construct's former wiring: S3 changes go only through the delayed change
	// queue and are recorded when delivered. A multi-file upload then starts an update on its
	// first file's message (the later files are not recorded yet, so the quiet period looks
	// over) and a follow-up for the files recorded after it (see TestWiringAndMultiFileUploads).
	DelayQueue
	numWirings
)

func (wi Wiring) String() string {
	switch wi {
	case DualQueue:
		return "dual-queue"
	case DelayQueue:
		return "delay-queue"
	}
	return fmt.Sprintf("Wiring(%d)", int(wi))
}

// Queue names of the model: the logical IDs the endpoint construct gives its queues.
const (
	ChangeQueue     = "ChangeQueue"
	StateQueue      = "StateQueue"
	DeadLetterQueue = "DeadLetterQueue"
)

// Parameters of the construct's queues and event sources that the simulator assumes.
const (
	// FunctionTimeout is the refresher function's timeout.
	FunctionTimeout = time.Minute
	// DefaultVisibilityTimeout is the queues' visibility timeout: six times the function
	// timeout, as Lambda recommends for SQS event sources.
	DefaultVisibilityTimeout = 6 * FunctionTimeout
	// DefaultMaxReceives is the queues' redrive policy: a message moves to the dead-letter
	// queue after that many failed receives.
	DefaultMaxReceives = 5
	// BatchSize is the SQS event sources' batch size.
	BatchSize = 10
	// MaxConcurrency is the SQS event sources' maximum concurrency (per queue).
	MaxConcurrency = 2
	// DefaultSchedule is the period of the scheduled reconcile.
	DefaultSchedule = 5 * time.Minute
	// ScheduleRetryAttempts is how often EventBridge's Lambda target (an asynchronous
	// invocation) retries a scheduled reconcile that failed.
	ScheduleRetryAttempts = 2
	// MaxDeliveryDelay is SQS's limit on a queue's delivery delay: a longer quiet period is
	// finished by the scheduled reconcile.
	MaxDeliveryDelay = 15 * time.Minute
)

// QueueModel is one SQS queue in front of the refresher function, as the simulator models it.
type QueueModel struct {
	// Name is the construct's logical ID of the queue (ChangeQueue, StateQueue).
	Name string
	// DeliveryDelay is the queue's delivery delay.
	DeliveryDelay time.Duration
	// VisibilityTimeout is how long a received message stays hidden; a message whose handling
	// failed is redelivered after it.
	VisibilityTimeout time.Duration
	// MaxReceiveCount moves a message to DeadLetterQueue after that many receives.
	MaxReceiveCount int
	// DeadLetterQueue names the redrive target.
	DeadLetterQueue string
	// BatchSize, MaxConcurrency and ReportBatchItemFailures are the Lambda event source's.
	BatchSize               int
	MaxConcurrency          int
	ReportBatchItemFailures bool
}

// RouteModel is one EventBridge rule: which events go where.
type RouteModel struct {
	// Source and DetailTypes match the events (EventBridge's "source" and "detail-type").
	Source      string
	DetailTypes []string
	// Queues receive the matching events; empty for a rule that invokes the function directly.
	Queues []string
	// Schedule is the rate of a scheduled rule (then Source is events.SourceSchedule).
	Schedule time.Duration
	// RetryAttempts is the direct invocation's retry attempts (scheduled rule only).
	RetryAttempts int
}

// Model is the wiring a scenario's refresher runs behind: the queues, their delays and event
// sources, and which events go where. It is what the simulator's verdicts rest on; a test of
// the endpoint construct compares it with the synthesized template.
type Model struct {
	Queues []QueueModel
	Routes []RouteModel
}

// Model returns the wiring of sc (defaults applied): with DualQueue, the endpoint construct's
// for sc.QuietPeriod and sc.Schedule.
func (sc Scenario) Model() Model {
	sc = sc.withDefaults()
	q := func(name string, delay time.Duration) QueueModel {
		return QueueModel{Name: name, DeliveryDelay: delay, VisibilityTimeout: sc.VisibilityTimeout, MaxReceiveCount: sc.MaxReceives,
			DeadLetterQueue: DeadLetterQueue, BatchSize: BatchSize, MaxConcurrency: MaxConcurrency, ReportBatchItemFailures: true}
	}
	delay := min(sc.QuietPeriod, MaxDeliveryDelay)
	m := Model{Queues: []QueueModel{q(ChangeQueue, delay), q(StateQueue, 0)}}
	changes := []string{ChangeQueue}
	if sc.Wiring == DualQueue && delay > 0 {
		changes = append(changes, StateQueue)
	}
	m.Routes = []RouteModel{
		{Source: events.SourceS3, DetailTypes: []string{events.DetailTypeObjectCreated, events.DetailTypeObjectDeleted}, Queues: changes},
		{Source: events.SourceSageMaker, DetailTypes: []string{events.DetailTypeEndpointStateChange}, Queues: []string{StateQueue}},
		{Source: events.SourceSchedule, DetailTypes: []string{events.DetailTypeScheduledEvent}, Schedule: sc.Schedule, RetryAttempts: ScheduleRetryAttempts},
	}
	return m
}

// queueModel returns the model of the named queue.
func (m Model) queue(name string) QueueModel {
	for _, q := range m.Queues {
		if q.Name == name {
			return q
		}
	}
	panic("sim: no queue " + name + " in the model")
}

// route returns the rule for source.
func (m Model) route(source string) RouteModel {
	for _, r := range m.Routes {
		if r.Source == source {
			return r
		}
	}
	panic("sim: no route for " + source + " in the model")
}
