package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	lambdaevents "github.com/aws/aws-lambda-go/events"
)

// Decode reads an EventBridge event (an SQS message body, a direct invocation, a file). It
// decodes the envelope member by member and never fails on a member the runtime does not use:
// besides the canonical shape it accepts the forms AWS's own samples show, "time" as epoch
// milliseconds and "source" repeated as a one-element array. A "time" it cannot read is left
// zero (ParseS3Object, which uses it, then refuses the event). It fails only when b is not a
// JSON object or lacks "source" or "detail-type", which say what the event is.
func Decode(b []byte) (lambdaevents.CloudWatchEvent, error) {
	var e lambdaevents.CloudWatchEvent
	var source, when json.RawMessage
	if err := decodeMembers(b, map[string]any{
		"version": &e.Version, "id": &e.ID, "detail-type": &e.DetailType, "source": &source,
		"account": &e.AccountID, "time": &when, "region": &e.Region, "resources": &e.Resources, "detail": &e.Detail,
	}); err != nil {
		return lambdaevents.CloudWatchEvent{}, fmt.Errorf("decode EventBridge event: %w", err)
	}
	if json.Unmarshal(source, &e.Source) != nil {
		var sources []string
		if json.Unmarshal(source, &sources) == nil && len(sources) == 1 {
			e.Source = sources[0]
		}
	}
	if e.Source == "" || e.DetailType == "" {
		return lambdaevents.CloudWatchEvent{}, errors.New("decode EventBridge event: expected \"source\" and \"detail-type\" strings")
	}
	var t Timestamp
	if json.Unmarshal(when, &t) == nil {
		e.Time = t.Time
	}
	return e, nil
}

// decodeMembers decodes the JSON object b member by member into the targets named in fields.
// A member that is absent, null or of another type than its target leaves the target at its
// zero value: events are read for the few members the runtime uses, and a surprise in any other
// must not lose the event. It fails only when b is not a JSON object.
func decodeMembers(b []byte, fields map[string]any) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("expected a JSON object: %w", err)
	}
	if m == nil {
		return errors.New("expected a JSON object, got null")
	}
	for name, dst := range fields {
		raw, ok := m[name]
		if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			continue
		}
		if raw2, ok := dst.(*json.RawMessage); ok {
			*raw2 = raw
			continue
		}
		_ = json.Unmarshal(raw, dst) // a type mismatch leaves dst as it was (zero)
	}
	return nil
}
