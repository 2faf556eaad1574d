package endpoint

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

// EventBridge sources and detail types the refresher handles.
const (
	sourceS3             = "aws.s3"
	sourceSageMaker      = "aws.sagemaker"
	detailEndpointChange = "SageMaker Endpoint State Change"
)

// events wires S3 and SageMaker events and the schedule to the refresher.
func (s *sagemakerEndpoint) events(p *SagemakerEndpointProps) {
	if *awscdk.Resource_IsOwnedResource(p.ModelsBucket) {
		// Idempotent: any number of constructs may share the bucket. Only an
		// EventBridgeConfiguration is added, never a queue or Lambda notification.
		p.ModelsBucket.EnableEventBridgeNotification()
	}
	for _, r := range s.plan.rules {
		detail := map[string]any{"bucket": map[string]any{"name": []any{p.ModelsBucket.BucketName()}}}
		if keys := keyMatchers(s.plan.filters); keys != nil {
			detail["object"] = map[string]any{"key": keys}
		}
		if r.narrow != nil {
			field := "reason"
			if r.detailType == detailObjectDeleted {
				field = "deletion-type"
			}
			detail[field] = r.narrow
		}
		id := "ObjectCreatedRule"
		if r.detailType == detailObjectDeleted {
			id = "ObjectDeletedRule"
		}
		awsevents.NewRule(s.Construct, jsii.String(id), &awsevents.RuleProps{
			Description: jsii.String("Model artifact changes for SageMaker endpoint " + s.plan.endpointName),
			EventPattern: &awsevents.EventPattern{
				Source:     jsii.Strings(sourceS3),
				DetailType: jsii.Strings(r.detailType),
				Detail:     &detail,
			},
			Targets: s.changeTargets(),
		})
	}
	awsevents.NewRule(s.Construct, jsii.String("EndpointStateRule"), &awsevents.RuleProps{
		Description: jsii.String("State changes of SageMaker endpoint " + s.plan.endpointName),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(sourceSageMaker),
			DetailType: jsii.Strings(detailEndpointChange),
			Detail:     &map[string]any{"EndpointName": []any{s.plan.endpointName}},
		},
		Targets: &[]awsevents.IRuleTarget{s.queueTarget(s.stateQueue)},
	})
	schedule := p.ReconcileSchedule
	if schedule == nil {
		schedule = awsevents.Schedule_Rate(awscdk.Duration_Seconds(jsii.Number(DefaultReconcileInterval.Seconds())))
	}
	awsevents.NewRule(s.Construct, jsii.String("ReconcileSchedule"), &awsevents.RuleProps{
		Description: jsii.String("Periodic reconcile of SageMaker endpoint " + s.plan.endpointName),
		Schedule:    schedule,
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(s.function, &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: s.dlq,
			RetryAttempts:   jsii.Number(2),
			MaxEventAge:     awscdk.Duration_Minutes(jsii.Number(10)),
		})},
	})
	for _, q := range []awssqs.IQueue{s.queue, s.stateQueue} {
		s.function.AddEventSource(awslambdaeventsources.NewSqsEventSource(q, &awslambdaeventsources.SqsEventSourceProps{
			BatchSize:               jsii.Number(10),
			ReportBatchItemFailures: jsii.Bool(true),
			MaxConcurrency:          jsii.Number(2),
		}))
	}
}

// changeTargets are the targets of the S3 rules. Without a quiet period, the change queue (no
// delay) alone. With one, every change goes to two queues: the state queue, undelayed, so the
// refresher records the change as soon as it happens (its reconcile then waits, the newest change
// being recent), and the change queue, delayed by the quiet period, whose copy arrives when the
// quiet period after that change has passed and triggers the reconcile that starts the update
// (recording it again is a no-op: changes are deduplicated by S3 sequencer). A multi-file upload
// is thus one update that starts a quiet period after its last file: its first file's delayed
// copy finds the later files recorded and waits for them.
func (s *sagemakerEndpoint) changeTargets() *[]awsevents.IRuleTarget {
	targets := []awsevents.IRuleTarget{s.queueTarget(s.queue)}
	if s.plan.quiet > 0 {
		targets = append(targets, s.queueTarget(s.stateQueue))
	}
	return &targets
}

// queueTarget sends matching events to q; events EventBridge cannot deliver go to the DLQ.
func (s *sagemakerEndpoint) queueTarget(q awssqs.IQueue) awsevents.IRuleTarget {
	return awseventstargets.NewSqsQueue(q, &awseventstargets.SqsQueueProps{DeadLetterQueue: s.dlq})
}

// keyMatchers turns key filters into EventBridge content filters on detail.object.key (any of
// them matches); nil when a filter matches every key.
func keyMatchers(filters []keyFilter) []any {
	if len(filters) == 0 {
		return nil
	}
	var out []any
	for _, f := range filters {
		switch {
		case f.Prefix != "" && f.Suffix != "":
			out = append(out, map[string]any{"wildcard": wildcardEscape(f.Prefix) + "*" + wildcardEscape(f.Suffix)})
		case f.Prefix != "":
			out = append(out, map[string]any{"prefix": f.Prefix})
		case f.Suffix != "":
			out = append(out, map[string]any{"suffix": f.Suffix})
		default:
			return nil
		}
	}
	return out
}

