package endpoint

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-cd/sagemaker-cd/internal/cdktest"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

// Every stack passes cfn-lint and cdk-nag's AwsSolutions pack without unsuppressed findings.
func TestStacksPassLintAndNag(t *testing.T) {
	for name, s := range map[string]func() *synthesized{"default": defaultStack, "full": fullStack, "shared bucket": sharedBucketStack, "prefix": prefixStack} {
		t.Run(name, func(t *testing.T) {
			st := s()
			cdktest.NoNagFindings(t, st.stack)
			cdktest.Lint(t, st.tmpl)
		})
	}
}

func props(m ...any) *map[string]any {
	out := map[string]any{}
	for i := 0; i < len(m); i += 2 {
		out[m[i].(string)] = m[i+1]
	}
	return &out
}

func TestSageMakerResources(t *testing.T) {
	st := defaultStack()
	ep := st.eps[0]
	count(t, st.tmpl, jsii.String("AWS::SageMaker::Model"), jsii.Number(1))
	count(t, st.tmpl, jsii.String("AWS::SageMaker::EndpointConfig"), jsii.Number(2))
	count(t, st.tmpl, jsii.String("AWS::SageMaker::Endpoint"), jsii.Number(1))

	modelName := *ep.Models()[0].ModelName()
	for _, name := range []string{*ep.ConfigAName(), *ep.ConfigBName()} {
		has(t, st.tmpl, jsii.String("AWS::SageMaker::EndpointConfig"), props(
			"EndpointConfigName", name,
			"ProductionVariants", []any{map[string]any{
				"ModelName": modelName, "VariantName": "AllTraffic", "InstanceType": "ml.m5.large",
			}},
		))
	}
	if !regexp.MustCompile(`^test-basic-[0-9a-f]{8}-Model0-[0-9a-f]{8}$`).MatchString(modelName) {
		t.Errorf("model name %q: expected <endpoint>-model0-<hash8>", modelName)
	}
	// The endpoint starts on config A, by reference, so CloudFormation updates it when A's
	// content-derived name changes.
	epr := st.one(t, "AWS::SageMaker::Endpoint", "Basic")
	if got, _ := json.Marshal(epr.Properties["EndpointConfigName"]); !strings.Contains(string(got), "Fn::GetAtt") {
		t.Errorf("endpoint's EndpointConfigName = %s, expected a GetAtt of config A", got)
	}
	if epr.Properties["EndpointName"] != *ep.EndpointName() || epr.Properties["RetainAllVariantProperties"] != true {
		t.Errorf("endpoint properties = %v, expected name %s and RetainAllVariantProperties true (the default)", epr.Properties, *ep.EndpointName())
	}
	if _, ok := epr.Properties["DeploymentConfig"]; ok {
		t.Errorf("endpoint has a DeploymentConfig none was given: %v", epr.Properties["DeploymentConfig"])
	}
}

func TestConfigNamesAreContentDerived(t *testing.T) {
	for _, st := range []*synthesized{defaultStack(), fullStack()} {
		ep := st.eps[0]
		a, b := *ep.ConfigAName(), *ep.ConfigBName()
		base := strings.TrimSuffix(a, a[len(a)-11:])
		if !regexp.MustCompile(`^.+-a-[0-9a-f]{8}$`).MatchString(a) || b != base+"-b-"+a[len(a)-8:] || len(a) > MaxNameLength {
			t.Errorf("config names %q and %q: expected <base>-a-<hash8> and <base>-b-<hash8> (same hash) within %d characters", a, b, MaxNameLength)
		}
	}
	if a := *fullStack().eps[0].ConfigAName(); !strings.HasPrefix(a, "shop-config-a-") {
		t.Errorf("config A %q: expected the base shop-config from EndpointConfigProps.EndpointConfigName", a)
	}
}

