// Package sim is a discrete-event simulator of endpoint refresh: on a fake clock it runs the
// product, the refresher's real Handler and Reconciler (package refresh/refresher), behind the
// endpoint construct's queues, against fakes of SageMaker and DynamoDB that implement the
// refresher's SDK interfaces, so the refresh contract can be checked against thousands of
// randomized scenarios with faults in seconds. It never re-implements what it checks.
//
// The fakes answer as the AWS SDK does, with typed errors (smithy.OperationError around the
// service's API error): the endpoint accepts UpdateEndpoint only when InService (otherwise
// ValidationException "Cannot update in-progress endpoint"), stays Updating for
// Scenario.UpdateDuration with a PendingDeploymentSummary naming the target config, then is
// InService on it serving the artifact bytes present when the update started or, when those
// bytes are bad, back on the old config with a FailureReason (sometimes after RollingBack). A
// scenario can refuse UpdateEndpoint for good (ResourceLimitExceeded, AccessDeniedException, a
// ValidationException), lose its answers (the SDK retries unless the call allows one attempt),
// throttle calls, and let other actors move the endpoint (autoscaling's Updating on the same
// config, SystemUpdating). The state table implements DynamoDB's conditional writes for the
// expression forms the store uses, the 400 KB item limit and write units, and fails the run on
// anything it does not model. Events are EventBridge JSON in the shapes AWS documents; the
// queues deliver at least once, after their delay plus jitter, in batches, and redeliver what
// failed after the visibility timeout; invocations can crash after any write took effect.
//
// Two executors run on the same world: SagemakerCD (the product, behind the construct's
// wiring, DualQueue, or its former single delayed queue, see Wiring; Scenario.Model describes
// the wiring for comparison with the synthesized template) and Baseline (the original Python
// Lambda: sleep, then swap configs, drop the change when the endpoint is busy). Every run is
// reproducible from Scenario.Seed.
package sim
