// Package refresh decides when a SageMaker endpoint must be refreshed onto the newest model
// artifacts, and which of its two endpoint configs (A or B) to swap to.
//
// It is the pure core of the refresher: functions from (state, observation, now) to a new state
// and a Decision value, with no I/O and no clock of their own. The AWS side (DynamoDB state,
// DescribeEndpoint, UpdateEndpoint, Lambda events) lives in package refresh/refresher and
// executes the decisions. The simulator in refresh/sim runs the refresher on this core against
// fake SageMaker and DynamoDB on a simulated clock, through thousands of randomized scenarios.
//
// The contract it keeps:
//   - no lost updates: every recorded change is included in a deployment that started after it;
//   - at most one UpdateEndpoint in flight, and only on an InService endpoint;
//   - a burst of changes during an update causes exactly one follow-up update;
//   - a quiet period (or a completion marker object) lets multi-file uploads finish;
//   - duplicate and out-of-order events are harmless (S3 sequencers in a fixed-size Recent, the
//     newest decision's time as a horizon, a fresh DescribeEndpoint), and the state stays small
//     whatever the number and length of the keys;
//   - a failed or permanently refused update is reported once and not retried until a newer
//     change arrives;
//   - only the config the endpoint moves to tells our update from another actor's (autoscaling,
//     maintenance, CloudFormation);
//   - an endpoint on a config that is neither A nor B, or OutOfService for several passes, is
//     reported, never crash-looped nor waited on silently.
package refresh
