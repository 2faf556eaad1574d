package endpoint

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-cd/sagemaker-cd/internal/gobuild"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

// RefresherPackage is the main package of the refresher Lambda, compiled at synth.
const RefresherPackage = "github.com/sagemaker-cd/sagemaker-cd/cmd/refresher"

// XRayBuildTag is the build tag the refresher is compiled with when Tracing is on: it then
// records its AWS SDK calls as X-Ray subsegments.
const XRayBuildTag = "xray"

// SagemakerEndpoint is a SageMaker endpoint that refreshes itself when its model artifacts
// change. NewSagemakerEndpoint creates one.
type SagemakerEndpoint interface {
	constructs.Construct
	// Endpoint is the SageMaker endpoint.
	Endpoint() awssagemaker.CfnEndpoint
	// ConfigA and ConfigB are the two identical endpoint configs the endpoint swaps between.
	ConfigA() awssagemaker.CfnEndpointConfig
	ConfigB() awssagemaker.CfnEndpointConfig
	// Models are the models, in the order of SagemakerEndpointProps.Models.
	Models() []awssagemaker.CfnModel
	// Function is the refresher Lambda.
	Function() awslambda.IFunction
	// EndpointName, ConfigAName and ConfigBName are the (literal) resource names.
	EndpointName() *string
	ConfigAName() *string
	ConfigBName() *string
	// StateTable holds the refresher's state, one item per endpoint (partition key
	// refresher.TableKey).
	StateTable() awsdynamodb.ITable
	// Queue receives S3 object changes, delayed by the quiet period (at most MaxDeliveryDelay):
	// with a quiet period, its messages trigger the reconcile that starts the update.
	Queue() awssqs.IQueue
	// StateQueue receives the endpoint's SageMaker state changes without delay and, when there
	// is a quiet period, every S3 object change too, so the change is recorded when it happens.
	StateQueue() awssqs.IQueue
	// DeadLetterQueue receives messages and events the refresher could not handle.
	DeadLetterQueue() awssqs.IQueue
	// Alarms are the construct's CloudWatch alarms (without actions: add your own).
	Alarms() *Alarms
}

// Alarms are the CloudWatch alarms of a SagemakerEndpoint.
type Alarms struct {
	// UpdateFailed: a refresh ended with the endpoint rolled back or Failed.
	UpdateFailed awscloudwatch.Alarm
	// Drift: the endpoint is on a config that is neither A nor B.
	Drift awscloudwatch.Alarm
	// DeadLetters: the dead-letter queue holds messages.
	DeadLetters awscloudwatch.Alarm
	// FunctionErrors: the refresher Lambda failed.
	FunctionErrors awscloudwatch.Alarm
	// EndpointFailed: the endpoint is Failed (refresher.MetricEndpointFailed).
	EndpointFailed awscloudwatch.Alarm
	// OutOfService: the endpoint stayed OutOfService for several passes
	// (refresher.MetricOutOfService).
	OutOfService awscloudwatch.Alarm
	// EventDeliveryFailed: EventBridge failed to deliver events of the construct's rules to
	// their queue or function (AWS/Events FailedInvocations, summed over the rules).
	EventDeliveryFailed awscloudwatch.Alarm
	// DeadLetterDeliveryFailed: EventBridge could not put such events into the dead-letter queue
	// either (AWS/Events InvocationsFailedToBeSentToDlq, summed over the rules): they are lost.
	DeadLetterDeliveryFailed awscloudwatch.Alarm
}

// All lists the alarms, e.g. to add one action to each.
func (a *Alarms) All() []awscloudwatch.Alarm {
	return []awscloudwatch.Alarm{a.UpdateFailed, a.Drift, a.EndpointFailed, a.OutOfService, a.DeadLetters, a.FunctionErrors, a.EventDeliveryFailed, a.DeadLetterDeliveryFailed}
}

type sagemakerEndpoint struct {
	constructs.Construct
	endpoint   awssagemaker.CfnEndpoint
	configA    awssagemaker.CfnEndpointConfig
	configB    awssagemaker.CfnEndpointConfig
	models     []awssagemaker.CfnModel
	function   awslambda.Function
	plan       *plan
	table      awsdynamodb.Table
	queue      awssqs.Queue
	stateQueue awssqs.Queue
	dlq        awssqs.Queue
	alarms     *Alarms
}

