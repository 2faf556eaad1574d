package promotion

import (
	"encoding/json"
	"fmt"
)

// Model package state change events, as EventBridge delivers them.
const (
	EventSource     = "aws.sagemaker"
	EventDetailType = "SageMaker Model Package State Change"
)

// StateChangeEvent is an EventBridge "SageMaker Model Package State Change" event. The promoter
// logs it but always converges to the source group's current state.
type StateChangeEvent struct {
	ID         string            `json:"id"`
	Source     string            `json:"source"`
	DetailType string            `json:"detail-type"`
	Account    string            `json:"account"`
	Region     string            `json:"region"`
	Time       string            `json:"time"`
	Detail     StateChangeDetail `json:"detail"`
}

// StateChangeDetail is the event's detail.
type StateChangeDetail struct {
	ModelPackageGroupName string `json:"ModelPackageGroupName"`
	ModelPackageVersion   int32  `json:"ModelPackageVersion"`
	ModelPackageArn       string `json:"ModelPackageArn"`
	ModelApprovalStatus   string `json:"ModelApprovalStatus"`
}

// ParseStateChangeEvent decodes and checks an event.
func ParseStateChangeEvent(b []byte) (*StateChangeEvent, error) {
	var e StateChangeEvent
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("decode model package state change event: %w", err)
	}
	if e.Source != EventSource || e.DetailType != EventDetailType {
		return nil, fmt.Errorf("event source %q detail-type %q: want %q %q", e.Source, e.DetailType, EventSource, EventDetailType)
	}
	return &e, nil
}
