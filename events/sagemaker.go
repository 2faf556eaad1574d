package events

import "time"

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

// EndpointStateChangeDetail is the "detail" of a "SageMaker Endpoint State Change" event.
// The refresher treats it as a wake-up only and always asks DescribeEndpoint for the truth,
// because state-change events may arrive late, twice or out of order.
type EndpointStateChangeDetail struct {
	EndpointName       string                      `json:"EndpointName"`
	EndpointArn        string                      `json:"EndpointArn"`
	EndpointConfigName string                      `json:"EndpointConfigName"`
	ProductionVariants []EndpointProductionVariant `json:"ProductionVariants,omitempty"`
	EndpointStatus     EndpointStatus              `json:"EndpointStatus"`
	FailureReason      string                      `json:"FailureReason,omitempty"`
	// CreationTime and LastModifiedTime are milliseconds since the Unix epoch.
	CreationTime     int64             `json:"CreationTime"`
	LastModifiedTime int64             `json:"LastModifiedTime"`
	Tags             map[string]string `json:"Tags"`
}

// LastModified returns LastModifiedTime as a time.
func (d EndpointStateChangeDetail) LastModified() time.Time {
	return time.UnixMilli(d.LastModifiedTime).UTC()
}

// EndpointProductionVariant is one production variant in an endpoint state change.
type EndpointProductionVariant struct {
	VariantName          string                  `json:"VariantName"`
	CurrentWeight        float64                 `json:"CurrentWeight"`
	DesiredWeight        float64                 `json:"DesiredWeight"`
	CurrentInstanceCount float64                 `json:"CurrentInstanceCount"`
	DesiredInstanceCount float64                 `json:"DesiredInstanceCount"`
	DeployedImages       []EndpointDeployedImage `json:"DeployedImages,omitempty"`
}

// EndpointDeployedImage is a container image a variant runs.
type EndpointDeployedImage struct {
	SpecifiedImage string `json:"SpecifiedImage"`
	ResolvedImage  string `json:"ResolvedImage"`
	// ResolutionTime is milliseconds since the Unix epoch.
	ResolutionTime int64 `json:"ResolutionTime"`
}
