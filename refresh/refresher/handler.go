package refresher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/sagemaker-cd/sagemaker-cd/events"
	"github.com/sagemaker-cd/sagemaker-cd/refresh"
)

// Handler is the refresher Lambda's handler. One function receives both shapes the endpoint
// construct wires: SQS batches (whose bodies are EventBridge events: S3 object changes and
// SageMaker endpoint state changes) and EventBridge events delivered directly (the schedule).
type Handler struct {
	Reconciler *Reconciler
	// Logger receives structured logs (slog.Default() when nil).
	Logger *slog.Logger
}

// Handle is the Lambda entry point: lambda.Start(h.Handle). For an SQS batch it returns the
// messages that failed, so only they are redelivered (ReportBatchItemFailures); for a direct
// EventBridge event it returns nil and an error when the pass failed.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (*lambdaevents.SQSEventResponse, error) {
	var probe struct {
		Records    json.RawMessage `json:"Records"`
		DetailType *string         `json:"detail-type"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return nil, fmt.Errorf("decode invocation payload: %w", err)
	}
	switch {
	case probe.Records != nil:
		var batch lambdaevents.SQSEvent
		if err := json.Unmarshal(payload, &batch); err != nil {
			return nil, fmt.Errorf("decode SQS batch: %w", err)
		}
		resp := h.HandleSQS(ctx, batch)
		return &resp, nil
	case probe.DetailType != nil:
		e, err := events.Decode(payload)
		if err != nil {
			return nil, err
		}
		return nil, h.HandleEvent(ctx, e)
	}
	return nil, errors.New("invocation payload is neither an SQS batch (Records) nor an EventBridge event (detail-type)")
}

func (h *Handler) log() *slog.Logger {
	l := h.Logger
	if l == nil {
		l = slog.Default()
	}
	return l.With("endpoint", h.Reconciler.Config.Endpoint)
}

// classify says what one event asks for: a change to record (which implies a pass), a
// reconcile pass, or nothing. An error means the event is malformed.
func (h *Handler) classify(e lambdaevents.CloudWatchEvent) (change *refresh.Change, reconcile bool, err error) {
	cfg := h.Reconciler.Config
	switch events.Classify(e) {
	case events.KindS3Object:
		c, err := events.ParseS3Object(e)
		if err != nil {
			return nil, false, err
		}
		key, ok := cfg.WatchedKey(c.Bucket, c.Key)
		if !ok {
			h.log().Info("ignored S3 change outside the watched objects", "eventId", e.ID, "bucket", c.Bucket, "key", c.Key)
			return nil, false, nil
		}
		h.log().Info("S3 change", "eventId", e.ID, "detailType", e.DetailType, "bucket", c.Bucket, "key", key, "sequencer", c.Sequencer)
		return &refresh.Change{Key: key, Sequencer: c.Sequencer, At: c.At}, true, nil
	case events.KindEndpointStateChange:
		d, err := events.ParseEndpointStateChange(e)
		if err != nil {
			return nil, false, err
		}
		if d.EndpointName != cfg.Endpoint {
			h.log().Info("ignored state change of another endpoint", "eventId", e.ID, "otherEndpoint", d.EndpointName)
			return nil, false, nil
		}
		// The status in the event is only a wake-up: the pass describes the endpoint afresh,
		// so late or out-of-order state changes cannot mislead it.
		h.log().Info("endpoint state change", "eventId", e.ID, "eventStatus", string(d.EndpointStatus), "eventConfig", d.EndpointConfigName)
		return nil, true, nil
	case events.KindSchedule:
		h.log().Info("scheduled reconcile", "eventId", e.ID)
		return nil, true, nil
	}
	h.log().Warn("ignored event of unknown source or detail type", "eventId", e.ID, "source", e.Source, "detailType", e.DetailType)
	return nil, false, nil
}

// HandleEvent handles one EventBridge event delivered directly: it records the change it
// carries, if any, then runs one reconcile pass.
func (h *Handler) HandleEvent(ctx context.Context, e lambdaevents.CloudWatchEvent) error {
	change, reconcile, err := h.classify(e)
	if err != nil {
		return fmt.Errorf("event %s: %w", e.ID, err)
	}
	if change != nil {
		if _, err := h.Reconciler.Record(ctx, []refresh.Change{*change}); err != nil {
			return err
		}
	}
	if reconcile {
		if _, err := h.Reconciler.Reconcile(ctx); err != nil {
			return err
		}
	}
	return nil
}

// HandleSQS handles a batch: all changes are recorded in one write, then one reconcile pass
// runs. Messages whose work failed are returned as batch item failures and redelivered; the
// rest are deleted. Redelivered S3 changes are recognised by their sequencer and not counted
// twice.
func (h *Handler) HandleSQS(ctx context.Context, batch lambdaevents.SQSEvent) lambdaevents.SQSEventResponse {
	resp := lambdaevents.SQSEventResponse{BatchItemFailures: []lambdaevents.SQSBatchItemFailure{}}
	fail := func(ids []string) {
		for _, id := range ids {
			resp.BatchItemFailures = append(resp.BatchItemFailures, lambdaevents.SQSBatchItemFailure{ItemIdentifier: id})
		}
	}
	var changes []refresh.Change
	var changeIDs, wakeIDs []string
	for _, m := range batch.Records {
		e, err := events.Decode([]byte(m.Body))
		if err == nil {
			var change *refresh.Change
			var reconcile bool
			change, reconcile, err = h.classify(e)
			switch {
			case change != nil:
				changes = append(changes, *change)
				changeIDs = append(changeIDs, m.MessageId)
			case reconcile:
				wakeIDs = append(wakeIDs, m.MessageId)
			}
		}
		if err != nil {
			// A malformed message is reported as failed rather than dropped: SQS redelivers it
			// until maxReceiveCount and then moves it to the dead-letter queue, where a person
			// can read it and the DLQ alarm fires. Dropping it would lose the evidence (and, if
			// the body was cut by a bug of ours, a change).
			h.log().Error("malformed message", "messageId", m.MessageId, "error", err.Error())
			fail([]string{m.MessageId})
		}
	}
	if len(changes) > 0 {
		if _, err := h.Reconciler.Record(ctx, changes); err != nil {
			h.log().Error("recording changes failed; the messages will be redelivered", "error", err.Error())
			fail(changeIDs)
			changeIDs = nil
		}
	}
	// A batch of duplicates only still runs the pass: with a quiet period the construct sends
	// each change twice, and the delayed copy (already recorded from the undelayed one) is what
	// starts the update once the quiet period has passed.
	if len(changeIDs)+len(wakeIDs) > 0 {
		if _, err := h.Reconciler.Reconcile(ctx); err != nil {
			// The changes are stored; redelivery (deduplicated by sequencer) retries the pass.
			h.log().Error("reconcile failed; the messages will be redelivered", "error", err.Error())
			fail(append(changeIDs, wakeIDs...))
		}
	}
	return resp
}
