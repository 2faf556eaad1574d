package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagemaker-cd/sagemaker-cd/events"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

var describeInput = &sagemaker.DescribeEndpointInput{EndpointName: aws.String(EndpointName)}

// updateInput is the original Lambda's call: RetainAllVariantProperties hard-coded to false.
func updateInput(config string) *sagemaker.UpdateEndpointInput {
	return &sagemaker.UpdateEndpointInput{EndpointName: aws.String(EndpointName), EndpointConfigName: aws.String(config), RetainAllVariantProperties: aws.Bool(false)}
}

// message is one SQS message: an EventBridge event as its body.
type message struct {
	id       string
	body     string
	upload   int // the upload whose change it carries, or -1
	receives int
}

// queue is one SQS queue with its Lambda event source: batches of the visible messages, at
// most MaxConcurrency invocations at once.
type queue struct {
	QueueModel
	visible []*message
	running int
}

// cd is the SagemakerCD executor: the refresher's real Handler behind the modeled queues.
type cd struct {
	w        *world
	sc       *Scenario
	r        *Result
	h        *refresher.Handler
	db       *fakeDynamoDB
	model    Model
	queues   map[string]*queue
	recorded []int64
	n        int
}

func newCD(w *world, sc *Scenario, ep *fakeSageMaker, db *fakeDynamoDB, r *Result, recorded []int64) *cd {
	x := &cd{w: w, sc: sc, r: r, db: db, model: sc.Model(), queues: map[string]*queue{}, recorded: recorded}
	for _, q := range x.model.Queues {
		x.queues[q.Name] = &queue{QueueModel: q}
	}
	logger := slog.New(slog.DiscardHandler)
	if sc.Trace {
		logger = slog.New(slog.NewTextHandler(traceWriter{w}, &slog.HandlerOptions{Level: slog.LevelDebug,
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			}}))
	}
	clock := func() time.Time { return w.now }
	rec := &refresher.Reconciler{SageMaker: ep, Store: &refresher.Store{DB: db, Table: TableName}, Config: sc.Config(),
		Clock: clock, Logger: logger, Metrics: &refresher.Metrics{W: metricsWriter{r}, Clock: clock},
		// Backoffs pass on the simulated clock, with the scenario's random numbers.
		Sleep: func(ctx context.Context, d time.Duration) error {
			procOf(ctx).sleep(d)
			return nil
		},
		Jitter: func(d time.Duration) time.Duration {
			if d <= 0 {
				return 0
			}
			return time.Duration(w.rng.Int64N(int64(d)))
		}}
	x.h = &refresher.Handler{Reconciler: rec, Logger: logger}
	db.onRecord = func(uploads []int, desired int64) {
		for _, u := range uploads {
			if x.recorded[u] == 0 {
				x.recorded[u] = desired
			}
		}
	}
	return x
}

func (x *cd) changed(upload int, key, sequencer string) {
	body := x.event(events.SourceS3, events.DetailTypeObjectCreated, "arn:aws:s3:::"+Bucket, events.S3ObjectDetail{
		Version: "0", Bucket: events.S3DetailBucket{Name: Bucket},
		Object:    events.S3DetailObject{Key: key, Size: aws.Int64(1 << 20), ETag: "d41d8cd98f00b204e9800998ecf8427e", Sequencer: sequencer},
		RequestID: "N4N7GDK58NMKJ12R", Requester: Account, Reason: "PutObject",
	})
	for _, name := range x.model.route(events.SourceS3).Queues {
		x.send(x.queues[name], body, upload)
	}
}

