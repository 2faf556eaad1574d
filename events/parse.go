package events

import (
	"encoding/json"
	"errors"
	"fmt"

	lambdaevents "github.com/aws/aws-lambda-go/events"
)

// Kind says which of the events this package knows an EventBridge event is.
type Kind int

// Event kinds.
const (
	// KindUnknown is any other event.
	KindUnknown Kind = iota
	// KindS3Object is an S3 "Object Created" or "Object Deleted" event.
	KindS3Object
	// KindEndpointStateChange is a "SageMaker Endpoint State Change" event.
	KindEndpointStateChange
	// KindSchedule is an EventBridge "Scheduled Event".
	KindSchedule
	// KindModelPackageStateChange is a "SageMaker Model Package State Change" event.
	KindModelPackageStateChange
)

func (k Kind) String() string {
	names := [...]string{"unknown", "s3-object", "endpoint-state-change", "schedule", "model-package-state-change"}
	if k < 0 || int(k) >= len(names) {
		return "unknown"
	}
	return names[k]
}

// Classify returns the kind of e from its source and detail type.
func Classify(e lambdaevents.CloudWatchEvent) Kind {
	switch {
	case e.Source == SourceS3 && (e.DetailType == DetailTypeObjectCreated || e.DetailType == DetailTypeObjectDeleted):
		return KindS3Object
	case e.Source == SourceSageMaker && e.DetailType == DetailTypeEndpointStateChange:
		return KindEndpointStateChange
	case e.Source == SourceSchedule && e.DetailType == DetailTypeScheduledEvent:
		return KindSchedule
	case e.Source == SourceSageMaker && e.DetailType == DetailTypeModelPackageStateChange:
		return KindModelPackageStateChange
	}
	return KindUnknown
}

// ParseS3Object reads the change an S3 "Object Created"/"Object Deleted" event describes.
func ParseS3Object(e lambdaevents.CloudWatchEvent) (S3ObjectChange, error) {
	if Classify(e) != KindS3Object {
		return S3ObjectChange{}, fmt.Errorf("event %s: source %q detail-type %q is not an S3 object event", e.ID, e.Source, e.DetailType)
	}
	// Only the members the refresher uses are read; the rest of the detail may take any shape.
	var bucket, object json.RawMessage
	var c S3ObjectChange
	if err := decodeMembers(e.Detail, map[string]any{"bucket": &bucket, "object": &object}); err != nil {
		return S3ObjectChange{}, fmt.Errorf("event %s: decode S3 detail: %w", e.ID, err)
	}
	if bucket != nil {
		_ = decodeMembers(bucket, map[string]any{"name": &c.Bucket})
	}
	if object != nil {
		_ = decodeMembers(object, map[string]any{"key": &c.Key, "sequencer": &c.Sequencer})
	}
	if c.Bucket == "" || c.Key == "" {
		return S3ObjectChange{}, fmt.Errorf("event %s: S3 detail without bucket name or object key", e.ID)
	}
	if e.Time.IsZero() {
		return S3ObjectChange{}, fmt.Errorf("event %s: S3 event without a readable \"time\" (the quiet period counts from it)", e.ID)
	}
	c.Deleted = e.DetailType == DetailTypeObjectDeleted
	c.At = e.Time
	return c, nil
}

// ParseEndpointStateChange reads the detail of a "SageMaker Endpoint State Change" event.
func ParseEndpointStateChange(e lambdaevents.CloudWatchEvent) (EndpointStateChangeDetail, error) {
	if Classify(e) != KindEndpointStateChange {
		return EndpointStateChangeDetail{}, fmt.Errorf("event %s: source %q detail-type %q is not an endpoint state change", e.ID, e.Source, e.DetailType)
	}
	var d EndpointStateChangeDetail
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		return EndpointStateChangeDetail{}, fmt.Errorf("event %s: decode endpoint state change: %w", e.ID, err)
	}
	if d.EndpointName == "" {
		return EndpointStateChangeDetail{}, errors.New("event " + e.ID + ": endpoint state change without EndpointName")
	}
	return d, nil
}

// ParseModelPackageStateChange reads the detail of a "SageMaker Model Package State Change" event.
func ParseModelPackageStateChange(e lambdaevents.CloudWatchEvent) (ModelPackageStateChangeDetail, error) {
	if Classify(e) != KindModelPackageStateChange {
		return ModelPackageStateChangeDetail{}, fmt.Errorf("event %s: source %q detail-type %q is not a model package state change", e.ID, e.Source, e.DetailType)
	}
	var d ModelPackageStateChangeDetail
	if err := json.Unmarshal(e.Detail, &d); err != nil {
		return ModelPackageStateChangeDetail{}, fmt.Errorf("event %s: decode model package state change: %w", e.ID, err)
	}
	if d.ModelPackageArn == "" || d.ModelPackageGroupName == "" {
		return ModelPackageStateChangeDetail{}, errors.New("event " + e.ID + ": model package state change without ModelPackageArn or ModelPackageGroupName")
	}
	return d, nil
}
