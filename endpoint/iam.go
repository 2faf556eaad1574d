package endpoint

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

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
