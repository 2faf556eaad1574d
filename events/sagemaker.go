package events

// Source and detail type of SageMaker endpoint state changes.
const (
	// SourceSageMaker is the "source" of every SageMaker EventBridge event.
	SourceSageMaker = "aws.sagemaker"
	// DetailTypeEndpointStateChange is sent when an endpoint's status changes.
	DetailTypeEndpointStateChange = "SageMaker Endpoint State Change"
)

// EndpointStatus is an endpoint status as EventBridge spells it: upper snake case (IN_SERVICE),
// where the SageMaker API says InService. refresh.ParseStatus reads both.
type EndpointStatus string

// Endpoint statuses in EventBridge spelling.
const (
	EndpointStatusOutOfService         EndpointStatus = "OUT_OF_SERVICE"
	EndpointStatusCreating             EndpointStatus = "CREATING"
	EndpointStatusUpdating             EndpointStatus = "UPDATING"
	EndpointStatusSystemUpdating       EndpointStatus = "SYSTEM_UPDATING"
	EndpointStatusRollingBack          EndpointStatus = "ROLLING_BACK"
	EndpointStatusInService            EndpointStatus = "IN_SERVICE"
	EndpointStatusDeleting             EndpointStatus = "DELETING"
	EndpointStatusFailed               EndpointStatus = "FAILED"
	EndpointStatusUpdateRollbackFailed EndpointStatus = "UPDATE_ROLLBACK_FAILED"
)

// EndpointStateChangeDetail is the part of a "SageMaker Endpoint State Change" event's detail
// the refresher reads. It treats the event as a wake-up only and always asks DescribeEndpoint
// for the truth, because state-change events may arrive late, twice or out of order; so it
// decodes only these members, and a member of an unexpected type (SageMaker documents epoch
// times as JSON floats, FailureReason may be null) is left zero instead of failing the event.
type EndpointStateChangeDetail struct {
	EndpointName       string         `json:"EndpointName"`
	EndpointConfigName string         `json:"EndpointConfigName,omitempty"`
	EndpointStatus     EndpointStatus `json:"EndpointStatus"`
	// FailureReason is set when an update or creation failed ("" when absent or null).
	FailureReason string `json:"FailureReason,omitempty"`
	// LastModifiedTime is epoch milliseconds in the event (integer or float).
	LastModifiedTime Timestamp `json:"LastModifiedTime,omitzero"`
}

// UnmarshalJSON decodes the members above tolerantly (see EndpointStateChangeDetail).
func (d *EndpointStateChangeDetail) UnmarshalJSON(b []byte) error {
	*d = EndpointStateChangeDetail{}
	return decodeMembers(b, map[string]any{
		"EndpointName": &d.EndpointName, "EndpointConfigName": &d.EndpointConfigName,
		"EndpointStatus": &d.EndpointStatus, "FailureReason": &d.FailureReason, "LastModifiedTime": &d.LastModifiedTime,
	})
}