// stateChanged sends SageMaker's "Endpoint State Change" event, in the shape of the SageMaker
// developer guide's sample (epoch milliseconds as JSON floats, FailureReason null when none).
func (x *cd) stateChanged(ep *fakeSageMaker) {
	status := strings.ToUpper(string(ep.status[:1])) // IN_SERVICE from InService
	for _, c := range string(ep.status[1:]) {
		if c >= 'A' && c <= 'Z' {
			status += "_"
		}
		status += strings.ToUpper(string(c))
	}
	var failure any
	if ep.failure != "" {
		failure = ep.failure
	}
	ms := func(t time.Time) json.Number { return json.Number(strconv.FormatInt(t.UnixMilli(), 10) + ".0") }
	body := x.event(events.SourceSageMaker, events.DetailTypeEndpointStateChange, ep.arn, map[string]any{
		"EndpointName": EndpointName, "EndpointArn": ep.arn, "EndpointConfigName": ep.config,
		"ProductionVariants": []map[string]any{{"VariantName": "AllTraffic", "CurrentWeight": 1.0, "DesiredWeight": 1.0, "CurrentInstanceCount": 1.0, "DesiredInstanceCount": 1.0}},
		"EndpointStatus":     status, "FailureReason": failure,
		"CreationTime": ms(ep.created), "LastModifiedTime": ms(ep.lastModified), "Tags": map[string]string{},
	})
	for _, name := range x.model.route(events.SourceSageMaker).Queues {
		x.send(x.queues[name], body, -1)
	}
}

// scheduled invokes the function directly with a scheduled event; EventBridge retries a
// failed invocation (Lambda's asynchronous retries: after about 1 and 2 minutes).
func (x *cd) scheduled() {
	route := x.model.route(events.SourceSchedule)
	body := x.event(events.SourceSchedule, events.DetailTypeScheduledEvent, "arn:aws:events:"+Region+":"+Account+":rule/sim-ep-ReconcileSchedule", map[string]any{})
	var attempt func(n int)
	attempt = func(n int) {
		x.invoke("schedule", func(p *proc) bool {
			ctx := withProc(context.Background(), p)
			_, err := x.h.Handle(ctx, json.RawMessage(body))
			return err == nil
		}, func(ok bool) {
			switch {
			case ok:
			case n < route.RetryAttempts:
				x.w.after(time.Duration(n+1)*time.Minute, func() { attempt(n + 1) })
			default:
				x.r.DeadLetters++
			}
		})
	}
	attempt(0)
}

// event is an EventBridge event's JSON.
func (x *cd) event(source, detailType, resource string, detail any) string {
	x.n++
	d, err := json.Marshal(detail)
	if err != nil {
		panic(fmt.Sprintf("sim: encode %s detail: %v", detailType, err))
	}
	e := map[string]any{
		"version": "0", "id": fmt.Sprintf("%08x-0000-4000-8000-%012x", x.sc.Seed&0xFFFFFFFF, x.n), "detail-type": detailType,
		"source": source, "account": Account, "time": x.w.now.UTC().Truncate(time.Second).Format(time.RFC3339),
		"region": Region, "resources": []string{resource}, "detail": json.RawMessage(d),
	}
	b, err := json.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("sim: encode %s event: %v", detailType, err))
	}
	return string(b)
}

// send puts an event on q after the queue's delivery delay (plus jitter), sometimes twice.
func (x *cd) send(q *queue, body string, upload int) {
	copies := 1
	if x.w.chance(x.sc.Faults.Duplicate) {
		copies = 2
	}
	for range copies {
		x.n++
		m := &message{id: fmt.Sprintf("%s-%d", q.Name, x.n), body: body, upload: upload}
		x.w.after(q.DeliveryDelay+x.w.jitter(x.sc.Faults.Jitter), func() { x.visible(q, m) })
	}
}

func (x *cd) visible(q *queue, m *message) {
	q.visible = append(q.visible, m)
	x.poll(q)
}

