// Package refresh decides when a SageMaker endpoint must be refreshed onto the newest model
// artifacts, and which of its two endpoint configs (A or B) to swap to.
//
// It is the pure core of the refresher: functions from (state, observation, now) to a new state
// and a Decision value, with no I/O and no clock of their own. The AWS side (DynamoDB state,
// DescribeEndpoint, UpdateEndpoint, Lambda events) lives in package refresh/refresher and
// executes the decisions. Because the core is pure, the simulator in refresh/sim runs tens of
// thousands of randomized scenarios against it in seconds.
//
// The contract it keeps (DESIGN.md, "Refresh: required semantics"):
//   - no lost updates: every recorded change is included in a deployment that started after it;
//   - at most one UpdateEndpoint in flight, and only on an InService endpoint;
//   - a burst of changes during an update causes exactly one follow-up update;
//   - a quiet period (or a completion marker object) lets multi-file uploads finish;
//   - duplicate and out-of-order events are harmless (S3 sequencers, fresh DescribeEndpoint);
//   - a failed update is reported once and not retried until a newer change arrives;
//   - an endpoint on a config that is neither A nor B is reported, never crash-looped.
package refresh