func TestRefresherFunction(t *testing.T) {
	st := defaultStack()
	ep := st.eps[0]
	has(t, st.tmpl, jsii.String("AWS::Lambda::Function"), props(
		"Runtime", "provided.al2023",
		"Architectures", []any{"arm64"},
		"Handler", "bootstrap",
		"MemorySize", 128,
		"Timeout", 60,
		"ReservedConcurrentExecutions", assertions.Match_Absent(),
		"Environment", map[string]any{"Variables": map[string]any{
			refresher.EnvEndpointName:               *ep.EndpointName(),
			refresher.EnvConfigA:                    *ep.ConfigAName(),
			refresher.EnvConfigB:                    *ep.ConfigBName(),
			refresher.EnvQuietPeriod:                "0s",
			refresher.EnvRetainAllVariantProperties: "true",
			refresher.EnvMetricsNamespace:           "SagemakerCD",
			refresher.EnvTableName:                  assertions.Match_ObjectLike(&map[string]any{"Ref": assertions.Match_AnyValue()}),
			refresher.EnvWatch:                      assertions.Match_AnyValue(),
			refresher.EnvDeploymentConfig:           assertions.Match_Absent(),
			refresher.EnvMarkerKey:                  assertions.Match_Absent(),
		}},
		"TracingConfig", assertions.Match_Absent(),
	))
	has(t, st.tmpl, jsii.String("AWS::Logs::LogGroup"), props("RetentionInDays", 30))
	// Both queues feed the function with partial batch failures and bounded concurrency.
	count(t, st.tmpl, jsii.String("AWS::Lambda::EventSourceMapping"), jsii.Number(2))
	all(t, st.tmpl, jsii.String("AWS::Lambda::EventSourceMapping"), props(
		"FunctionResponseTypes", []any{"ReportBatchItemFailures"},
		"ScalingConfig", map[string]any{"MaximumConcurrency": 2},
	))
}

// The whole environment the construct sets is accepted by the refresher's own loader.
func TestEnvironmentLoadsInRefresher(t *testing.T) {
	st := fullStack()
	ep := st.eps[0]
	fn := st.one(t, "AWS::Lambda::Function", "FullRefresher")
	vars := fn.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
	cfg, err := refresher.LoadConfig(func(k string) string {
		switch v := vars[k].(type) {
		case string:
			return v
		case nil:
			return ""
		}
		return "resolved-at-deploy" // the table name is a Ref
	})
	if err != nil {
		t.Fatalf("refresher rejects the construct's environment: %v", err)
	}
	if cfg.Endpoint != "shop-endpoint" || cfg.ConfigA != *ep.ConfigAName() || cfg.ConfigB != *ep.ConfigBName() {
		t.Errorf("config = %+v, expected endpoint shop-endpoint and configs %s/%s", cfg, *ep.ConfigAName(), *ep.ConfigBName())
	}
	if cfg.QuietPeriod.String() != "20m0s" || cfg.MarkerKey != "llm/_SUCCESS" || cfg.RetainAllVariantProperties {
		t.Errorf("config = %+v, expected quiet 20m, marker llm/_SUCCESS, RetainAllVariantProperties false", cfg)
	}
	wantWatch := refresher.Watch{Bucket: "my-models", Filters: []refresher.Filter{{Prefix: "ranker/", Suffix: ".tar.gz"}, {Prefix: "llm/"}}}
	if fmt.Sprint(cfg.Watch) != fmt.Sprint(wantWatch) {
		t.Errorf("watch = %+v, expected %+v", cfg.Watch, wantWatch)
	}
	d := cfg.DeploymentConfig
	if d == nil || d.BlueGreenUpdatePolicy == nil || d.BlueGreenUpdatePolicy.TrafficRoutingConfiguration == nil {
		t.Fatalf("deployment config = %+v, expected a blue/green policy", d)
	}
	tr := d.BlueGreenUpdatePolicy.TrafficRoutingConfiguration
	if string(tr.Type) != "CANARY" || string(tr.CanarySize.Type) != "CAPACITY_PERCENT" || *tr.CanarySize.Value != 10 ||
		*tr.WaitIntervalInSeconds != 300 || *d.BlueGreenUpdatePolicy.TerminationWaitInSeconds != 120 {
		t.Errorf("traffic routing = %+v, expected CANARY 10%% every 300s, termination wait 120s", tr)
	}
	if len(d.AutoRollbackConfiguration.Alarms) != 1 || *d.AutoRollbackConfiguration.Alarms[0].AlarmName != "shop-5xx" {
		t.Errorf("auto rollback = %+v, expected alarm shop-5xx", d.AutoRollbackConfiguration)
	}
	// The watch filters are those of the default stack's model too.
	dv := defaultStack().one(t, "AWS::Lambda::Function", "BasicRefresher").Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
	if got, _ := json.Marshal(dv[refresher.EnvWatch]); !strings.Contains(string(got), `\"filters\":[{\"prefix\":\"models/model.tar.gz\"}]`) {
		t.Errorf("default watch = %s, expected the model's key as the only filter", got)
	}
}