// wildcardEscape escapes the characters EventBridge wildcard patterns treat specially.
func wildcardEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`).Replace(s)
}

// permissions grants the refresher exactly what it calls.
func (s *sagemakerEndpoint) permissions(p *SagemakerEndpointProps) {
	stack := awscdk.Stack_Of(s.Construct)
	arn := func(resource, name string) *string {
		// SageMaker ARNs carry names in lower case.
		return stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("sagemaker"), Resource: jsii.String(resource), ResourceName: jsii.String(strings.ToLower(name))})
	}
	role := s.function.Role()
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ObserveAndUpdateEndpoint"),
		Actions:   jsii.Strings("sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpoint"),
		Resources: &[]*string{arn("endpoint", s.plan.endpointName)},
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("SwapEndpointConfigs"),
		Actions:   jsii.Strings("sagemaker:DescribeEndpointConfig", "sagemaker:UpdateEndpoint"),
		Resources: &[]*string{arn("endpoint-config", s.plan.configA), arn("endpoint-config", s.plan.configB)},
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("RefreshState"),
		Actions:   jsii.Strings("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
		Resources: &[]*string{s.table.TableArn()},
	}))
	if p.EncryptionKey != nil {
		p.EncryptionKey.Grant(role, jsii.String("kms:Decrypt"), jsii.String("kms:Encrypt"), jsii.String("kms:GenerateDataKey"), jsii.String("kms:DescribeKey"))
	}
}

// alarmsFor creates the alarms.
func (s *sagemakerEndpoint) alarmsFor() {
	name := s.plan.endpointName
	period := awscdk.Duration_Minutes(jsii.Number(5))
	emf := func(metric string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String(refresher.DefaultMetricsNamespace),
			MetricName:    jsii.String(metric),
			DimensionsMap: &map[string]*string{"EndpointName": jsii.String(name)},
			Statistic:     jsii.String("Sum"),
			Period:        period,
		})
	}
	alarm := func(id, description string, m awscloudwatch.IMetric) awscloudwatch.Alarm {
		return awscloudwatch.NewAlarm(s.Construct, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(description),
			Metric:             m,
			Threshold:          jsii.Number(0),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	}
	s.alarms = &Alarms{
		UpdateFailed: alarm("UpdateFailedAlarm", "A refresh of SageMaker endpoint "+name+" failed (rolled back or Failed); the next artifact change tries again", emf("UpdateFailed")),
		Drift:        alarm("DriftAlarm", "SageMaker endpoint "+name+" is on an endpoint config that is neither A nor B; the refresher will not touch it", emf("Drift")),
		DeadLetters: alarm("DeadLetterAlarm", "Events for SageMaker endpoint "+name+" could not be handled; see the dead-letter queue",
			s.dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: period})),
		FunctionErrors: alarm("FunctionErrorsAlarm", "The refresher of SageMaker endpoint "+name+" failed",
			s.function.MetricErrors(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: period})),
	}
}

// suppressions records, with reasons, the cdk-nag findings the construct accepts.
func (s *sagemakerEndpoint) suppressions(p *SagemakerEndpointProps) {
	if p.Tracing != nil && *p.Tracing {
		cdknag.NagSuppressions_AddResourceSuppressions(s.function.Role(), &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("Active tracing: X-Ray's xray:PutTraceSegments and xray:PutTelemetryRecords " +
				"support no resource-level permissions, so the CDK grants them on \"*\""),
			AppliesTo: &[]any{"Resource::*"},
		}}, jsii.Bool(true))
	}
	if !*awscdk.Resource_IsOwnedResource(p.ModelsBucket) {
		return
	}
	// EnableEventBridgeNotification puts the CDK's bucket notifications handler (one per stack)
	// at the root of the bucket's stack; its role is the CDK's, not ours to shape.
	handler := awscdk.Stack_Of(p.ModelsBucket).Node().TryFindChild(jsii.String(bucketNotificationsHandlerID))
	if handler == nil {
		return
	}
	cdknag.NagSuppressions_AddResourceSuppressions(handler, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM4"),
		Reason: jsii.String("The CDK's S3 bucket notifications handler (Custom::S3BucketNotifications, turning on " +
			"EventBridge notifications of the models bucket) logs through AWSLambdaBasicExecutionRole, which only " +
			"allows creating and writing its own CloudWatch log streams"),
		AppliesTo: &[]any{"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
	}}, jsii.Bool(true))
}

// bucketNotificationsHandlerID is the construct id the CDK gives its bucket notifications
// handler singleton (aws-s3/lib/notifications-resource/notifications-resource-handler.ts).
const bucketNotificationsHandlerID = "BucketNotificationsHandler050a0587b7544547bf325f094a3db834"
