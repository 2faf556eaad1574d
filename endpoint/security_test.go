package endpoint

import (
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/jsii-runtime-go"
)

// roleStatements captures the statements of the refresher role's policy of endpoint id.
func roleStatements(t *testing.T, st *synthesized, id string) []map[string]any {
	t.Helper()
	c := assertions.NewCapture(nil)
	has(t, st.tmpl, jsii.String("AWS::IAM::Policy"), props(
		"PolicyDocument", map[string]any{"Statement": c},
		"Roles", []any{map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^" + id + "Role"))}},
	))
	var out []map[string]any
	for _, s := range *c.AsArray() {
		out = append(out, s.(map[string]any))
	}
	return out
}

// partitionARN is how a stack.FormatArn ARN resolves in the test stacks (eu-west-1,
// 111222333444): arn:<partition>:<service>:eu-west-1:111222333444:<rest>.
func partitionARN(service, rest string) map[string]any {
	return map[string]any{"Fn::Join": []any{"", []any{"arn:", map[string]any{"Ref": "AWS::Partition"},
		fmt.Sprintf(":%s:eu-west-1:111222333444:%s", service, rest)}}}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// The refresher's role holds exactly the statements the runtime needs, each scoped to ARNs:
// the grants SageMaker checks during UpdateEndpoint appear only when the deployment config
// names rollback alarms or the endpoint config has a KmsKeyId.
func TestRefresherStatementsAreExact(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		st := defaultStack()
		ep := st.eps[0]
		got := map[string]string{}
		var actions []string
		for _, s := range roleStatements(t, st, "Basic") {
			if sid, ok := s["Sid"].(string); ok {
				got[sid] = jsonOf(s)
			}
			switch a := s["Action"].(type) {
			case string:
				actions = append(actions, a)
			case []any:
				for _, x := range a {
					actions = append(actions, x.(string))
				}
			}
		}
		want := map[string]any{
			"ObserveAndUpdateEndpoint": map[string]any{"Sid": "ObserveAndUpdateEndpoint", "Effect": "Allow",
				"Action":   []any{"sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpoint"},
				"Resource": partitionARN("sagemaker", "endpoint/"+strings.ToLower(*ep.EndpointName()))},
			"SwapEndpointConfigs": map[string]any{"Sid": "SwapEndpointConfigs", "Effect": "Allow",
				"Action": "sagemaker:UpdateEndpoint",
				"Resource": []any{partitionARN("sagemaker", "endpoint-config/"+strings.ToLower(*ep.ConfigAName())),
					partitionARN("sagemaker", "endpoint-config/"+strings.ToLower(*ep.ConfigBName()))}},
		}
		for sid, w := range want {
			if got[sid] != jsonOf(w) {
				t.Errorf("statement %s = %s, expected %s", sid, got[sid], jsonOf(w))
			}
		}
		sort.Strings(actions)
		wantActions := []string{"dynamodb:GetItem", "dynamodb:PutItem", "logs:CreateLogStream", "logs:PutLogEvents",
			"sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpoint", "sagemaker:UpdateEndpoint",
			"sqs:ChangeMessageVisibility", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:DeleteMessage",
			"sqs:GetQueueAttributes", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:GetQueueUrl",
			"sqs:ReceiveMessage", "sqs:ReceiveMessage"}
		if !slices.Equal(actions, wantActions) {
			t.Errorf("refresher actions = %v, expected exactly %v (no alarm or KMS grants without a need)", actions, wantActions)
		}
	})
	t.Run("full: rollback alarm, endpoint config key, customer key", func(t *testing.T) {
		st := fullStack()
		got := map[string]string{}
		for _, s := range roleStatements(t, st, "Full") {
			if sid, ok := s["Sid"].(string); ok {
				got[sid] = jsonOf(s)
			}
		}
		keyARN := partitionARN("kms", "key/"+volumeKeyID)
		want := map[string]any{
			"ReadRollbackAlarms": map[string]any{"Sid": "ReadRollbackAlarms", "Effect": "Allow",
				"Action": "cloudwatch:DescribeAlarms", "Resource": partitionARN("cloudwatch", "alarm:shop-5xx")},
			"DescribeEndpointConfigKey": map[string]any{"Sid": "DescribeEndpointConfigKey", "Effect": "Allow",
				"Action": "kms:DescribeKey", "Resource": keyARN},
			"GrantEndpointConfigKeyToSageMaker": map[string]any{"Sid": "GrantEndpointConfigKeyToSageMaker", "Effect": "Allow",
				"Action": "kms:CreateGrant", "Resource": keyARN,
				"Condition": map[string]any{"Bool": map[string]any{"kms:GrantIsForAWSResource": "true"}}},
			"RefreshState": map[string]any{"Sid": "RefreshState", "Effect": "Allow",
				"Action":   []any{"dynamodb:GetItem", "dynamodb:PutItem"},
				"Resource": map[string]any{"Fn::GetAtt": []any{logicalID(t, st, "AWS::DynamoDB::Table", "FullStateTable"), "Arn"}}},
			"StateTableKey": map[string]any{"Sid": "StateTableKey", "Effect": "Allow",
				"Action": []any{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"},
				"Condition": map[string]any{"StringEquals": map[string]any{"kms:ViaService": map[string]any{"Fn::Join": []any{"",
					[]any{"dynamodb.eu-west-1.", map[string]any{"Ref": "AWS::URLSuffix"}}}}}},
				"Resource": map[string]any{"Fn::GetAtt": []any{logicalID(t, st, "AWS::KMS::Key", "Key"), "Arn"}}},
		}
		for sid, w := range want {
			if got[sid] != jsonOf(w) {
				t.Errorf("statement %s =\n %s\nexpected\n %s", sid, got[sid], jsonOf(w))
			}
		}
	})
}

// An endpoint config key named by alias: the grants select the key by kms:ResourceAliases
// (cdk-nag's IAM5 on key/* is suppressed with that reason; TestStacksPassLintAndNag).
func TestAliasedConfigKey(t *testing.T) {
	got := map[string]string{}
	for _, s := range roleStatements(t, prefixStack(), "Prefix") {
		if sid, ok := s["Sid"].(string); ok {
			got[sid] = jsonOf(s)
		}
	}
	alias := map[string]any{"ForAnyValue:StringEquals": map[string]any{"kms:ResourceAliases": "alias/endpoint-volumes"}}
	want := map[string]any{
		"DescribeEndpointConfigKey": map[string]any{"Sid": "DescribeEndpointConfigKey", "Effect": "Allow",
			"Action": "kms:DescribeKey", "Resource": partitionARN("kms", "key/*"), "Condition": alias},
		"GrantEndpointConfigKeyToSageMaker": map[string]any{"Sid": "GrantEndpointConfigKeyToSageMaker", "Effect": "Allow",
			"Action": "kms:CreateGrant", "Resource": partitionARN("kms", "key/*"),
			"Condition": map[string]any{"Bool": map[string]any{"kms:GrantIsForAWSResource": "true"},
				"ForAnyValue:StringEquals": map[string]any{"kms:ResourceAliases": "alias/endpoint-volumes"}}},
	}
	for sid, w := range want {
		if got[sid] != jsonOf(w) {
			t.Errorf("statement %s =\n %s\nexpected\n %s", sid, got[sid], jsonOf(w))
		}
	}
}

// logicalID is the logical ID of the only resource of typ whose ID starts with prefix.
func logicalID(t *testing.T, st *synthesized, typ, prefix string) string {
	t.Helper()
	var ids []string
	for id := range st.ofType(typ) {
		if strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("%s %s*: found %v, expected one", typ, prefix, ids)
	}
	return ids[0]
}

// A key created in the stack lets EventBridge use it for the queues, only for rules of the
// stack's account and region; with an imported key synth warns what its policy needs.
func TestKeyPolicyForEventBridge(t *testing.T) {
	st := fullStack()
	key := st.one(t, "AWS::KMS::Key", "Key")
	var found int
	for _, raw := range key.Properties["KeyPolicy"].(map[string]any)["Statement"].([]any) {
		s := raw.(map[string]any)
		if jsonOf(s["Principal"]) != `{"Service":"events.amazonaws.com"}` {
			continue
		}
		found++
		want := map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"Service": "events.amazonaws.com"},
			"Action": []any{"kms:GenerateDataKey", "kms:Decrypt"}, "Resource": "*",
			"Condition": map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": "111222333444"},
				"ArnLike":      map[string]any{"aws:SourceArn": partitionARN("events", "rule/*")},
			},
		}
		if jsonOf(s) != jsonOf(want) {
			t.Errorf("key policy statement for EventBridge =\n %s\nexpected\n %s", jsonOf(s), jsonOf(want))
		}
	}
	if found != 1 {
		t.Errorf("key policy has %d statements for events.amazonaws.com, expected exactly 1 (with conditions)", found)
	}

	shared := sharedBucketStack()
	ann := assertions.Annotations_FromStack(shared.stack)
	msg := assertions.Match_StringLikeRegexp(jsii.String("EncryptionKey is imported.*events.amazonaws.com.*kms:GenerateDataKey.*kms:Decrypt.*aws:SourceAccount 111222333444"))
	if n := len(*ann.FindWarning(jsii.String("/Test/Two"), msg)); n != 1 {
		t.Errorf("endpoint Two (imported key): %d warnings about the key policy, expected 1", n)
	}
	if n := len(*ann.FindWarning(jsii.String("/Test/One"), msg)); n != 0 {
		t.Errorf("endpoint One (no key): %d warnings about a key policy, expected none", n)
	}
}

