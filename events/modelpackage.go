package events

import (
	"encoding/json"
	"math"
)

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

// ModelPackageStateChangeDetail is the part of a "SageMaker Model Package State Change" event's
// detail the promoter reads. The promoter only logs it: it always converges to the source group's
// current state, so a late or repeated event cannot promote the wrong package. Members are
// decoded tolerantly: SageMaker's sample writes CreationTime as an ISO 8601 string, and a member
// of an unexpected type is left zero instead of failing the event.
type ModelPackageStateChangeDetail struct {
	ModelPackageGroupName string              `json:"ModelPackageGroupName"`
	ModelPackageVersion   int32               `json:"ModelPackageVersion,omitempty"`
	ModelPackageArn       string              `json:"ModelPackageArn"`
	ModelApprovalStatus   ModelApprovalStatus `json:"ModelApprovalStatus"`
	ModelPackageStatus    string              `json:"ModelPackageStatus,omitempty"`
	CreationTime          Timestamp           `json:"CreationTime,omitzero"`
}

// UnmarshalJSON decodes the members above tolerantly (see ModelPackageStateChangeDetail).
func (d *ModelPackageStateChangeDetail) UnmarshalJSON(b []byte) error {
	*d = ModelPackageStateChangeDetail{}
	var version json.Number
	if err := decodeMembers(b, map[string]any{
		"ModelPackageGroupName": &d.ModelPackageGroupName, "ModelPackageVersion": &version,
		"ModelPackageArn": &d.ModelPackageArn, "ModelApprovalStatus": &d.ModelApprovalStatus,
		"ModelPackageStatus": &d.ModelPackageStatus, "CreationTime": &d.CreationTime,
	}); err != nil {
		return err
	}
	if v, err := version.Float64(); err == nil && v == math.Trunc(v) && v >= 0 && v <= math.MaxInt32 {
		d.ModelPackageVersion = int32(v)
	}
	return nil
}
