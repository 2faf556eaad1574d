package refresher

import "time"

// Environment variables of the refresher Lambda. The endpoint construct sets them; Load reads
// them. They are the whole contract between the two, so both sides use these constants.
const (
	// EnvEndpointName is the endpoint to keep fresh.
	EnvEndpointName = "SMCD_ENDPOINT_NAME"
	// EnvConfigA and EnvConfigB name the two identical endpoint configs.
	EnvConfigA = "SMCD_CONFIG_A"
	EnvConfigB = "SMCD_CONFIG_B"
	// EnvTableName is the DynamoDB table holding one state item per endpoint.
	EnvTableName = "SMCD_TABLE_NAME"
	// EnvQuietPeriod is a Go duration ("0s", "2m"): how long after the newest change to wait.
	EnvQuietPeriod = "SMCD_QUIET_PERIOD"
	// EnvMarkerKey is an optional completion marker object key.
	EnvMarkerKey = "SMCD_MARKER_KEY"
	// EnvWatch is JSON: {"bucket": "...", "filters": [{"prefix": "...", "suffix": "..."}]}.
	// Events for other buckets or keys are ignored (defence in depth behind the rule patterns).
	EnvWatch = "SMCD_WATCH"
	// EnvRetainAllVariantProperties is "true" (default) or "false".
	EnvRetainAllVariantProperties = "SMCD_RETAIN_ALL_VARIANT_PROPERTIES"
	// EnvDeploymentConfig is optional JSON in the SageMaker API's DeploymentConfig shape
	// (BlueGreenUpdatePolicy, RollingUpdatePolicy, AutoRollbackConfiguration).
	EnvDeploymentConfig = "SMCD_DEPLOYMENT_CONFIG"
	// EnvDriftGrace is a Go duration: how long the endpoint may sit on a config that is neither
	// A nor B before the refresher reports drift (default DefaultDriftGrace), so a CDK deployment
	// that replaces the A/B configs does not raise the drift alarm while it settles.
	EnvDriftGrace = "SMCD_DRIFT_GRACE"
	// EnvMetricsNamespace is the CloudWatch namespace of the embedded metrics (default SagemakerCD).
	EnvMetricsNamespace = "SMCD_METRICS_NAMESPACE"
)

// Tags of the SageMaker endpoint. The endpoint construct sets them, so `smcd refresh --endpoint
// NAME` and `smcd status --endpoint NAME` find the state table and the A/B configs from the
// endpoint alone. Tag keys under TagPrefix are reserved: the construct rejects user tags with it.
const (
	// TagPrefix starts every tag key sagemaker-cd owns.
	TagPrefix = "smcd:"
	// TagStateTable names the endpoint's state table (the value of EnvTableName).
	TagStateTable = TagPrefix + "state-table"
	// TagConfigA and TagConfigB name the two identical endpoint configs (EnvConfigA, EnvConfigB).
	TagConfigA = TagPrefix + "config-a"
	TagConfigB = TagPrefix + "config-b"
)

// DefaultDriftGrace is the drift grace of the Lambda when EnvDriftGrace is unset: longer than a
// deployment needs to move the endpoint and the refresher's settings, shorter than the
// drift alarm's patience.
const DefaultDriftGrace = 10 * time.Minute

// DefaultMetricsNamespace is the CloudWatch namespace when EnvMetricsNamespace is unset.
const DefaultMetricsNamespace = "SagemakerCD"

// TableKey is the partition key attribute (type S) of the state table: the endpoint name. The
// construct creates the table with it; the refresher and `smcd status` read items by it.
const TableKey = "endpoint"
