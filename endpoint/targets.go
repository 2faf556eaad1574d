package endpoint

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawsevents"
	"github.com/aws/jsii-runtime-go"
)

// eventsPrincipal is EventBridge's service principal.
const eventsPrincipal = "events.amazonaws.com"

// ruleQueueTarget sends a rule's events to a queue, and those EventBridge cannot deliver to the
// dead-letter queue. It replaces awseventstargets.SqsQueue, which drops the aws:SourceArn
// condition from the queue policy when the queue has a KMS key (to avoid a dependency cycle
// through the key policy, aws-cdk issue 11158) and then grants EventBridge the key without
// any condition. Here the queue policy always names the rule, and the key policy is written
// once per key (see encryption), without rule ARNs, so no cycle arises.
type ruleQueueTarget struct {
	queue, dlq awssqs.IQueue
}

// Bind implements awsevents.IRuleTarget.
func (t *ruleQueueTarget) Bind(rule interfacesawsevents.IRuleRef, _ *string) *awsevents.RuleTargetConfig {
	fromRule := &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": rule.RuleRef().RuleArn}}
	t.queue.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(eventsPrincipal), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  &[]*string{t.queue.QueueArn()},
		Conditions: fromRule,
	}))
	// As awseventstargets does for its dead-letter queues (one statement per rule).
	t.dlq.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowEventRule" + *awscdk.Names_NodeUniqueId(rule.Node())),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(eventsPrincipal), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  &[]*string{t.dlq.QueueArn()},
		Conditions: fromRule,
	}))
	return &awsevents.RuleTargetConfig{
		Arn:              t.queue.QueueArn(),
		DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: t.dlq.QueueArn()},
		TargetResource:   t.queue,
	}
}