func TestDeploymentSettingsPassThrough(t *testing.T) {
	st := fullStack()
	has(t, st.tmpl, jsii.String("AWS::SageMaker::Endpoint"), props(
		"EndpointName", "shop-endpoint",
		"RetainAllVariantProperties", false,
		"Tags", assertions.Match_ArrayWith(&[]any{map[string]any{"Key": "team", "Value": "search"}}),
		"DeploymentConfig", map[string]any{
			"BlueGreenUpdatePolicy": map[string]any{
				"TrafficRoutingConfiguration": map[string]any{
					"Type": "CANARY", "CanarySize": map[string]any{"Type": "CAPACITY_PERCENT", "Value": 10}, "WaitIntervalInSeconds": 300,
				},
				"TerminationWaitInSeconds": 120,
			},
			"AutoRollbackConfiguration": map[string]any{"Alarms": []any{map[string]any{"AlarmName": "shop-5xx"}}},
		},
	))
	has(t, st.tmpl, jsii.String("AWS::Lambda::Function"), props("TracingConfig", map[string]any{"Mode": "Active"}))
	has(t, st.tmpl, jsii.String("AWS::Logs::LogGroup"), props("RetentionInDays", 7, "KmsKeyId", assertions.Match_AnyValue()))
}

func TestQueues(t *testing.T) {
	for _, c := range []struct {
		name  string
		st    func() *synthesized
		delay int
		kms   bool
	}{
		{"default: single object, no delay", defaultStack, 0, false},
		{"full: 20m quiet period, capped at SQS's 15m", fullStack, 900, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := c.st()
			encryption := map[string]any{"SqsManagedSseEnabled": true}
			if c.kms {
				encryption = map[string]any{"KmsMasterKeyId": assertions.Match_AnyValue()}
			}
			count(t, st.tmpl, jsii.String("AWS::SQS::Queue"), jsii.Number(3))
			has(t, st.tmpl, jsii.String("AWS::SQS::Queue"), props(
				"DelaySeconds", c.delay,
				"RedrivePolicy", map[string]any{"maxReceiveCount": 5, "deadLetterTargetArn": assertions.Match_AnyValue()},
			))
			// The dead-letter queue is SSE-SQS whatever the key, so EventBridge can always park
			// what it cannot deliver; the change and state queues use the customer key.
			id := *st.eps[0].Node().Id()
			for logical, q := range st.ofType("AWS::SQS::Queue") {
				want := encryption
				if strings.HasPrefix(logical, id+"DeadLetterQueue") {
					want = map[string]any{"SqsManagedSseEnabled": true, "KmsMasterKeyId": nil}
				}
				for k, v := range want {
					if got := q.Properties[k]; (v == nil) != (got == nil) || (v == true && got != true) {
						t.Errorf("queue %s: %s = %v, expected %v", logical, k, got, v)
					}
				}
			}
			// State changes are not delayed.
			state := st.one(t, "AWS::SQS::Queue", *st.eps[0].Node().Id()+"StateQueue")
			if d, ok := state.Properties["DelaySeconds"]; ok && d != float64(0) {
				t.Errorf("state queue DelaySeconds = %v, expected none", d)
			}
			// Every queue refuses plain HTTP.
			policies := st.ofType("AWS::SQS::QueuePolicy")
			if len(policies) != 3 {
				t.Errorf("found %d queue policies, expected 3 (SSL enforced on each queue)", len(policies))
			}
			for id, p := range policies {
				if body, _ := json.Marshal(p.Properties); !strings.Contains(string(body), `"aws:SecureTransport":"false"`) {
					t.Errorf("queue policy %s does not deny insecure transport: %s", id, body)
				}
			}
		})
	}
}

