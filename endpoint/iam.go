package endpoint

import (
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// permissions grants the refresher exactly what cmd/refresher calls: DescribeEndpoint and
// UpdateEndpoint (refresher.SageMakerAPI), GetItem and PutItem (refresher.DynamoDBAPI), and
// what SageMaker checks on the caller during UpdateEndpoint. SQS consumption (and kms:Decrypt
// of a queue key) is granted by the SQS event sources, log writing by the log group.
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
	// UpdateEndpoint is authorized on the endpoint config it moves to as well.
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("SwapEndpointConfigs"),
		Actions:   jsii.Strings("sagemaker:UpdateEndpoint"),
		Resources: &[]*string{arn("endpoint-config", s.plan.configA), arn("endpoint-config", s.plan.configB)},
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("RefreshState"),
		Actions:   jsii.Strings("dynamodb:GetItem", "dynamodb:PutItem"),
		Resources: &[]*string{s.table.TableArn()},
	}))
	if alarms := s.plan.rollback; len(alarms) > 0 {
		// SageMaker reads the auto-rollback alarms with the caller's permissions when it
		// starts a deployment that names them.
		resources := make([]*string, len(alarms))
		for i, name := range alarms {
			resources[i] = stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"), ResourceName: name,
				ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
			})
		}
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ReadRollbackAlarms"),
			Actions:   jsii.Strings("cloudwatch:DescribeAlarms"),
			Resources: &resources,
		}))
	}
	if key := s.plan.configKey; key != nil {
		// An endpoint config with KmsKeyId: SageMaker checks the key and creates a grant for
		// the new fleet's storage volumes, as the caller of UpdateEndpoint.
		describe := map[string]any{}
		grant := map[string]any{"Bool": map[string]any{"kms:GrantIsForAWSResource": "true"}}
		for k, v := range key.conditions {
			describe[k], grant[k] = v, v
		}
		var describeConditions *map[string]any
		if len(describe) > 0 {
			describeConditions = &describe
		}
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("DescribeEndpointConfigKey"),
			Actions:    jsii.Strings("kms:DescribeKey"),
			Resources:  &[]*string{key.resource},
			Conditions: describeConditions,
		}))
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("GrantEndpointConfigKeyToSageMaker"),
			Actions:    jsii.Strings("kms:CreateGrant"),
			Resources:  &[]*string{key.resource},
			Conditions: &grant,
		}))
	}
	if p.EncryptionKey != nil {
		// DynamoDB uses the table's customer key on behalf of the caller.
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("StateTableKey"),
			Actions:   jsii.Strings("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"),
			Resources: &[]*string{p.EncryptionKey.KeyArn()},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"kms:ViaService": "dynamodb." + *stack.Region() + "." + *stack.UrlSuffix(),
			}},
		}))
	}
}