func (s *sagemakerEndpoint) Endpoint() awssagemaker.CfnEndpoint      { return s.endpoint }
func (s *sagemakerEndpoint) ConfigA() awssagemaker.CfnEndpointConfig { return s.configA }
func (s *sagemakerEndpoint) ConfigB() awssagemaker.CfnEndpointConfig { return s.configB }
func (s *sagemakerEndpoint) Models() []awssagemaker.CfnModel         { return s.models }
func (s *sagemakerEndpoint) Function() awslambda.IFunction           { return s.function }
func (s *sagemakerEndpoint) EndpointName() *string                   { return jsii.String(s.plan.endpointName) }
func (s *sagemakerEndpoint) ConfigAName() *string                    { return jsii.String(s.plan.configA) }
func (s *sagemakerEndpoint) ConfigBName() *string                    { return jsii.String(s.plan.configB) }
func (s *sagemakerEndpoint) StateTable() awsdynamodb.ITable          { return s.table }
func (s *sagemakerEndpoint) Queue() awssqs.IQueue                    { return s.queue }
func (s *sagemakerEndpoint) StateQueue() awssqs.IQueue               { return s.stateQueue }
func (s *sagemakerEndpoint) DeadLetterQueue() awssqs.IQueue          { return s.dlq }
func (s *sagemakerEndpoint) Alarms() *Alarms                         { return s.alarms }

// NewSagemakerEndpoint creates the models, endpoint configs A and B, the endpoint and the
// refresher that keeps it on the newest artifacts. Invalid props panic with a one-line message
// before anything is created.
func NewSagemakerEndpoint(scope constructs.Construct, id *string, props *SagemakerEndpointProps) SagemakerEndpoint {
	this := constructs.NewConstruct(scope, id)
	pl := newPlan(scope, this, props)
	s := &sagemakerEndpoint{Construct: this, plan: pl}
	s.sagemaker(props)
	s.state(props)
	s.tagEndpoint()
	s.refresher(props)
	s.events(props)
	s.encryption(props)
	s.permissions(props)
	s.alarmsFor()
	s.suppressions(props)
	return s
}

// sagemaker creates the models, both configs and the endpoint.
func (s *sagemakerEndpoint) sagemaker(p *SagemakerEndpointProps) {
	pl := s.plan
	for _, m := range pl.models {
		props := m.props
		props.ModelName = jsii.String(m.name)
		s.models = append(s.models, awssagemaker.NewCfnModel(s.Construct, jsii.String(m.key), &props))
	}
	newConfig := func(id, name string) awssagemaker.CfnEndpointConfig {
		props := pl.config
		props.EndpointConfigName = jsii.String(name)
		c := awssagemaker.NewCfnEndpointConfig(s.Construct, jsii.String(id), &props)
		for _, m := range s.models {
			c.AddDependency(m)
		}
		return c
	}
	s.configA = newConfig("ConfigA", pl.configA)
	s.configB = newConfig("ConfigB", pl.configB)
	var ep awssagemaker.CfnEndpointProps
	if p.EndpointProps != nil {
		ep = *p.EndpointProps
	}
	ep.EndpointName = jsii.String(pl.endpointName)
	ep.EndpointConfigName = s.configA.AttrEndpointConfigName()
	ep.RetainAllVariantProperties = jsii.Bool(pl.retainAll)
	if pl.deployment != nil {
		ep.DeploymentConfig = pl.deployment
	}
	s.endpoint = awssagemaker.NewCfnEndpoint(s.Construct, jsii.String("Endpoint"), &ep)
	// Config B is not referenced by the endpoint, but the refresher needs it to exist.
	s.endpoint.AddDependency(s.configB)
}