func TestStateTable(t *testing.T) {
	for _, c := range []struct {
		name string
		st   func() *synthesized
		sse  map[string]any
	}{
		{"AWS managed key", defaultStack, map[string]any{"SSEEnabled": true, "KMSMasterKeyId": assertions.Match_Absent()}},
		{"customer key", fullStack, map[string]any{"SSEEnabled": true, "SSEType": "KMS", "KMSMasterKeyId": assertions.Match_AnyValue()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			has(t, c.st().tmpl, jsii.String("AWS::DynamoDB::Table"), props(
				"KeySchema", []any{map[string]any{"AttributeName": "endpoint", "KeyType": "HASH"}},
				"AttributeDefinitions", []any{map[string]any{"AttributeName": "endpoint", "AttributeType": "S"}},
				"BillingMode", "PAY_PER_REQUEST",
				"PointInTimeRecoverySpecification", map[string]any{"PointInTimeRecoveryEnabled": true},
				"SSESpecification", c.sse,
			))
		})
	}
}

// The endpoint names its state table (by Ref) and its A/B configs in smcd: tags, beside the
// user's own tags; stack-wide tags cannot override them.
func TestEndpointTags(t *testing.T) {
	for _, c := range []struct {
		name string
		st   func() *synthesized
		user map[string]any
	}{
		{"default", defaultStack, map[string]any{}},
		{"full: user tags kept", fullStack, map[string]any{"team": "search"}},
		{"shared bucket: stack tags kept, smcd: ones not overridden", sharedBucketStack, map[string]any{"cost-center": "ml"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := c.st()
			for _, ep := range st.eps {
				tableRef := st.stack.Resolve(ep.StateTable().TableName())
				if ref, ok := tableRef.(map[string]any); !ok || ref["Ref"] == nil {
					t.Fatalf("state table name resolves to %v, expected a Ref", tableRef)
				}
				wantTags := map[string]any{
					refresher.TagStateTable: tableRef,
					refresher.TagConfigA:    *ep.ConfigAName(),
					refresher.TagConfigB:    *ep.ConfigBName(),
				}
				for k, v := range c.user {
					wantTags[k] = v
				}
				got := map[string]any{}
				for _, raw := range st.one(t, "AWS::SageMaker::Endpoint", *ep.Node().Id()).Properties["Tags"].([]any) {
					tag := raw.(map[string]any)
					got[tag["Key"].(string)] = tag["Value"]
				}
				gotJSON, _ := json.Marshal(got)
				wantJSON, _ := json.Marshal(wantTags)
				if string(gotJSON) != string(wantJSON) {
					t.Errorf("endpoint %s tags = %s, expected %s", *ep.EndpointName(), gotJSON, wantJSON)
				}
				// The tag names the table the refresher uses.
				fn := st.one(t, "AWS::Lambda::Function", *ep.Node().Id()+"Refresher")
				env, _ := json.Marshal(fn.Properties["Environment"].(map[string]any)["Variables"].(map[string]any)[refresher.EnvTableName])
				if ref, _ := json.Marshal(tableRef); string(env) != string(ref) {
					t.Errorf("refresher's %s = %s, expected the tagged table %s", refresher.EnvTableName, env, ref)
				}
			}
		})
	}
}

