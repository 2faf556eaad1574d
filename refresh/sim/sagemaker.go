package sim

import (
	"context"
	"fmt"
	"net/url"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sagemaker-cd/sagemaker-cd/refresh"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
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
	// Seq is the refresh.Deployment.Seq of the intent stored when the call was made (0 for the
	// baseline, which stores nothing).
	Seq int64
	// LostAnswer is set when SageMaker accepted the call but its answer never reached the caller.
	LostAnswer bool
}

// Refusal is a permanent UpdateEndpoint refusal (the account's quota, the caller's
// permissions, an invalid request) that lasts from From to Until (times since the scenario's
// start): every UpdateEndpoint call in that window gets it.
type Refusal struct {
	From, Until time.Duration
	// Code is the AWS error code: RefuseResourceLimit, RefuseAccessDenied or RefuseValidation.
	Code string
}

// Permanent refusals SageMaker answers UpdateEndpoint with.
const (
	// RefuseResourceLimit is ResourceLimitExceeded: a blue/green update needs the new fleet on
	// top of the old one, and the account's instance quota does not allow it.
	RefuseResourceLimit = "ResourceLimitExceeded"
	// RefuseAccessDenied is AccessDeniedException: the role may not call UpdateEndpoint on the
	// config (or use its KMS key).
	RefuseAccessDenied = "AccessDeniedException"
	// RefuseValidation is a ValidationException other than "Cannot update in-progress endpoint".
	RefuseValidation = "ValidationException"
)

// refusalMessages are SageMaker's messages for the refusals.
var refusalMessages = map[string]string{
	RefuseResourceLimit: "The account-level service limit 'ml.m5.large for endpoint usage' is 2 Instances, with current utilization of 2 Instances and a request delta of 2 Instances. Please use AWS Service Quotas to request an increase for this quota.",
	RefuseAccessDenied:  "User: arn:aws:sts::123456789012:assumed-role/sim-refresher/sim-refresher is not authorized to perform: sagemaker:UpdateEndpoint on resource: arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/%s because no identity-based policy allows the sagemaker:UpdateEndpoint action",
	RefuseValidation:    "The production variant AllTraffic's ManagedInstanceScaling is not supported for instance type ml.m5.large.",
}

// Activity is work of another actor on the endpoint: Application Auto Scaling's
// UpdateEndpointWeightsAndCapacities (Updating on the same config, no pending deployment) or
// SageMaker's maintenance (SystemUpdating).
type Activity struct {
	// At is the time since the scenario's start; Duration how long the endpoint is busy.
	At, Duration time.Duration
	// Maintenance makes it SystemUpdating instead of autoscaling's Updating.
	Maintenance bool
}

// artifacts is the watched S3 prefix: its generation moves with every upload.
type artifacts struct {
	generation int
	bad        map[int]bool // generations whose bytes fail health checks
}

// fakeSageMaker is one endpoint behind refresher.SageMakerAPI. It follows SageMaker's rules:
// UpdateEndpoint is accepted only when the endpoint is InService, otherwise ValidationException
// "Cannot update in-progress endpoint"; an accepted update keeps the endpoint Updating (with a
// PendingDeploymentSummary naming the target config) for the update duration, then InService
// on the target serving the bytes present when the update started or, when those are bad,
// (after RollingBack, sometimes) InService on the old config with a FailureReason.
type fakeSageMaker struct {
	w            *world
	sc           *Scenario
	table        *fakeDynamoDB // to read the intent stored when UpdateEndpoint is called
	arn          string
	created      time.Time
	status       refresh.Status
	config       string
	target       string // PendingDeploymentSummary.EndpointConfigName while Updating on ours
	pendingStart time.Time
	failure      string
	lastModified time.Time
	generation   int // upload generation the current fleet serves
	artifacts    *artifacts
	ours         bool   // the current busy status is an update of ours
	onChange     func() // EventBridge "SageMaker Endpoint State Change"

	deployments []Deployment
	r           *Result
}

var _ refresher.SageMakerAPI = (*fakeSageMaker)(nil)

func newFakeSageMaker(w *world, sc *Scenario, table *fakeDynamoDB, arts *artifacts, r *Result) *fakeSageMaker {
	return &fakeSageMaker{w: w, sc: sc, table: table, artifacts: arts, r: r,
		arn:     fmt.Sprintf("arn:aws:sagemaker:%s:%s:endpoint/%s", Region, Account, EndpointName),
		created: epoch.Add(-48 * time.Hour), status: refresh.StatusInService, config: ConfigA, lastModified: epoch.Add(-24 * time.Hour)}
}

