package endpoint

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
)

// SagemakerEndpointProps configures NewSagemakerEndpoint. Models, EndpointConfigProps and
// ModelsBucket are required; every other field has a default.
type SagemakerEndpointProps struct {
	// Models are the SageMaker models the endpoint serves (one or more).
	Models []ModelProps
	// EndpointConfigProps are the props of both endpoint configs (A and B). The production
	// variants name their model by the model's CustomID or ModelName (a variant without a
	// ModelName serves the only model); the construct substitutes the deployed model names.
	// EndpointConfigName, when set, is the base of the two content-derived config names.
	EndpointConfigProps *awssagemaker.CfnEndpointConfigProps
	// EndpointProps are the endpoint's props (optional). EndpointName defaults to a name derived
	// from the construct path; EndpointConfigName, when set, must equal
	// EndpointConfigProps.EndpointConfigName; the construct points the endpoint at config A.
	// Tags pass through, except that keys under "smcd:" (refresher.TagPrefix) are reserved: the
	// construct tags the endpoint with its state table and A/B config names there.
	EndpointProps *awssagemaker.CfnEndpointProps
	// ModelsBucket holds the model artifacts. An owned bucket gets EventBridge notifications
	// turned on; an imported one must have them on already.
	ModelsBucket awss3.IBucket
	// BucketEvents says which object changes refresh the endpoint. Default: objects created
	// under each model's ModelDataUrl key and ModelDataSource S3 URI (or only the
	// CompletionMarkerKey when one is set).
	BucketEvents *BucketEvents
	// QuietPeriod is how long after the newest change the refresher waits, so multi-file uploads
	// finish. Default: zero when every model is a single object (a PUT replaces it atomically),
	// DefaultPrefixQuietPeriod when a model is an S3 prefix and no CompletionMarkerKey is set.
	// At most MaxQuietPeriod. When positive, each S3 change is sent undelayed to the state queue
	// (recorded at once) and delayed by the quiet period to the change queue (its arrival starts
	// the update); above MaxDeliveryDelay the change queue delays by MaxDeliveryDelay and the
	// scheduled reconcile finishes the wait.
	QuietPeriod awscdk.Duration
	// CompletionMarkerKey, when set, is an object key the uploader writes last: only changes to
	// it count, and they count at once.
	CompletionMarkerKey *string
	// DeploymentConfig is how SageMaker rolls out an update (blue/green ALL_AT_ONCE, CANARY,
	// LINEAR; rolling; auto-rollback alarms). It is set on the endpoint and used by the
	// refresher's UpdateEndpoint calls. It may be given here or in EndpointProps, not both.
	DeploymentConfig *awssagemaker.CfnEndpoint_DeploymentConfigProperty
	// RetainAllVariantProperties keeps variant properties such as autoscaling across updates
	// (default true), on the endpoint and in the refresher's UpdateEndpoint calls.
	RetainAllVariantProperties *bool
	// EncryptionKey, when set, encrypts the state table, the queues and the log group. The
	// construct adds CloudWatch Logs to the key policy of an owned key; an imported key's
	// policy must allow logs.<region>.amazonaws.com and events.amazonaws.com itself.
	EncryptionKey awskms.IKey
	// LogRetention of the refresher's log group (default one month).
	LogRetention awslogs.RetentionDays
	// ReconcileSchedule runs a reconcile pass that heals missed events (default every 5 minutes).
	ReconcileSchedule awsevents.Schedule
	// Tracing turns on AWS X-Ray active tracing for the refresher (default off).
	Tracing *bool
}

// ModelProps is one model of the endpoint.
type ModelProps struct {
	// Props are the model's props. ModelName defaults to a content-derived name, so a change of
	// the props creates a new model (a fixed ModelName makes such a change fail in
	// CloudFormation, which cannot replace a resource with a custom name).
	Props *awssagemaker.CfnModelProps
	// CustomID is the model's construct id and the name production variants refer to it by
	// (default: Props.ModelName, else "Model<index>").
	CustomID *string
}

// BucketEvents selects the object changes that refresh the endpoint: any of EventTypes on a key
// that matches any of Filters (all keys when Filters is empty).
type BucketEvents struct {
	// EventTypes are S3 event types (awss3.EventType_OBJECT_CREATED and its Put, Post, Copy and
	// CompleteMultipartUpload kinds; awss3.EventType_OBJECT_REMOVED and its Delete and
	// DeleteMarkerCreated kinds). Default: OBJECT_CREATED.
	EventTypes []awss3.EventType
	// Filters are key prefix/suffix pairs; a key matching any of them counts.
	Filters []*awss3.NotificationKeyFilter
}

// Limits and defaults.
const (
	// MaxNameLength is SageMaker's limit on model, endpoint config and endpoint names.
	MaxNameLength = 63
	// DefaultPrefixQuietPeriod is the quiet period when a model is an S3 prefix.
	DefaultPrefixQuietPeriod = 2 * time.Minute
	// MaxDeliveryDelay is SQS's limit on a queue's delivery delay.
	MaxDeliveryDelay = 15 * time.Minute
	// MaxQuietPeriod bounds QuietPeriod: beyond an hour a refresh no longer follows an upload.
	MaxQuietPeriod = time.Hour
	// DefaultReconcileInterval is how often the scheduled reconcile runs by default.
	DefaultReconcileInterval = 5 * time.Minute
)