// statements returns the refresher role's policy statements.
func statements(t *testing.T, st *synthesized) []map[string]any {
	t.Helper()
	var out []map[string]any
	for id, p := range st.ofType("AWS::IAM::Policy") {
		if !strings.HasPrefix(id, *st.eps[0].Node().Id()+"Role") {
			continue
		}
		for _, s := range p.Properties["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			out = append(out, s.(map[string]any))
		}
	}
	if len(out) == 0 {
		t.Fatal("no policy statements found for the refresher role")
	}
	return out
}

func TestIAMIsScoped(t *testing.T) {
	st := defaultStack()
	ep := st.eps[0]
	arn := func(kind, name string) string {
		b, _ := json.Marshal(map[string]any{"Fn::Join": []any{"", []any{"arn:", map[string]any{"Ref": "AWS::Partition"},
			fmt.Sprintf(":sagemaker:eu-west-1:111222333444:%s/%s", kind, strings.ToLower(name))}}})
		return string(b)
	}
	want := map[string]string{
		"sagemaker:DescribeEndpoint": "[" + arn("endpoint", *ep.EndpointName()) + "]",
		"sagemaker:UpdateEndpoint":   "[" + arn("endpoint", *ep.EndpointName()) + "," + arn("endpoint-config", *ep.ConfigAName()) + "," + arn("endpoint-config", *ep.ConfigBName()) + "]",
		"dynamodb:GetItem":           `[{"Fn::GetAtt":["BasicStateTable`,
	}
	got := map[string][]string{}
	for _, s := range statements(t, st) {
		actions, _ := s["Action"].([]any)
		if a, ok := s["Action"].(string); ok {
			actions = []any{a}
		}
		res := s["Resource"]
		if _, ok := res.([]any); !ok {
			res = []any{res}
		}
		body, _ := json.Marshal(res)
		if strings.Contains(string(body), `"*"`) || strings.Contains(string(body), "arn:aws:") {
			t.Errorf("statement %v: expected resources scoped to ARNs with the stack's partition", s)
		}
		for _, a := range actions {
			if strings.Contains(a.(string), "*") {
				t.Errorf("action %s: expected no wildcard actions", a)
			}
			got[a.(string)] = append(got[a.(string)], string(body))
		}
	}
	for action, res := range want {
		joined := strings.Join(got[action], "")
		if action == "dynamodb:GetItem" {
			if !strings.HasPrefix(joined, res) {
				t.Errorf("%s on %s, expected the state table only", action, joined)
			}
			continue
		}
		// Resources may be split over statements; compare the set.
		var have []string
		for _, r := range got[action] {
			var list []any
			json.Unmarshal([]byte(r), &list)
			for _, x := range list {
				b, _ := json.Marshal(x)
				have = append(have, string(b))
			}
		}
		var exp []any
		json.Unmarshal([]byte(res), &exp)
		var wantList []string
		for _, x := range exp {
			b, _ := json.Marshal(x)
			wantList = append(wantList, string(b))
		}
		slices.Sort(have)
		slices.Sort(wantList)
		if !slices.Equal(have, wantList) {
			t.Errorf("%s on\n %v\nexpected\n %v", action, have, wantList)
		}
	}
	// Nothing the runtime never calls (cmd/refresher: DescribeEndpoint, UpdateEndpoint, GetItem,
	// PutItem).
	for _, a := range []string{"dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:UpdateItem", "sagemaker:CreateEndpoint", "sagemaker:DeleteEndpoint", "sagemaker:DescribeEndpointConfig"} {
		if got[a] != nil {
			t.Errorf("refresher may %s; it never needs to", a)
		}
	}
	// The role has no managed policies.
	for id, r := range st.ofType("AWS::IAM::Role") {
		if strings.HasPrefix(id, "BasicRole") && r.Properties["ManagedPolicyArns"] != nil {
			t.Errorf("refresher role has managed policies %v", r.Properties["ManagedPolicyArns"])
		}
	}
	// With tracing on, "*" appears only for X-Ray, which has no resource-level permissions.
	for _, s := range statements(t, fullStack()) {
		if s["Resource"] != "*" {
			continue
		}
		for _, a := range s["Action"].([]any) {
			if !strings.HasPrefix(a.(string), "xray:") {
				t.Errorf("full stack grants %s on \"*\"; only X-Ray actions may be", a)
			}
		}
	}
}

