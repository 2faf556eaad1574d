// Package refreshdemo is the endpoint-refresh walkthrough of `make demo`: against the local
// emulator it builds a refreshed endpoint's world, uploads model artifacts and narrates how the
// events flow (S3 -> EventBridge -> SQS -> refresher) and how a burst of uploads during an update
// coalesces into exactly one follow-up update.
package refreshdemo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/sagemaker-cd/sagemaker-cd/events"
	"github.com/sagemaker-cd/sagemaker-cd/internal/cli"
	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/cmdutil"
	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher/refreshertest"
)

// UpdateSeconds is how long an update keeps the demo endpoint Updating in the emulator.
const UpdateSeconds = 2

// Run walks through the refresh flow against moto, narrating to w.
func Run(ctx context.Context, w io.Writer, moto *testkit.Moto) error {
	d := &demo{w: w, start: time.Now()}
	cfg, err := moto.Config(ctx)
	if err != nil {
		return err
	}

	d.step("Build the world from the endpoint construct's synthesized template: a bucket with EventBridge notifications, then the template's model, endpoint configs A and B, the endpoint on A (tagged with its state table and A/B configs), the state table, the queues with their delivery delay and dead-letter queue, and the EventBridge rules with their patterns and targets; the refresher's settings are the Lambda's environment in the template.")
	s, err := refreshertest.Create(ctx, cfg, refreshertest.Options{Name: fmt.Sprintf("demo-%d", time.Now().UnixNano()%100000), UpdateSeconds: UpdateSeconds})
	if err != nil {
		return err
	}
	c := s.Config
	d.say("Endpoint %s is InService on %s (A). B is %s.", c.Endpoint, c.ConfigA, c.ConfigB)
	d.say("Watched: s3://%s/%s. Queue: %s. Updates take %ds here (minutes in AWS).", c.Watch.Bucket, c.Watch.Filters[0].Prefix, s.QueueARN, UpdateSeconds)
	for _, r := range s.Wiring.Rules {
		if r.Pattern != "" {
			d.say("Rule %s: %s", r.LogicalID, r.Pattern)
		}
	}
	var metrics, logs bytes.Buffer
	h := s.Handler(&metrics, &logs)

	d.step("Upload model v1.")
	batch, err := d.uploadAndReceive(ctx, s, s.ModelKey)
	if err != nil {
		return err
	}
	if err := d.handle(ctx, h, batch); err != nil {
		return err
	}
	if err := d.showEndpoint(ctx, s); err != nil {
		return err
	}

	d.step("Upload 3 more files while the endpoint is Updating (a multi-file model, or impatient people).")
	for i, key := range []string{s.ModelKey, c.Watch.Filters[0].Prefix + "tokenizer.json", s.ModelKey} {
		batch, err := d.uploadAndReceive(ctx, s, key)
		if err != nil {
			return err
		}
		d.say("Upload %d of 3 handled:", i+1)
		if err := d.handle(ctx, h, batch); err != nil {
			return err
		}
	}
	calls, err := s.UpdateCalls(ctx)
	if err != nil {
		return err
	}
	d.say("UpdateEndpoint calls so far: %d. Nothing was lost: the 3 changes wait in the state table.", calls)

	d.step("The first update finishes; SageMaker announces it with an Endpoint State Change event.")
	if err := d.finishAndAnnounce(ctx, s, h); err != nil {
		return err
	}
	if err := d.showEndpoint(ctx, s); err != nil {
		return err
	}

	d.step("The follow-up update finishes.")
	if err := d.finishAndAnnounce(ctx, s, h); err != nil {
		return err
	}
	calls, err = s.UpdateCalls(ctx)
	if err != nil {
		return err
	}
	d.say("4 uploads, %d UpdateEndpoint calls: the 3 uploads during the update coalesced into exactly one follow-up.", calls)

	d.step("What `smcd status` says now.")
	var out, errOut bytes.Buffer
	root := cli.NewRoot(&cmdutil.Factory{Stdout: &out, Stderr: &errOut, LoadAWS: moto.Config})
	root.SetArgs([]string{"status", "--endpoint", c.Endpoint})
	root.SetOut(&out)
	root.SetErr(&errOut)
	if err := root.ExecuteContext(ctx); err != nil {
		return fmt.Errorf("smcd status: %w: %s", err, errOut.String())
	}
	d.say("$ smcd status --endpoint %s", c.Endpoint)
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		fmt.Fprintf(w, "      %s\n", line)
	}

	d.step("The metrics the refresher wrote (CloudWatch Embedded Metric Format on stdout):")
	totals, order := sumMetrics(metrics.String())
	for _, name := range order {
		d.say("%-16s %v", name, totals[name])
	}
	d.say("Done in %s.", time.Since(d.start).Round(100*time.Millisecond))
	return nil
}

type demo struct {
	w     io.Writer
	start time.Time
	n     int
}

func (d *demo) step(text string) {
	d.n++
	fmt.Fprintf(d.w, "\n%d. %s  [%s]\n", d.n, text, time.Since(d.start).Round(10*time.Millisecond))
}