// keyIDRE matches a KMS key ID: a UUID, or mrk- and 32 hex digits for a multi-Region key.
var keyIDRE = regexp.MustCompile(`^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)

// aliasRE matches a KMS alias name.
var aliasRE = regexp.MustCompile(`^alias/[a-zA-Z0-9/_-]+$`)

// keyGrant is where the refresher's kms:DescribeKey and kms:CreateGrant apply: a key ARN, or,
// for an alias, the keys of the account and region that carry it (an IAM policy cannot name a
// key through its alias; kms:ResourceAliases selects the key).
type keyGrant struct {
	resource   *string
	conditions map[string]any // nil, or the kms:ResourceAliases condition of an alias
}

// configKeyGrant says where the grants for the endpoint configs' KmsKeyId apply: a key ARN as
// given, a key ID in the stack's account and region, an alias name or ARN through
// kms:ResourceAliases, a token as given (it must resolve to a key ARN, as awskms.IKey.KeyArn
// does). Nil without a KmsKeyId; anything else fails.
func configKeyGrant(stack awscdk.Stack, id *string) *keyGrant {
	if id == nil || *id == "" {
		return nil
	}
	if *awscdk.Token_IsUnresolved(id) {
		return &keyGrant{resource: id}
	}
	v := *id
	const expected = "expected a KMS key ARN, key ID, alias name (alias/...) or alias ARN"
	keysWithAlias := func(alias string, region, account *string) *keyGrant {
		return &keyGrant{
			resource: stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("kms"), Resource: jsii.String("key"), ResourceName: jsii.String("*"),
				Region: region, Account: account,
			}),
			conditions: map[string]any{"ForAnyValue:StringEquals": map[string]any{"kms:ResourceAliases": alias}},
		}
	}
	if a, err := arn.Parse(v); err == nil {
		switch {
		case a.Service == "kms" && strings.HasPrefix(a.Resource, "key/"):
			return &keyGrant{resource: id}
		case a.Service == "kms" && aliasRE.MatchString(a.Resource):
			return keysWithAlias(a.Resource, jsii.String(a.Region), jsii.String(a.AccountID))
		}
		fail("EndpointConfigProps.KmsKeyId %q: %s", v, expected)
	}
	switch {
	case keyIDRE.MatchString(v):
		return &keyGrant{resource: stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("kms"), Resource: jsii.String("key"), ResourceName: id})}
	case aliasRE.MatchString(v):
		return keysWithAlias(v, nil, nil)
	}
	fail("EndpointConfigProps.KmsKeyId %q: %s", v, expected)
	return nil
}

// rollbackAlarms are the alarm names of the deployment config's AutoRollbackConfiguration.
func rollbackAlarms(d *awssagemaker.CfnEndpoint_DeploymentConfigProperty) []*string {
	if d == nil || d.AutoRollbackConfiguration == nil {
		return nil
	}
	var list any
	switch v := d.AutoRollbackConfiguration.(type) {
	case *awssagemaker.CfnEndpoint_AutoRollbackConfigProperty:
		list = v.Alarms
	case awssagemaker.CfnEndpoint_AutoRollbackConfigProperty:
		list = v.Alarms
	default:
		fail("DeploymentConfig.AutoRollbackConfiguration: expected *CfnEndpoint_AutoRollbackConfigProperty (the refresher's role must name the alarms), got %T", v)
	}
	var alarms []any
	switch v := list.(type) {
	case []*awssagemaker.CfnEndpoint_AlarmProperty:
		for _, a := range v {
			alarms = append(alarms, a)
		}
	case []any:
		alarms = v
	case nil:
	default:
		fail("DeploymentConfig.AutoRollbackConfiguration.Alarms: expected []*CfnEndpoint_AlarmProperty, got %T", v)
	}
	var names []*string
	for i, a := range alarms {
		var name *string
		switch v := a.(type) {
		case *awssagemaker.CfnEndpoint_AlarmProperty:
			if v != nil {
				name = v.AlarmName
			}
		case awssagemaker.CfnEndpoint_AlarmProperty:
			name = v.AlarmName
		}
		if name == nil || *name == "" {
			fail("DeploymentConfig.AutoRollbackConfiguration.Alarms[%d]: expected a CfnEndpoint_AlarmProperty with an AlarmName, got %T", i, a)
		}
		names = append(names, name)
	}
	return names
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
	if k := s.plan.configKey; k != nil && k.conditions != nil {
		cdknag.NagSuppressions_AddResourceSuppressions(s.function.Role(), &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("The endpoint config names its KMS key by alias: an IAM policy cannot name a key through an alias, " +
				"so kms:DescribeKey and kms:CreateGrant apply to the account's keys in the region that carry that alias " +
				"(condition kms:ResourceAliases), CreateGrant only for AWS resources (kms:GrantIsForAWSResource)"),
			AppliesTo: &[]any{&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::arn:<AWS::Partition>:kms:[^:]*:[^:]*:key\/\*$/`)}},
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