// DescribeEndpoint implements refresher.SageMakerAPI.
func (e *fakeSageMaker) DescribeEndpoint(ctx context.Context, in *sagemaker.DescribeEndpointInput, _ ...func(*sagemaker.Options)) (*sagemaker.DescribeEndpointOutput, error) {
	p := procOf(ctx)
	p.latency()
	const op = "DescribeEndpoint"
	if name := aws.ToString(in.EndpointName); name != EndpointName {
		return nil, sageMakerError(op, validation(fmt.Sprintf("Could not find endpoint %q.", name)))
	}
	if e.w.chance(e.sc.Faults.Throttle) {
		e.r.Throttled++
		return nil, sageMakerError(op, throttling())
	}
	out := &sagemaker.DescribeEndpointOutput{
		EndpointName: aws.String(EndpointName), EndpointArn: aws.String(e.arn), EndpointConfigName: aws.String(e.config),
		EndpointStatus: smtypes.EndpointStatus(e.status), CreationTime: aws.Time(e.created), LastModifiedTime: aws.Time(e.lastModified),
		ProductionVariants: []smtypes.ProductionVariantSummary{{VariantName: aws.String("AllTraffic"), CurrentInstanceCount: aws.Int32(1), DesiredInstanceCount: aws.Int32(1)}},
	}
	if e.failure != "" {
		out.FailureReason = aws.String(e.failure)
	}
	if e.target != "" {
		out.PendingDeploymentSummary = &smtypes.PendingDeploymentSummary{EndpointConfigName: aws.String(e.target), StartTime: aws.Time(e.pendingStart)}
	}
	return out, nil
}

// UpdateEndpoint implements refresher.SageMakerAPI.
func (e *fakeSageMaker) UpdateEndpoint(ctx context.Context, in *sagemaker.UpdateEndpointInput, optFns ...func(*sagemaker.Options)) (*sagemaker.UpdateEndpointOutput, error) {
	p := procOf(ctx)
	p.latency()
	const op = "UpdateEndpoint"
	e.r.UpdateCalls++
	name, config := aws.ToString(in.EndpointName), aws.ToString(in.EndpointConfigName)
	if name != EndpointName {
		return nil, sageMakerError(op, validation(fmt.Sprintf("Could not find endpoint %q.", name)))
	}
	if config != ConfigA && config != ConfigB {
		return nil, sageMakerError(op, validation(fmt.Sprintf("Could not find endpoint configuration %q.", config)))
	}
	seq := e.checkIntent(p, config)
	if e.w.chance(e.sc.Faults.Throttle) {
		e.r.Throttled++
		return nil, sageMakerError(op, throttling())
	}
	since := e.w.now.Sub(epoch)
	for _, rf := range e.sc.Refusals {
		if since >= rf.From && since < rf.Until {
			e.r.Refusals = append(e.r.Refusals, RefusedCall{At: e.w.now, Seq: seq, Code: rf.Code})
			e.w.logf("%s: SageMaker: UpdateEndpoint(%s) refused: %s", p.name, config, rf.Code)
			return nil, sageMakerError(op, refusal(rf.Code, config))
		}
	}
	if e.status != refresh.StatusInService {
		return nil, sageMakerError(op, e.busy(p, config, false))
	}
	d := e.start(p, config, seq)
	if !e.w.chance(e.sc.Faults.LostAnswer) {
		crashPoint(p, "after UpdateEndpoint, before its answer arrived")
		return &sagemaker.UpdateEndpointOutput{EndpointArn: aws.String(e.arn)}, nil
	}
	// The answer is lost (connection reset after SageMaker accepted the call). The SDK
	// retries when the client allows more than one attempt: the retry finds the endpoint
	// Updating, on the update the first attempt started.
	d.LostAnswer = true
	e.r.LostAnswers++
	lost := &smithyhttp.RequestSendError{Err: &url.Error{Op: "Post", URL: "https://api.sagemaker." + Region + ".amazonaws.com/", Err: syscall.ECONNRESET}}
	if attempts := maxAttempts(optFns); attempts > 1 {
		p.latency()
		e.r.SDKRetries++
		e.w.logf("%s: SageMaker: the answer to UpdateEndpoint(%s) was lost; the SDK retries (%d attempts allowed)", p.name, config, attempts)
		if e.status != refresh.StatusInService {
			return nil, sageMakerError(op, e.busy(p, config, true))
		}
		e.start(p, config, seq)
		return &sagemaker.UpdateEndpointOutput{EndpointArn: aws.String(e.arn)}, nil
	}
	e.w.logf("%s: SageMaker: the answer to UpdateEndpoint(%s) was lost", p.name, config)
	return nil, &smithy.OperationError{ServiceID: sagemaker.ServiceID, OperationName: op, Err: lost}
}