// EndpointFailed and the EventBridge delivery alarms watch the refresher's metric and every
// rule of the construct.
func TestDeliveryAndEndpointAlarms(t *testing.T) {
	for name, st := range map[string]*synthesized{"default": defaultStack(), "full": fullStack()} {
		t.Run(name, func(t *testing.T) {
			id := *st.eps[0].Node().Id()
			var rules []string
			for logical := range st.ofType("AWS::Events::Rule") {
				if strings.HasPrefix(logical, id) {
					rules = append(rules, logical)
				}
			}
			sort.Strings(rules)
			for _, metric := range []string{metricFailedInvocations, metricFailedToDLQ} {
				var alarms []resource
				for _, a := range st.ofType("AWS::CloudWatch::Alarm") {
					if strings.Contains(jsonOf(a.Properties["Metrics"]), `"MetricName":"`+metric+`"`) {
						alarms = append(alarms, a)
					}
				}
				if len(alarms) != 1 {
					t.Fatalf("%d alarms on %s, expected 1", len(alarms), metric)
				}
				a := alarms[0].Properties
				if a["Threshold"] != float64(0) || a["ComparisonOperator"] != "GreaterThanThreshold" || a["TreatMissingData"] != "notBreaching" {
					t.Errorf("%s alarm = %v, expected > 0, missing data not breaching", metric, a)
				}
				var terms, watched []string
				for _, raw := range a["Metrics"].([]any) {
					m := raw.(map[string]any)
					if e, ok := m["Expression"].(string); ok {
						if m["ReturnData"] != nil && m["ReturnData"] != true {
							t.Errorf("%s: the expression does not return data", metric)
						}
						terms = append(terms, e)
						continue
					}
					stat := m["MetricStat"].(map[string]any)
					metricDef := stat["Metric"].(map[string]any)
					dims := metricDef["Dimensions"].([]any)
					if metricDef["Namespace"] != "AWS/Events" || metricDef["MetricName"] != metric || stat["Stat"] != "Sum" || len(dims) != 1 {
						t.Errorf("%s: metric %v, expected AWS/Events %s Sum by RuleName", metric, m, metric)
						continue
					}
					d := dims[0].(map[string]any)
					if d["Name"] != "RuleName" {
						t.Errorf("%s: dimension %v, expected RuleName", metric, d)
					}
					watched = append(watched, d["Value"].(map[string]any)["Ref"].(string))
				}
				sort.Strings(watched)
				if !slices.Equal(watched, rules) {
					t.Errorf("%s alarm watches rules %v, expected the construct's rules %v", metric, watched, rules)
				}
				wantExpr := "SUM(["
				for i := range rules {
					if i > 0 {
						wantExpr += ", "
					}
					wantExpr += fmt.Sprintf("FILL(m%d, 0)", i)
				}
				wantExpr += "])"
				if !slices.Contains(terms, wantExpr) {
					t.Errorf("%s alarm expressions %v, expected %s", metric, terms, wantExpr)
				}
			}
		})
	}
}

