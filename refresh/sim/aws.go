package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/refresh"
)

// Errors of the fake services, as the adapter would classify the SDK's.
var (
	// errBusy is SageMaker's ValidationException "Cannot update in-progress endpoint".
	errBusy = errors.New("ValidationException: Cannot update in-progress endpoint")
	// errThrottled is SageMaker's ThrottlingException.
	errThrottled = errors.New("ThrottlingException: Rate exceeded")
	// errConflict is DynamoDB's ConditionalCheckFailedException.
	errConflict = errors.New("ConditionalCheckFailedException")
)

// Deployment is one UpdateEndpoint call SageMaker accepted.
type Deployment struct {
	// Start and End are when the endpoint turned Updating and InService again.
	Start, End time.Time
	// From and To are the endpoint configs.
	From, To string
	// Generation is the upload generation (number of uploads so far) the new fleet loaded.
	Generation int
	// Failed is set when the new fleet failed and the endpoint rolled back to From.
	Failed bool
	// Seq is the refresh.Decision.Seq the call executed (0 for the baseline).
	Seq int64
}

// sagemaker is the fake endpoint.
type sagemaker struct {
	w            *world
	name         string
	status       refresh.Status
	config       string
	target       string // PendingDeploymentSummary's config while an update runs
	failure      string
	lastModified time.Time
	generation   int // upload generation the current fleet serves
	artifacts    *artifacts
	duration     time.Duration
	throttle     float64
	onChange     func(refresh.Status) // EventBridge "SageMaker Endpoint State Change"

	deployments []Deployment
	busyErrors  int
	throttled   int
}

// artifacts is the watched S3 prefix: its generation moves with every upload.
type artifacts struct {
	generation int
	bad        map[int]bool // generations whose bytes fail health checks
}

func (e *sagemaker) describe() (refresh.Observation, error) {
	if e.w.chance(e.throttle) {
		e.throttled++
		return refresh.Observation{}, fmt.Errorf("describe endpoint %s: %w", e.name, errThrottled)
	}
	return refresh.Observation{Found: true, Status: e.status, Config: e.config, Target: e.target, FailureReason: e.failure, LastModified: e.lastModified}, nil
}

func (e *sagemaker) update(config string, seq int64) error {
	if e.w.chance(e.throttle) {
		e.throttled++
		return fmt.Errorf("update endpoint %s: %w", e.name, errThrottled)
	}
	if e.status != refresh.StatusInService {
		e.busyErrors++
		e.w.logf("SageMaker: UpdateEndpoint(%s) refused: endpoint is %s", config, e.status)
		return fmt.Errorf("update endpoint %s: %w", e.name, errBusy)
	}
	d := Deployment{Start: e.w.now, From: e.config, To: config, Generation: e.artifacts.generation, Seq: seq}
	d.Failed = e.artifacts.bad[d.Generation]
	e.deployments = append(e.deployments, d)
	i := len(e.deployments) - 1
	e.status, e.failure, e.lastModified, e.target = refresh.StatusUpdating, "", e.w.now, config
	e.w.logf("SageMaker: Updating %s -> %s (generation %d, seq %d, fails=%v)", d.From, d.To, d.Generation, seq, d.Failed)
	e.onChange(e.status)
	e.w.after(e.duration, func() {
		d := &e.deployments[i]
		d.End = e.w.now
		e.status, e.lastModified, e.target = refresh.StatusInService, e.w.now, ""
		if d.Failed {
			e.failure = fmt.Sprintf("the new fleet on %s failed its health checks; rolled back to %s", d.To, d.From)
		} else {
			e.config, e.generation = d.To, d.Generation
		}
		e.w.logf("SageMaker: InService on %s (generation %d) %s", e.config, e.generation, e.failure)
		e.onChange(e.status)
	})
	return nil
}

// store is the DynamoDB item of one endpoint, written only at the version it was read at.
type store struct {
	item      refresh.State
	version   int64
	conflicts int
	writes    int
}

func (s *store) get() refresh.State {
	c := copyState(s.item)
	c.Version = s.version
	return c
}

func (s *store) put(st refresh.State) error {
	if st.Version != s.version {
		s.conflicts++
		return fmt.Errorf("put refresh state %s at version %d: %w", st.Endpoint, st.Version, errConflict)
	}
	s.item = copyState(st)
	s.version++
	s.writes++
	return nil
}

// copyState is a deep copy, as a round trip through DynamoDB would make.
func copyState(s refresh.State) refresh.State { return s.Clone() }