// state creates the dead-letter queue, both queues and the state table.
func (s *sagemakerEndpoint) state(p *SagemakerEndpointProps) {
	enc := awssqs.QueueEncryption_SQS_MANAGED
	if p.EncryptionKey != nil {
		enc = awssqs.QueueEncryption_KMS
	}
	queue := func(id string, props awssqs.QueueProps) awssqs.Queue {
		if props.Encryption == "" {
			props.Encryption = enc
			props.EncryptionMasterKey = p.EncryptionKey
		}
		props.EnforceSSL = jsii.Bool(true)
		return awssqs.NewQueue(s.Construct, jsii.String(id), &props)
	}
	// The dead-letter queue is always SSE-SQS: EventBridge writes the events it cannot deliver
	// there, and it could not with a customer key whose policy does not let it (an imported
	// key's policy is beyond the construct's reach), so those events would be lost unseen.
	s.dlq = queue("DeadLetterQueue", awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
	})
	dlq := &awssqs.DeadLetterQueue{Queue: s.dlq, MaxReceiveCount: jsii.Number(5)}
	// Visibility: six times the function timeout, as Lambda recommends for SQS event sources.
	visibility := awscdk.Duration_Seconds(jsii.Number(6 * functionTimeoutSeconds))
	delay := min(s.plan.quiet, MaxDeliveryDelay)
	s.queue = queue("ChangeQueue", awssqs.QueueProps{
		DeliveryDelay:     awscdk.Duration_Seconds(jsii.Number(delay.Seconds())),
		VisibilityTimeout: visibility,
		DeadLetterQueue:   dlq,
	})
	if s.plan.quiet > MaxDeliveryDelay {
		awscdk.Annotations_Of(s.Construct).AddInfo(jsii.String(fmt.Sprintf(
			"QuietPeriod %s is above SQS's %s delivery delay: the scheduled reconcile finishes the wait", s.plan.quiet, MaxDeliveryDelay)))
	}
	s.stateQueue = queue("StateQueue", awssqs.QueueProps{VisibilityTimeout: visibility, DeadLetterQueue: dlq})

	tp := &awsdynamodb.TableProps{
		PartitionKey:                     &awsdynamodb.Attribute{Name: jsii.String(refresher.TableKey), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:                      awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: jsii.Bool(true)},
		Encryption:                       awsdynamodb.TableEncryption_AWS_MANAGED,
		// The state follows the endpoint: both go when the stack goes.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	}
	if p.EncryptionKey != nil {
		tp.Encryption = awsdynamodb.TableEncryption_CUSTOMER_MANAGED
		tp.EncryptionKey = p.EncryptionKey
	}
	s.table = awsdynamodb.NewTable(s.Construct, jsii.String("StateTable"), tp)
}

// tagPriority outranks the CDK's Tags aspect (priority 100), so a Tags.Of(...).Add higher up
// cannot change the endpoint's smcd: tags.
const tagPriority = 1000

// tagEndpoint makes the endpoint self-describing: its state table and A/B configs, which
// `smcd refresh --endpoint NAME` and `smcd status --endpoint NAME` read (refresher.TagStateTable,
// TagConfigA, TagConfigB). They come after the user's tags, which newPlan checked for the
// reserved prefix.
func (s *sagemakerEndpoint) tagEndpoint() {
	tags := s.endpoint.Tags()
	for _, t := range []struct{ key, value *string }{
		{jsii.String(refresher.TagStateTable), s.table.TableName()},
		{jsii.String(refresher.TagConfigA), jsii.String(s.plan.configA)},
		{jsii.String(refresher.TagConfigB), jsii.String(s.plan.configB)},
	} {
		tags.SetTag(t.key, t.value, jsii.Number(tagPriority), jsii.Bool(true))
	}
}

const functionTimeoutSeconds = 60

