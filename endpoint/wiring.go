package endpoint

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-cd/sagemaker-cd/events"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
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
			if r.detailType == events.DetailTypeObjectDeleted {
				field = "deletion-type"
			}
			detail[field] = r.narrow
		}
		id := "ObjectCreatedRule"
		if r.detailType == events.DetailTypeObjectDeleted {
			id = "ObjectDeletedRule"
		}
		awsevents.NewRule(s.Construct, jsii.String(id), &awsevents.RuleProps{
			Description: jsii.String("Model artifact changes for SageMaker endpoint " + s.plan.endpointName),
			EventPattern: &awsevents.EventPattern{
				Source:     jsii.Strings(events.SourceS3),
				DetailType: jsii.Strings(r.detailType),
				Detail:     &detail,
			},
			Targets: s.changeTargets(),
		})
	}
	awsevents.NewRule(s.Construct, jsii.String("EndpointStateRule"), &awsevents.RuleProps{
		Description: jsii.String("State changes of SageMaker endpoint " + s.plan.endpointName),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(events.SourceSageMaker),
			DetailType: jsii.Strings(events.DetailTypeEndpointStateChange),
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
	return &ruleQueueTarget{queue: q, dlq: s.dlq}
}

// keyMatchers turns key filters into EventBridge content filters on detail.object.key (any of
// them matches); nil when a filter matches every key. Whether EventBridge delivers the key as
// is or form-encoded is not documented, so each filter is listed in every spelling
// events.FormEncodeKey gives (the refresher accepts the same spellings).
func keyMatchers(filters []refresher.Filter) []any {
	if len(filters) == 0 {
		return nil
	}
	var out []any
	seen := map[string]bool{}
	add := func(op, value string) {
		if !seen[op+"\x00"+value] {
			seen[op+"\x00"+value] = true
			out = append(out, map[string]any{op: value})
		}
	}
	spellings := func(s string) []string {
		return []string{s, events.FormEncodeKey(s, false), events.FormEncodeKey(s, true)}
	}
	for _, f := range filters {
		if f.Prefix == "" && f.Suffix == "" {
			return nil
		}
		prefixes, suffixes := spellings(f.Prefix), spellings(f.Suffix)
		for i := range prefixes {
			switch {
			case f.Prefix != "" && f.Suffix != "":
				add("wildcard", wildcardEscape(prefixes[i])+"*"+wildcardEscape(suffixes[i]))
			case f.Prefix != "":
				add("prefix", prefixes[i])
			default:
				add("suffix", suffixes[i])
			}
		}
	}
	return out
}

// wildcardEscape escapes the characters EventBridge wildcard patterns treat specially.
func wildcardEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `*`, `\*`).Replace(s)
}
