// Package sim is a discrete-event simulator of endpoint refresh: a fake clock drives a fake
// SageMaker endpoint, a DynamoDB-like versioned store, an SQS-like queue and concurrent Lambda
// invocations, so the refresh core (package refresh) and the executor around it can be checked
// against thousands of randomized scenarios with faults in seconds.
//
// The endpoint follows SageMaker's rules: UpdateEndpoint is accepted only when the endpoint is
// InService (otherwise ValidationException "Cannot update in-progress endpoint"); an update keeps
// the endpoint Updating for Scenario.UpdateDuration, then InService on the new config serving the
// artifact bytes that were present when the update started, or, when those bytes are bad, back on
// the old config with a FailureReason. The store accepts a write only at the version it was read
// at. The queue delivers at least once, after the quiet-period delay plus jitter, sometimes twice,
// and redelivers a message whose handler crashed or failed after the visibility timeout.
//
// Two executors run on the same world: SagemakerCD (the refresh core, executed the way the
// refresher Lambda does, with the endpoint construct's queues, DualQueue, by default, or the
// construct's former single delayed queue or the record-on-arrival alternative, see Wiring) and Baseline (the original Python Lambda: sleep, then swap configs,
// drop the change when the endpoint is busy). Every run is reproducible from Scenario.Seed.
package sim