// refresher creates the Lambda, its role and its log group.
func (s *sagemakerEndpoint) refresher(p *SagemakerEndpointProps) {
	pl := s.plan
	stack := awscdk.Stack_Of(s.Construct)
	tags := []string{"lambda.norpc"}
	tracing := awslambda.Tracing_DISABLED
	if p.Tracing != nil && *p.Tracing {
		// The X-Ray SDK triples the binary, so only a traced refresher carries it (cmd/refresher
		// records its AWS SDK calls as subsegments when built with the tag).
		tags = append(tags, XRayBuildTag)
		tracing = awslambda.Tracing_ACTIVE
	}
	dir, err := gobuild.Build(gobuild.Spec{Package: RefresherPackage, Arch: "arm64", Tags: tags})
	if err != nil {
		panic(fmt.Sprintf("endpoint: build the refresher Lambda: %v", err))
	}
	retention := p.LogRetention
	if retention == "" {
		retention = awslogs.RetentionDays_ONE_MONTH
	}
	logs := awslogs.NewLogGroup(s.Construct, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     retention,
		EncryptionKey: p.EncryptionKey,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	if p.EncryptionKey != nil {
		// CloudWatch Logs encrypts with the key only when the key policy lets it.
		p.EncryptionKey.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logs."+*stack.Region()+".amazonaws.com"), nil)},
			Actions:    jsii.Strings("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]any{"ArnLike": map[string]any{
				"kms:EncryptionContext:aws:logs:arn": fmt.Sprintf("arn:%s:logs:%s:%s:log-group:*", *stack.Partition(), *stack.Region(), *stack.Account()),
			}},
		}), jsii.Bool(true))
	}
	role := awsiam.NewRole(s.Construct, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Refresher of SageMaker endpoint " + pl.endpointName),
	})
	env := map[string]*string{
		refresher.EnvEndpointName:               jsii.String(pl.endpointName),
		refresher.EnvConfigA:                    jsii.String(pl.configA),
		refresher.EnvConfigB:                    jsii.String(pl.configB),
		refresher.EnvTableName:                  s.table.TableName(),
		refresher.EnvQuietPeriod:                jsii.String(pl.quiet.String()),
		refresher.EnvWatch:                      s.watchJSON(p),
		refresher.EnvRetainAllVariantProperties: jsii.String(strconv.FormatBool(pl.retainAll)),
		refresher.EnvMetricsNamespace:           jsii.String(refresher.DefaultMetricsNamespace),
	}
	if pl.marker != "" {
		env[refresher.EnvMarkerKey] = jsii.String(pl.marker)
	}
	if pl.deployment != nil {
		env[refresher.EnvDeploymentConfig] = deploymentJSON(stack, pl.deployment)
	}
	s.function = awslambda.NewFunction(s.Construct, jsii.String("Refresher"), &awslambda.FunctionProps{
		Description:  jsii.String("Keeps SageMaker endpoint " + pl.endpointName + " on its newest model artifacts"),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(dir), nil),
		MemorySize:   jsii.Number(128),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(functionTimeoutSeconds)),
		Role:         role,
		LogGroup:     logs,
		Environment:  &env,
		Tracing:      tracing,
	})
	logs.GrantWrite(role)
}

// watchJSON is the EnvWatch value: the bucket and the key filters, for the refresher to ignore
// anything else, encoded from the refresher's own type. The bucket name may be a token: it is
// a plain string inside the JSON (bucket names have no characters JSON escapes), which the CDK
// resolves at synth.
func (s *sagemakerEndpoint) watchJSON(p *SagemakerEndpointProps) *string {
	body, err := json.Marshal(refresher.Watch{Bucket: *p.ModelsBucket.BucketName(), Filters: s.plan.filters})
	if err != nil {
		fail("%s: %v", refresher.EnvWatch, err)
	}
	return jsii.String(string(body))
}

// deploymentJSON renders a DeploymentConfig in the SageMaker API's shape (the CloudFormation
// property names are the API's member names).
func deploymentJSON(stack awscdk.Stack, d *awssagemaker.CfnEndpoint_DeploymentConfigProperty) *string {
	body, err := json.Marshal(d)
	if err != nil {
		fail("DeploymentConfig: %v", err)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		fail("DeploymentConfig: %v", err)
	}
	return stack.ToJsonString(apiShape(v), nil)
}

// apiShape capitalizes keys (jsii's camelCase to the API's PascalCase) and drops nulls.
func apiShape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			if val == nil {
				continue
			}
			out[strings.ToUpper(k[:1])+k[1:]] = apiShape(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = apiShape(val)
		}
		return out
	}
	return v
}
