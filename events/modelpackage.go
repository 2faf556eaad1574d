package events

// DetailTypeModelPackageStateChange is sent (source aws.sagemaker) when a model package is
// registered or its approval status changes. The promote pipeline's rule matches it.
const DetailTypeModelPackageStateChange = "SageMaker Model Package State Change"

// ModelApprovalStatus is a model package approval status, spelled as in the API and events.
type ModelApprovalStatus string

// Approval statuses.
const (
	ModelApprovalStatusApproved              ModelApprovalStatus = "Approved"
	ModelApprovalStatusRejected              ModelApprovalStatus = "Rejected"
	ModelApprovalStatusPendingManualApproval ModelApprovalStatus = "PendingManualApproval"
)

// ModelPackageStateChangeDetail is the "detail" of a "SageMaker Model Package State Change"
// event. The promoter only logs it: it always converges to the source group's current state,
// so a late or repeated event cannot promote the wrong package.
type ModelPackageStateChangeDetail struct {
	ModelPackageGroupName string              `json:"ModelPackageGroupName"`
	ModelPackageVersion   int32               `json:"ModelPackageVersion"`
	ModelPackageArn       string              `json:"ModelPackageArn"`
	ModelApprovalStatus   ModelApprovalStatus `json:"ModelApprovalStatus"`
	ModelPackageStatus    string              `json:"ModelPackageStatus,omitempty"`
	CreationTime          int64               `json:"CreationTime,omitempty"`
}