// poll starts invocations for q's visible messages, as Lambda's event source does: batches of
// up to BatchSize, at most MaxConcurrency invocations at once.
func (x *cd) poll(q *queue) {
	for q.running < q.MaxConcurrency && len(q.visible) > 0 {
		n := min(q.BatchSize, len(q.visible))
		batch := q.visible[:n:n]
		q.visible = q.visible[n:]
		q.running++
		var failed map[string]bool
		x.invoke(q.Name, func(p *proc) bool {
			failed = x.handle(p, batch)
			return true
		}, func(ok bool) {
			q.running--
			for _, m := range batch {
				switch {
				case ok && !failed[m.id]:
					if m.upload >= 0 && x.recorded[m.upload] == 0 {
						// A duplicate of a change recorded by a write this simulator did not
						// attribute (or not a marker): it is in the stored Desired by now.
						if st, ok := x.db.intent(); ok {
							x.recorded[m.upload] = st.Desired
						}
					}
				case m.receives >= q.MaxReceiveCount:
					x.r.DeadLetters++
					x.w.logf("SQS: message %s moved to the dead-letter queue after %d receives", m.id, m.receives)
				default:
					x.w.after(q.VisibilityTimeout, func() { x.visible(q, m) })
				}
			}
			x.poll(q)
		})
	}
}

// handle invokes the handler with an SQS batch and returns the failed message IDs.
func (x *cd) handle(p *proc, batch []*message) map[string]bool {
	ev := lambdaevents.SQSEvent{Records: make([]lambdaevents.SQSMessage, len(batch))}
	p.uploads = p.uploads[:0]
	for i, m := range batch {
		if m.upload >= 0 {
			p.uploads = append(p.uploads, m.upload)
		}
		m.receives++
		ev.Records[i] = lambdaevents.SQSMessage{MessageId: m.id, Body: m.body, EventSource: "aws:sqs",
			EventSourceARN: "arn:aws:sqs:" + Region + ":" + Account + ":sim-ep-queue", AWSRegion: Region,
			Attributes: map[string]string{"ApproximateReceiveCount": strconv.Itoa(m.receives)}}
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		panic(fmt.Sprintf("sim: encode SQS batch: %v", err))
	}
	ctx := withProc(context.Background(), p)
	resp, err := x.h.Handle(ctx, payload)
	failed := map[string]bool{}
	if err != nil || resp == nil {
		// The whole batch failed.
		for _, m := range batch {
			failed[m.id] = true
		}
		return failed
	}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	return failed
}

// invoke runs f as one Lambda invocation; then runs with whether it completed (false when it
// returned false or crashed).
func (x *cd) invoke(name string, f func(p *proc) bool, then func(ok bool)) {
	x.r.Invocations++
	x.w.spawn(fmt.Sprintf("%s#%d", name, x.r.Invocations), func(p *proc) {
		p.crash, p.uploads = x.sc.Faults.Crash, p.uploads[:0]
		ok := func() (ok bool) {
			defer func() {
				if v := recover(); v != nil {
					c, isCrash := v.(crashed)
					if !isCrash {
						panic(v)
					}
					x.r.Crashes++
					x.w.logf("%s: crashed %s", p.name, c.where)
					ok = false
				}
			}()
			return f(p)
		}()
		p.crash = 0
		then(ok)
	})
}

// metricsWriter sums the refresher's embedded-metric records into Result.Metrics: the values
// of the metrics each record's "_aws" directive names.
type metricsWriter struct{ r *Result }

func (m metricsWriter) Write(b []byte) (int, error) {
	for line := range bytes.Lines(b) {
		var rec map[string]any
		if err := json.Unmarshal(line, &rec); err != nil {
			return 0, fmt.Errorf("sim: decode metrics record: %w", err)
		}
		meta, _ := rec["_aws"].(map[string]any)
		directives, _ := meta["CloudWatchMetrics"].([]any)
		for _, d := range directives {
			d, _ := d.(map[string]any)
			metrics, _ := d["Metrics"].([]any)
			for _, metric := range metrics {
				metric, _ := metric.(map[string]any)
				name, _ := metric["Name"].(string)
				v, _ := rec[name].(float64)
				m.r.Metrics[name] += int(v)
			}
		}
	}
	return len(b), nil
}

// traceWriter appends the refresher's log lines to the trace.
type traceWriter struct{ w *world }

func (t traceWriter) Write(b []byte) (int, error) {
	t.w.logf("  refresher: %s", strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
