package refresh

import "strings"

// Status is an endpoint status as the SageMaker API spells it (InService, Updating, ...).
type Status string

// Endpoint statuses of the SageMaker API.
const (
	StatusOutOfService         Status = "OutOfService"
	StatusCreating             Status = "Creating"
	StatusUpdating             Status = "Updating"
	StatusSystemUpdating       Status = "SystemUpdating"
	StatusRollingBack          Status = "RollingBack"
	StatusInService            Status = "InService"
	StatusDeleting             Status = "Deleting"
	StatusFailed               Status = "Failed"
	StatusUpdateRollbackFailed Status = "UpdateRollbackFailed"
)

// Class groups statuses by what the refresher may do.
type Class int

// Status classes.
const (
	// ClassUnknown is a status this version does not know: wait, and say so.
	ClassUnknown Class = iota
	// ClassReady accepts UpdateEndpoint.
	ClassReady
	// ClassBusy is changing; UpdateEndpoint would fail with "Cannot update in-progress endpoint".
	ClassBusy
	// ClassTerminal needs a person: the endpoint is Failed.
	ClassTerminal
)

// classes is the one place that says which statuses block changes.
var classes = map[Status]Class{
	StatusInService:            ClassReady,
	StatusCreating:             ClassBusy,
	StatusUpdating:             ClassBusy,
	StatusSystemUpdating:       ClassBusy,
	StatusRollingBack:          ClassBusy,
	StatusDeleting:             ClassBusy,
	StatusOutOfService:         ClassBusy,
	StatusFailed:               ClassTerminal,
	StatusUpdateRollbackFailed: ClassTerminal,
}

// Class reports what the refresher may do with an endpoint in status s.
func (s Status) Class() Class { return classes[s] }

// ParseStatus accepts both spellings: the API's (InService) and EventBridge's (IN_SERVICE).
func ParseStatus(s string) Status {
	if !strings.Contains(s, "_") && s != strings.ToUpper(s) {
		return Status(s)
	}
	var b strings.Builder
	for _, word := range strings.Split(strings.ToLower(s), "_") {
		if word == "" {
			continue
		}
		b.WriteString(strings.ToUpper(word[:1]) + word[1:])
	}
	return Status(b.String())
}