// Rollback alarm names and endpoint config keys become the ARNs the refresher's policy names;
// what cannot be scoped fails synth with the value and what was expected.
func TestGrantInputs(t *testing.T) {
	stack := testScope()
	resolve := func(v any) string { return jsonOf(stack.Resolve(v)) }
	keyARN := "arn:aws:kms:eu-west-1:999888777666:key/" + volumeKeyID
	aliasCondition := func(alias string) string {
		return jsonOf(map[string]any{"ForAnyValue:StringEquals": map[string]any{"kms:ResourceAliases": alias}})
	}
	for _, c := range []struct {
		in, resource, conditions, panics string
	}{
		{in: keyARN, resource: jsonOf(keyARN), conditions: "null"},
		{in: volumeKeyID, resource: jsonOf(partitionARN("kms", "key/"+volumeKeyID)), conditions: "null"},
		{in: "mrk-1234abcd12ab34cd56ef1234567890ab", resource: jsonOf(partitionARN("kms", "key/mrk-1234abcd12ab34cd56ef1234567890ab")), conditions: "null"},
		{in: "alias/volumes", resource: jsonOf(partitionARN("kms", "key/*")), conditions: aliasCondition("alias/volumes")},
		{in: "arn:aws:kms:us-east-1:999888777666:alias/volumes", conditions: aliasCondition("alias/volumes"),
			resource: jsonOf(map[string]any{"Fn::Join": []any{"", []any{"arn:", map[string]any{"Ref": "AWS::Partition"}, ":kms:us-east-1:999888777666:key/*"}}})},
		{in: "arn:aws:s3:::volumes", panics: `KmsKeyId "arn:aws:s3:::volumes": expected a KMS key ARN, key ID, alias name (alias/...) or alias ARN`},
		{in: "not-a-key", panics: `KmsKeyId "not-a-key": expected a KMS key ARN, key ID, alias name (alias/...) or alias ARN`},
	} {
		var got *keyGrant
		msg := panicOf(func() { got = configKeyGrant(stack, jsii.String(c.in)) })
		if c.panics != "" {
			if !strings.Contains(msg, c.panics) {
				t.Errorf("configKeyGrant(%q) panics %q, expected %q", c.in, msg, c.panics)
			}
			continue
		}
		if msg != "" || resolve(got.resource) != c.resource || jsonOf(got.conditions) != c.conditions {
			t.Errorf("configKeyGrant(%q) panics %q, resource %s conditions %s; expected %s %s", c.in, msg, resolve(got.resource), jsonOf(got.conditions), c.resource, c.conditions)
		}
	}
	if got := configKeyGrant(stack, nil); got != nil {
		t.Errorf("configKeyGrant(nil) = %+v, expected nil", got)
	}
	token := awscdk.Fn_ImportValue(jsii.String("VolumeKeyArn"))
	if got := configKeyGrant(stack, token); got == nil || got.resource != token || got.conditions != nil {
		t.Errorf("configKeyGrant(token) = %+v, expected the token as given", got)
	}

	deployment := func(alarms ...string) *awssagemaker.CfnEndpoint_DeploymentConfigProperty {
		var list []*awssagemaker.CfnEndpoint_AlarmProperty
		for _, a := range alarms {
			list = append(list, &awssagemaker.CfnEndpoint_AlarmProperty{AlarmName: jsii.String(a)})
		}
		return &awssagemaker.CfnEndpoint_DeploymentConfigProperty{AutoRollbackConfiguration: &awssagemaker.CfnEndpoint_AutoRollbackConfigProperty{Alarms: list}}
	}
	if got := rollbackAlarms(deployment("a", "b")); len(got) != 2 || *got[0] != "a" || *got[1] != "b" {
		t.Errorf("rollbackAlarms = %v, expected [a b]", got)
	}
	if got := rollbackAlarms(&awssagemaker.CfnEndpoint_DeploymentConfigProperty{}); got != nil {
		t.Errorf("rollbackAlarms(no rollback config) = %v, expected none", got)
	}
	if msg := panicOf(func() { rollbackAlarms(deployment("")) }); !strings.Contains(msg, "Alarms[0]: expected a CfnEndpoint_AlarmProperty with an AlarmName") {
		t.Errorf("rollbackAlarms(empty name) panics %q", msg)
	}
}

