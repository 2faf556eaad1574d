package endpoint

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// ImportedKeyWarning is the id of the synth warning an imported EncryptionKey raises: the
// construct cannot check or extend its key policy. Acknowledge it once the policy is right:
// awscdk.Annotations_Of(scope).AcknowledgeWarning(jsii.String(endpoint.ImportedKeyWarning), ...).
const ImportedKeyWarning = "@sagemaker-cd/endpoint:importedKeyPolicy"

// eventsKeyActions are what EventBridge needs of the key of an SSE-KMS queue it sends to (SQS
// developer guide, "Configure KMS permissions for AWS services").
var eventsKeyActions = []string{"kms:GenerateDataKey", "kms:Decrypt"}

// encryption lets EventBridge use the customer key of the change and state queues. Without it
// every delivery fails (the events go to the SSE-SQS dead-letter queue, and the
// EventDeliveryFailed alarm fires). A key created in the stack gets the statement in its
// policy; an imported key's policy is beyond the construct's reach, so synth warns with what
// it needs.
func (s *sagemakerEndpoint) encryption(p *SagemakerEndpointProps) {
	key := p.EncryptionKey
	if key == nil {
		return
	}
	stack := awscdk.Stack_Of(s.Construct)
	if *awscdk.Resource_IsOwnedResource(key) {
		// The conditions name this account's rules, not the construct's own: a rule ARN in the
		// key policy would close a cycle (key -> rule -> queue -> key).
		key.AddToResourcePolicy(eventsKeyStatement(stack), jsii.Bool(false))
		return
	}
	account, region := *stack.Account(), *stack.Region()
	if *awscdk.Token_IsUnresolved(stack.Account()) {
		account = "<the stack's account>"
	}
	if *awscdk.Token_IsUnresolved(stack.Region()) {
		region = "<region>"
	}
	awscdk.Annotations_Of(s.Construct).AddWarningV2(jsii.String(ImportedKeyWarning), jsii.String(fmt.Sprintf(
		"EncryptionKey is imported, so its key policy cannot be checked: it must allow events.amazonaws.com "+
			"kms:GenerateDataKey and kms:Decrypt (condition aws:SourceAccount %s), or EventBridge delivers no event "+
			"to the refresher's queues, and logs.%s.amazonaws.com kms:Encrypt*, kms:Decrypt*, kms:ReEncrypt*, "+
			"kms:GenerateDataKey*, kms:Describe* for the log group (see the endpoint package README, \"Encryption\")",
		account, region)))
}

// eventsKeyStatement is the key policy statement that lets EventBridge rules of the stack's
// account and region send to queues encrypted with the key.
func eventsKeyStatement(stack awscdk.Stack) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(eventsPrincipal), nil)},
		Actions:    jsii.Strings(eventsKeyActions...),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
			"ArnLike": map[string]any{"aws:SourceArn": stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("events"), Resource: jsii.String("rule"), ResourceName: jsii.String("*"),
			})},
		},
	})
}