func TestEventRules(t *testing.T) {
	t.Run("default: object created under the model's key, in the owned bucket", func(t *testing.T) {
		st := defaultStack()
		has(t, st.tmpl, jsii.String("AWS::Events::Rule"), props("EventPattern", map[string]any{
			"source":      []any{"aws.s3"},
			"detail-type": []any{"Object Created"},
			"detail": map[string]any{
				"bucket": map[string]any{"name": []any{map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Models"))}}},
				"object": map[string]any{"key": []any{map[string]any{"prefix": "models/model.tar.gz"}, map[string]any{"prefix": "models%2Fmodel.tar.gz"}}},
			},
		}))
		has(t, st.tmpl, jsii.String("AWS::Events::Rule"), props("EventPattern", map[string]any{
			"source":      []any{"aws.sagemaker"},
			"detail-type": []any{"SageMaker Endpoint State Change"},
			"detail":      map[string]any{"EndpointName": []any{*st.eps[0].EndpointName()}},
		}))
		has(t, st.tmpl, jsii.String("AWS::Events::Rule"), props("ScheduleExpression", "rate(5 minutes)"))
		count(t, st.tmpl, jsii.String("AWS::Events::Rule"), jsii.Number(3))
		has(t, st.tmpl, jsii.String("Custom::S3BucketNotifications"), props(
			"NotificationConfiguration", map[string]any{"EventBridgeConfiguration": map[string]any{}}))
	})
	t.Run("full: kinds narrowed by reason, prefix+suffix as wildcard, imported bucket untouched", func(t *testing.T) {
		st := fullStack()
		has(t, st.tmpl, jsii.String("AWS::Events::Rule"), props("EventPattern", map[string]any{
			"source":      []any{"aws.s3"},
			"detail-type": []any{"Object Created"},
			"detail": map[string]any{
				"bucket": map[string]any{"name": []any{"my-models"}},
				"object": map[string]any{"key": []any{map[string]any{"wildcard": "ranker/*.tar.gz"}, map[string]any{"wildcard": "ranker%2F*.tar.gz"},
					map[string]any{"prefix": "llm/"}, map[string]any{"prefix": "llm%2F"}}},
				"reason": []any{"PutObject", "CompleteMultipartUpload"},
			},
		}))
		has(t, st.tmpl, jsii.String("AWS::Events::Rule"), props("EventPattern", map[string]any{
			"source":      []any{"aws.s3"},
			"detail-type": []any{"Object Deleted"},
			"detail": map[string]any{
				"bucket":        map[string]any{"name": []any{"my-models"}},
				"object":        assertions.Match_AnyValue(),
				"deletion-type": assertions.Match_Absent(),
			},
		}))
		count(t, st.tmpl, jsii.String("Custom::S3BucketNotifications"), jsii.Number(0))
	})
}

// With a quiet period every S3 rule feeds two queues: the state queue at once (the change is
// recorded when it happens) and the change queue delayed by the quiet period (its copy starts
// the update); without one, only the undelayed change queue.
func TestS3RuleTargets(t *testing.T) {
	for _, c := range []struct {
		name  string
		st    func() *synthesized
		rules int
		want  map[string]float64 // target queue (construct id) -> DelaySeconds
	}{
		{"default: single object, no quiet period, one target", defaultStack, 1, map[string]float64{"ChangeQueue": 0}},
		{"prefix: default 2m quiet period, two targets", prefixStack, 1, map[string]float64{"ChangeQueue": 120, "StateQueue": 0}},
		{"full: 20m quiet period (delay capped at 15m), created and deleted rules, KMS", fullStack, 2, map[string]float64{"ChangeQueue": 900, "StateQueue": 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := c.st()
			id := *st.eps[0].Node().Id()
			queues := map[string]string{} // logical ID -> construct id
			for logical := range st.ofType("AWS::SQS::Queue") {
				for _, q := range []string{"ChangeQueue", "StateQueue", "DeadLetterQueue"} {
					if strings.HasPrefix(logical, id+q) {
						queues[logical] = q
					}
				}
			}
			rules := 0
			for ruleID, r := range st.ofType("AWS::Events::Rule") {
				if src, _ := json.Marshal(r.Properties["EventPattern"]); !strings.Contains(string(src), `"source":["aws.s3"]`) {
					continue
				}
				rules++
				got := map[string]float64{}
				for _, tg := range r.Properties["Targets"].([]any) {
					arn := tg.(map[string]any)["Arn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
					q, ok := queues[arn]
					if !ok {
						t.Fatalf("rule %s targets %s, expected one of the construct's queues", ruleID, arn)
					}
					delay, _ := st.res[arn].Properties["DelaySeconds"].(float64)
					got[q] = delay
					if !allowsRule(st, q, ruleID) {
						t.Errorf("the %s's policy does not let rule %s send to it", q, ruleID)
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(c.want) {
					t.Errorf("rule %s targets (queue: DelaySeconds) %v, expected %v", ruleID, got, c.want)
				}
			}
			if rules != c.rules {
				t.Errorf("found %d S3 rules, expected %d", rules, c.rules)
			}
		})
	}
}

// allowsRule reports whether the queue policy of the construct's queue q lets EventBridge send
// messages from rule, and only from it (with or without a KMS key on the queue).
func allowsRule(st *synthesized, q, rule string) bool {
	for logical, p := range st.ofType("AWS::SQS::QueuePolicy") {
		if !strings.HasPrefix(logical, *st.eps[0].Node().Id()+q+"Policy") {
			continue
		}
		for _, raw := range p.Properties["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			s := raw.(map[string]any)
			principal, _ := json.Marshal(s["Principal"])
			actions, _ := json.Marshal(s["Action"])
			if s["Effect"] != "Allow" || string(principal) != `{"Service":"events.amazonaws.com"}` || !strings.Contains(string(actions), `"sqs:SendMessage"`) {
				continue
			}
			cond, _ := json.Marshal(s["Condition"])
			if string(cond) == fmt.Sprintf(`{"ArnEquals":{"aws:SourceArn":{"Fn::GetAtt":[%q,"Arn"]}}}`, rule) {
				return true
			}
		}
	}
	return false
}

func TestKeyMatchers(t *testing.T) {
	for _, c := range []struct {
		filters []refresher.Filter
		want    string
	}{
		{nil, "null"},
		// Every filter in each spelling EventBridge may deliver the key in: as is, form-encoded
		// with "/" kept, form-encoded with "/" encoded (duplicates once).
		{[]refresher.Filter{{Prefix: "a/"}}, `[{"prefix":"a/"},{"prefix":"a%2F"}]`},
		{[]refresher.Filter{{Suffix: ".tar.gz"}}, `[{"suffix":".tar.gz"}]`},
		{[]refresher.Filter{{Prefix: "a*b/", Suffix: `\x`}}, `[{"wildcard":"a\\*b/*\\\\x"},{"wildcard":"a%2Ab/*%5Cx"},{"wildcard":"a%2Ab%2F*%5Cx"}]`},
		{[]refresher.Filter{{Prefix: "v 1+2%=é/"}, {Suffix: "=.tar gz"}}, `[{"prefix":"v 1+2%=é/"},{"prefix":"v+1%2B2%25%3D%C3%A9/"},{"prefix":"v+1%2B2%25%3D%C3%A9%2F"},` +
			`{"suffix":"=.tar gz"},{"suffix":"%3D.tar+gz"}]`},
		{[]refresher.Filter{{Prefix: "a/"}, {}}, "null"}, // a filter matching every key makes the key filter moot
	} {
		got, _ := json.Marshal(keyMatchers(c.filters))
		if string(got) != c.want {
			t.Errorf("keyMatchers(%v) = %s, expected %s", c.filters, got, c.want)
		}
	}
}

func TestAlarms(t *testing.T) {
	st := defaultStack()
	ep := st.eps[0]
	count(t, st.tmpl, jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(8))
	if n := len(ep.Alarms().All()); n != 8 {
		t.Errorf("Alarms().All() has %d alarms, expected 8", n)
	}
	for _, metric := range []string{refresher.MetricUpdateFailed, refresher.MetricDrift, refresher.MetricEndpointFailed, refresher.MetricOutOfService} {
		has(t, st.tmpl, jsii.String("AWS::CloudWatch::Alarm"), props(
			"Namespace", "SagemakerCD", "MetricName", metric, "Statistic", "Sum",
			"Dimensions", []any{map[string]any{"Name": "EndpointName", "Value": *ep.EndpointName()}},
			"Threshold", 0, "ComparisonOperator", "GreaterThanThreshold", "TreatMissingData", "notBreaching",
		))
	}
	has(t, st.tmpl, jsii.String("AWS::CloudWatch::Alarm"), props(
		"Namespace", "AWS/SQS", "MetricName", "ApproximateNumberOfMessagesVisible", "Threshold", 0,
		"Dimensions", []any{map[string]any{"Name": "QueueName", "Value": map[string]any{"Fn::GetAtt": []any{assertions.Match_StringLikeRegexp(jsii.String("^BasicDeadLetterQueue")), "QueueName"}}}},
	))
	has(t, st.tmpl, jsii.String("AWS::CloudWatch::Alarm"), props(
		"Namespace", "AWS/Lambda", "MetricName", "Errors", "Statistic", "Sum", "Threshold", 0,
	))
}

// Two endpoints on one bucket with overlapping prefixes: EventBridge rules, no classic S3
// notification configurations to conflict.
func TestTwoEndpointsShareABucket(t *testing.T) {
	st := sharedBucketStack()
	notifications := st.ofType("Custom::S3BucketNotifications")
	if len(notifications) != 1 {
		t.Fatalf("found %d Custom::S3BucketNotifications, expected 1", len(notifications))
	}
	for _, n := range notifications {
		cfg, _ := json.Marshal(n.Properties["NotificationConfiguration"])
		if string(cfg) != `{"EventBridgeConfiguration":{}}` {
			t.Errorf("bucket notification configuration = %s, expected only EventBridgeConfiguration", cfg)
		}
	}
	for _, r := range st.ofType("AWS::S3::Bucket") {
		if r.Properties["NotificationConfiguration"] != nil {
			t.Errorf("bucket has a NotificationConfiguration: %v", r.Properties["NotificationConfiguration"])
		}
	}
	count(t, st.tmpl, jsii.String("AWS::Events::Rule"), jsii.Number(6))
	count(t, st.tmpl, jsii.String("AWS::SageMaker::Endpoint"), jsii.Number(2))
	one, two := st.eps[0], st.eps[1]
	if *one.EndpointName() == *two.EndpointName() || *one.ConfigAName() == *two.ConfigAName() {
		t.Errorf("endpoints share names: %s/%s and %s/%s", *one.EndpointName(), *one.ConfigAName(), *two.EndpointName(), *two.ConfigAName())
	}
}

// has, count and all are the assertions' checks, reported with t instead of a panic that would
// stop every other test.
func has(t *testing.T, tmpl assertions.Template, typ *string, props any) {
	t.Helper()
	if msg := panicOf(func() { tmpl.HasResourceProperties(typ, props) }); msg != "" {
		t.Errorf("%s: %s", *typ, msg)
	}
}

func count(t *testing.T, tmpl assertions.Template, typ *string, n *float64) {
	t.Helper()
	if msg := panicOf(func() { tmpl.ResourceCountIs(typ, n) }); msg != "" {
		t.Errorf("%s: %s", *typ, msg)
	}
}

func all(t *testing.T, tmpl assertions.Template, typ *string, props any) {
	t.Helper()
	if msg := panicOf(func() { tmpl.AllResourcesProperties(typ, props) }); msg != "" {
		t.Errorf("%s: %s", *typ, msg)
	}
}