// With Tracing on, the refresher is built with the X-Ray SDK (its AWS SDK calls become
// subsegments, internal/xraytrace); without it, the binary stays free of it.
func TestTracedRefresherCarriesXRay(t *testing.T) {
	for _, c := range []struct {
		name    string
		st      func() *synthesized
		tracing bool
	}{{"default: no tracing", defaultStack, false}, {"full: tracing", fullStack, true}} {
		t.Run(c.name, func(t *testing.T) {
			st := c.st()
			fn := st.one(t, "AWS::Lambda::Function", *st.eps[0].Node().Id()+"Refresher")
			key, _ := fn.Properties["Code"].(map[string]any)["S3Key"].(string)
			bin := filepath.Join(*awscdk.Stage_Of(st.stack).Outdir(), "asset."+strings.TrimSuffix(key, ".zip"), "bootstrap")
			info, err := buildinfo.ReadFile(bin)
			if err != nil {
				t.Fatalf("refresher asset %s: %v", bin, err)
			}
			var tags string
			for _, s := range info.Settings {
				if s.Key == "-tags" {
					tags = s.Value
				}
			}
			xraySDK := slices.ContainsFunc(info.Deps, func(d *debug.Module) bool { return d.Path == "github.com/aws/aws-xray-sdk-go" })
			if hasTag := slices.Contains(strings.Split(tags, ","), XRayBuildTag); hasTag != c.tracing || xraySDK != c.tracing {
				t.Errorf("refresher built with tags %q, X-Ray SDK linked %v; expected tag %s and the SDK: %v", tags, xraySDK, XRayBuildTag, c.tracing)
			}
		})
	}
}