func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.w, "   "+format+"\n", args...)
}

func (d *demo) uploadAndReceive(ctx context.Context, s *refreshertest.Stack, key string) (lambdaevents.SQSEvent, error) {
	t0 := time.Now()
	if err := s.Upload(ctx, key, "bytes of "+key+" at "+t0.String()); err != nil {
		return lambdaevents.SQSEvent{}, err
	}
	msgs, err := s.Receive(ctx, 1, 10*time.Second)
	if err != nil {
		return lambdaevents.SQSEvent{}, err
	}
	batch := s.SQSEvent(msgs)
	e, err := events.Decode([]byte(batch.Records[0].Body))
	if err != nil {
		return batch, fmt.Errorf("decode queued event: %w", err)
	}
	change, err := events.ParseS3Object(e)
	if err != nil {
		return batch, err
	}
	d.say("PUT s3://%s/%s -> EventBridge %q -> SQS message in %s (sequencer %s)", change.Bucket, change.Key, e.DetailType,
		time.Since(t0).Round(time.Millisecond), change.Sequencer)
	return batch, nil
}

// handle runs the refresher on a batch and narrates its decision from its JSON logs.
func (d *demo) handle(ctx context.Context, h *refresher.Handler, batch lambdaevents.SQSEvent) error {
	logs := h.Reconciler.Logger
	var buf bytes.Buffer
	h.Reconciler.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
	h.Logger = h.Reconciler.Logger
	defer func() { h.Reconciler.Logger, h.Logger = logs, logs }()
	t0 := time.Now()
	resp := h.HandleSQS(ctx, batch)
	if len(resp.BatchItemFailures) > 0 {
		return fmt.Errorf("refresher failed %d message(s): %s", len(resp.BatchItemFailures), buf.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec struct {
			Msg              string `json:"msg"`
			Decision, Reason string
			Coalesced        int
		}
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		switch rec.Msg {
		case "changes recorded":
			d.say("refresher: change recorded (coalesced into pending work: %s)", yesNo(rec.Coalesced > 0))
		case "reconciled":
			d.say("refresher: %s - %s", rec.Decision, rec.Reason)
		}
	}
	d.say("(handler took %s)", time.Since(t0).Round(time.Millisecond))
	return nil
}

// finishAndAnnounce waits for the update to end and delivers the state change SageMaker sends.
func (d *demo) finishAndAnnounce(ctx context.Context, s *refreshertest.Stack, h *refresher.Handler) error {
	t0 := time.Now()
	config, err := s.WaitInService(ctx, 30*time.Second)
	if err != nil {
		return err
	}
	d.say("Endpoint InService on %s after %s more.", config, time.Since(t0).Round(100*time.Millisecond))
	// The emulator does not emit SageMaker events; send the one SageMaker would, through the
	// same EventBridge rule and queue.
	detail, _ := json.Marshal(events.EndpointStateChangeDetail{EndpointName: s.Config.Endpoint, EndpointConfigName: config,
		EndpointStatus: events.EndpointStatusInService, LastModifiedTime: events.NewTimestamp(time.Now())})
	if _, err := s.EventBridge.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String(events.SourceSageMaker), DetailType: aws.String(events.DetailTypeEndpointStateChange), Detail: aws.String(string(detail)),
	}}}); err != nil {
		return fmt.Errorf("put endpoint state change event: %w", err)
	}
	msgs, err := s.Receive(ctx, 1, 10*time.Second)
	if err != nil {
		return err
	}
	d.say("EventBridge %q (IN_SERVICE) -> SQS -> refresher:", events.DetailTypeEndpointStateChange)
	return d.handle(ctx, h, s.SQSEvent(msgs))
}

func (d *demo) showEndpoint(ctx context.Context, s *refreshertest.Stack) error {
	status, config, err := s.Describe(ctx)
	if err != nil {
		return err
	}
	it, err := (&refresher.Store{DB: s.DynamoDB, Table: s.Config.Table}).Load(ctx, s.Config.Endpoint)
	if err != nil {
		return err
	}
	target := "-"
	if it.State.InFlight != nil {
		target = it.State.InFlight.Config
	}
	d.say("DescribeEndpoint: %s (serving %s, moving to %s).", status, config, target)
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// sumMetrics totals EMF records by metric name, in order of first appearance.
func sumMetrics(out string) (map[string]float64, []string) {
	totals := map[string]float64{}
	var order []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		meta, _ := rec["_aws"].(map[string]any)
		directives, _ := meta["CloudWatchMetrics"].([]any)
		for _, dir := range directives {
			metrics, _ := dir.(map[string]any)["Metrics"].([]any)
			for _, m := range metrics {
				name, _ := m.(map[string]any)["Name"].(string)
				v, _ := rec[name].(float64)
				if _, ok := totals[name]; !ok {
					order = append(order, name)
				}
				totals[name] += v
			}
		}
	}
	return totals, order
}