// checkIntent returns the Seq of the intent stored for config, counting a call made without
// one (the invariant: UpdateEndpoint only for the stored intent).
func (e *fakeSageMaker) checkIntent(p *proc, config string) int64 {
	if e.sc.Executor != SagemakerCD {
		return 0
	}
	st, ok := e.table.intent()
	if !ok || st.InFlight == nil || st.InFlight.Config != config {
		e.r.IntentMismatches++
		e.w.logf("%s: INVARIANT: UpdateEndpoint(%s) while the stored intent is %+v", p.name, config, st.InFlight)
		return 0
	}
	return st.InFlight.Seq
}

// busy counts and returns the in-progress refusal. retry says the SDK's automatic retry made
// the call.
func (e *fakeSageMaker) busy(p *proc, config string, retry bool) error {
	switch {
	case e.ours:
		e.r.BusyErrors++
	default:
		e.r.BusyOther++
	}
	e.w.logf("%s: SageMaker: UpdateEndpoint(%s) refused: endpoint is %s (ours %v, SDK retry %v)", p.name, config, e.status, e.ours, retry)
	return validation(fmt.Sprintf("Cannot update in-progress endpoint %q.", e.arn))
}

// start begins an update to config.
func (e *fakeSageMaker) start(p *proc, config string, seq int64) *Deployment {
	d := Deployment{Start: e.w.now, From: e.config, To: config, Generation: e.artifacts.generation, Seq: seq}
	d.Failed = e.artifacts.bad[d.Generation]
	e.deployments = append(e.deployments, d)
	i := len(e.deployments) - 1
	e.status, e.failure, e.lastModified, e.ours = refresh.StatusUpdating, "", e.w.now, true
	e.target, e.pendingStart = config, e.w.now
	e.w.logf("%s: SageMaker: Updating %s -> %s (generation %d, seq %d, fails=%v)", p.name, d.From, d.To, d.Generation, seq, d.Failed)
	e.onChange()
	e.w.after(e.sc.UpdateDuration, func() {
		d := &e.deployments[i]
		if !d.Failed {
			e.finish(d, "")
			return
		}
		reason := fmt.Sprintf("The primary container for production variant AllTraffic did not pass the ping health check on %s; rolled back to %s.", d.To, d.From)
		if e.w.rng.IntN(2) == 0 {
			e.finish(d, reason)
			return
		}
		// Blue/green with auto-rollback: RollingBack first.
		e.status, e.target, e.lastModified = refresh.StatusRollingBack, "", e.w.now
		e.w.logf("SageMaker: RollingBack from %s to %s", d.To, d.From)
		e.onChange()
		e.w.after(e.sc.UpdateDuration/5, func() { e.finish(&e.deployments[i], reason) })
	})
	return &e.deployments[i]
}

func (e *fakeSageMaker) finish(d *Deployment, failure string) {
	d.End = e.w.now
	e.status, e.lastModified, e.target, e.ours, e.failure = refresh.StatusInService, e.w.now, "", false, failure
	if failure == "" {
		e.config, e.generation = d.To, d.Generation
	}
	e.w.logf("SageMaker: InService on %s (generation %d) %s", e.config, e.generation, e.failure)
	e.onChange()
}

// activity runs another actor's work on the endpoint; a busy endpoint refuses it, and the
// actor tries again a minute later (Application Auto Scaling retries its scaling activity).
func (e *fakeSageMaker) activity(a Activity) {
	if e.status != refresh.StatusInService {
		e.w.after(time.Minute, func() { e.activity(a) })
		return
	}
	e.r.Activities++
	e.status, e.lastModified = refresh.StatusUpdating, e.w.now
	if a.Maintenance {
		e.status = refresh.StatusSystemUpdating
	}
	e.w.logf("SageMaker: %s on %s by another actor for %v", e.status, e.config, a.Duration)
	e.onChange()
	e.w.after(a.Duration, func() {
		e.status, e.lastModified = refresh.StatusInService, e.w.now
		e.w.logf("SageMaker: InService on %s after another actor's work", e.config)
		e.onChange()
	})
}

// maxAttempts is how many attempts the SDK makes for a call: the client's default retryer
// (retry.DefaultMaxAttempts, as sagemaker.NewFromConfig builds it) unless the call's options
// change it.
func maxAttempts(optFns []func(*sagemaker.Options)) int {
	o := sagemaker.Options{Retryer: retry.NewStandard()}
	for _, f := range optFns {
		f(&o)
	}
	if o.RetryMaxAttempts > 0 {
		return o.RetryMaxAttempts
	}
	return o.Retryer.MaxAttempts()
}
