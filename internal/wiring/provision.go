package wiring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sagemaker-cd/sagemaker-cd/events"
)

// Names replace the template's placeholders.
type Names struct {
	// Endpoint replaces PlaceholderName (required; lower case letters, digits and dashes).
	Endpoint string
	// Bucket replaces PlaceholderBucket (default "<Endpoint>-artifacts").
	Bucket string
	// Prefix replaces PlaceholderPrefix (default "models/<Endpoint>/"), in every spelling
	// events.KeyForms gives.
	Prefix string
}

// Template is a synthesized CloudFormation template.
type Template struct {
	Resources map[string]Resource `json:"Resources"`
}

// Resource is one resource of a Template.
type Resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
}

// Parse reads a synthesized template and puts names in place of the placeholders.
func Parse(b []byte, n Names) (*Template, error) {
	if !regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`).MatchString(n.Endpoint) {
		return nil, fmt.Errorf("wiring: endpoint name %q: expected lower case letters, digits and dashes", n.Endpoint)
	}
	if n.Bucket == "" {
		n.Bucket = n.Endpoint + "-artifacts"
	}
	if n.Prefix == "" {
		n.Prefix = "models/" + n.Endpoint + "/"
	}
	// JSON-escaped spellings, longest placeholder first so the name replaces only what is left.
	var pairs []string
	quote := func(s string) string { b, _ := json.Marshal(s); return string(b[1 : len(b)-1]) }
	for _, slash := range []bool{true, false} {
		pairs = append(pairs, quote(events.FormEncodeKey(PlaceholderPrefix, slash)), quote(events.FormEncodeKey(n.Prefix, slash)))
	}
	pairs = append(pairs, quote(PlaceholderPrefix), quote(n.Prefix), PlaceholderBucket, quote(n.Bucket), PlaceholderName, n.Endpoint)
	b = []byte(strings.NewReplacer(pairs...).Replace(string(b)))
	var t Template
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("wiring: decode template: %w", err)
	}
	if len(t.Resources) == 0 {
		return nil, errors.New("wiring: template without resources")
	}
	return &t, nil
}

// Queue is a provisioned SQS queue.
type Queue struct {
	LogicalID, URL, ARN string
	// DelaySeconds is the queue's delivery delay.
	DelaySeconds int
	// DeadLetterARN is the redrive policy's target ("" without one).
	DeadLetterARN string
}

// Rule is a provisioned EventBridge rule.
type Rule struct {
	LogicalID, Name string
	// Pattern is the event pattern ("" for a schedule); Schedule the schedule expression.
	Pattern, Schedule string
	// Targets are the target ARNs (queues, and the function's ARN for the schedule).
	Targets []string
	// DeadLetterARNs are the targets' dead-letter queues.
	DeadLetterARNs []string
}

// EventSource is an SQS event source mapping of the refresher function.
type EventSource struct {
	QueueARN                string
	BatchSize               int
	ReportBatchItemFailures bool
}

// Wiring is what Provision made.
type Wiring struct {
	// Queues by logical ID.
	Queues map[string]*Queue
	Rules  []Rule
	// Env is the refresher function's environment.
	Env map[string]string
	// EventSources are the queues the function consumes.
	EventSources []EventSource
	// Endpoint, ConfigA and ConfigB are the SageMaker names; Table the state table.
	Endpoint, Table string
	// FunctionARN is the refresher's ARN as the template's targets name it (not deployed: the
	// tests run the handler in process).
	FunctionARN string
}

// QueueByARN returns the queue with arn, or nil.
func (w *Wiring) QueueByARN(arn string) *Queue {
	for _, q := range w.Queues {
		if q.ARN == arn {
			return q
		}
	}
	return nil
}

// Options shape Provision.
type Options struct {
	// EndpointTags are added to the endpoint's tags (e.g. the emulator's update duration).
	EndpointTags map[string]string
	// Untagged drops the tags the construct puts on the endpoint (an endpoint made by hand).
	Untagged bool
}

// Clients are the emulator clients Provision uses.
type Clients struct {
	SageMaker   *sagemaker.Client
	DynamoDB    *dynamodb.Client
	SQS         *sqs.Client
	EventBridge *eventbridge.Client
}

// provisioner creates resources in dependency order and resolves intrinsic functions.
type provisioner struct {
	ctx   context.Context
	c     Clients
	t     *Template
	w     *Wiring
	names map[string]string // logical ID -> Ref value
	attrs map[string]map[string]string
	opts  Options
}

// Provision creates the template's event wiring and SageMaker resources in the emulator. It
// creates queues (delivery delay, visibility timeout, retention, redrive policy), DynamoDB
// tables, SageMaker models, endpoint configs and the endpoint (with its tags, deployment config
// and RetainAllVariantProperties), and EventBridge rules with their patterns, schedules, targets
// and targets' dead-letter queues; it reads the Lambda function's environment and SQS event
// source mappings. IAM, logs, alarms, keys and the function itself are not emulated.
func Provision(ctx context.Context, c Clients, t *Template, opts Options) (*Wiring, error) {
	p := &provisioner{ctx: ctx, c: c, t: t, opts: opts, names: map[string]string{}, attrs: map[string]map[string]string{},
		w: &Wiring{Queues: map[string]*Queue{}, Env: map[string]string{}}}
	for _, id := range p.ofType("AWS::SageMaker::Endpoint") {
		p.w.Endpoint, _ = t.Resources[id].Properties["EndpointName"].(string)
	}
	for _, typ := range []string{"AWS::SQS::Queue", "AWS::DynamoDB::Table", "AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig",
		"AWS::SageMaker::Endpoint", "AWS::Lambda::Function", "AWS::Events::Rule", "AWS::Lambda::EventSourceMapping"} {
		ids := p.ofType(typ)
		if typ == "AWS::SQS::Queue" {
			// Dead-letter queues first: the others' redrive policies name them.
			slices.SortStableFunc(ids, func(a, b string) int {
				return boolInt(t.Resources[a].Properties["RedrivePolicy"] != nil) - boolInt(t.Resources[b].Properties["RedrivePolicy"] != nil)
			})
		}
		for _, id := range ids {
			if err := p.create(typ, id); err != nil {
				return nil, fmt.Errorf("wiring: %s %s: %w", typ, id, err)
			}
		}
	}
	return p.w, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (p *provisioner) ofType(typ string) []string {
	var ids []string
	for _, id := range slices.Sorted(maps.Keys(p.t.Resources)) {
		if p.t.Resources[id].Type == typ {
			ids = append(ids, id)
		}
	}
	return ids
}

// physical names a resource CloudFormation would name: the endpoint name and the logical ID.
func (p *provisioner) physical(id string, max int) string {
	name := p.w.Endpoint
	if name == "" {
		name = "smcd"
	}
	n := regexp.MustCompile(`[^A-Za-z0-9-]`).ReplaceAllString(name+"-"+id, "")
	if len(n) > max {
		n = n[:max]
	}
	return n
}

func (p *provisioner) create(typ, id string) error {
	props := p.t.Resources[id].Properties
	str := func(key string) (string, error) { return p.str(props[key]) }
	num := func(key string) int { n, _ := strconv.Atoi(scalar(p.resolveOrNil(props[key]))); return n }
	switch typ {
	case "AWS::Lambda::Function":
		arn := "arn:aws:lambda:" + Region + ":" + AccountID + ":function:" + p.physical(id, 64)
		p.names[id] = p.physical(id, 64)
		p.attrs[id] = map[string]string{"Arn": arn}
		if env, ok := props["Environment"].(map[string]any); ok {
			if vars, ok := env["Variables"].(map[string]any); ok {
				for k, v := range vars {
					s, err := p.str(v)
					if err != nil {
						return fmt.Errorf("environment %s: %w", k, err)
					}
					p.w.Env[k] = s
				}
			}
		}
		p.w.FunctionARN = arn
	case "AWS::SQS::Queue":
		q := &Queue{LogicalID: id, DelaySeconds: num("DelaySeconds")}
		attrs := map[string]string{}
		for _, k := range []string{"DelaySeconds", "VisibilityTimeout", "MessageRetentionPeriod"} {
			if v := p.resolveOrNil(props[k]); v != nil {
				attrs[k] = scalar(v)
			}
		}
		if rp, ok := props["RedrivePolicy"].(map[string]any); ok {
			dlq, err := p.str(rp["deadLetterTargetArn"])
			if err != nil {
				return err
			}
			q.DeadLetterARN = dlq
			b, _ := json.Marshal(map[string]any{"deadLetterTargetArn": dlq, "maxReceiveCount": p.resolveOrNil(rp["maxReceiveCount"])})
			attrs["RedrivePolicy"] = string(b)
		}
		out, err := p.c.SQS.CreateQueue(p.ctx, &sqs.CreateQueueInput{QueueName: aws.String(p.physical(id, 80)), Attributes: attrs})
		if err != nil {
			return err
		}
		a, err := p.c.SQS.GetQueueAttributes(p.ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			return err
		}
		q.URL, q.ARN = aws.ToString(out.QueueUrl), a.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
		p.names[id] = q.URL
		p.attrs[id] = map[string]string{"Arn": q.ARN, "QueueName": p.physical(id, 80), "QueueUrl": q.URL}
		p.w.Queues[id] = q
	case "AWS::DynamoDB::Table":
		name, _ := str("TableName")
		if name == "" {
			name = p.physical(id, 255)
		}
		in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: ddbtypes.BillingModePayPerRequest}
		for _, a := range list(props["AttributeDefinitions"]) {
			m, _ := a.(map[string]any)
			in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{
				AttributeName: aws.String(fmt.Sprint(m["AttributeName"])), AttributeType: ddbtypes.ScalarAttributeType(fmt.Sprint(m["AttributeType"]))})
		}
		for _, k := range list(props["KeySchema"]) {
			m, _ := k.(map[string]any)
			in.KeySchema = append(in.KeySchema, ddbtypes.KeySchemaElement{
				AttributeName: aws.String(fmt.Sprint(m["AttributeName"])), KeyType: ddbtypes.KeyType(fmt.Sprint(m["KeyType"]))})
		}
		if _, err := p.c.DynamoDB.CreateTable(p.ctx, in); err != nil {
			return err
		}
		p.names[id] = name
		p.attrs[id] = map[string]string{"Arn": "arn:aws:dynamodb:" + Region + ":" + AccountID + ":table/" + name}
		p.w.Table = name
	case "AWS::SageMaker::Model":
		var in sagemaker.CreateModelInput
		if err := p.decode(props, &in); err != nil {
			return err
		}
		if _, err := p.c.SageMaker.CreateModel(p.ctx, &in); err != nil {
			return err
		}
		p.names[id] = "arn:aws:sagemaker:" + Region + ":" + AccountID + ":model/" + strings.ToLower(aws.ToString(in.ModelName))
		p.attrs[id] = map[string]string{"ModelName": aws.ToString(in.ModelName)}
	case "AWS::SageMaker::EndpointConfig":
		var in sagemaker.CreateEndpointConfigInput
		if err := p.decode(props, &in); err != nil {
			return err
		}
		if _, err := p.c.SageMaker.CreateEndpointConfig(p.ctx, &in); err != nil {
			return err
		}
		name := aws.ToString(in.EndpointConfigName)
		p.names[id] = "arn:aws:sagemaker:" + Region + ":" + AccountID + ":endpoint-config/" + strings.ToLower(name)
		p.attrs[id] = map[string]string{"EndpointConfigName": name}
	case "AWS::SageMaker::Endpoint":
		var in sagemaker.CreateEndpointInput
		if err := p.decode(props, &in); err != nil {
			return err
		}
		if p.opts.Untagged {
			in.Tags = nil
		}
		for _, k := range slices.Sorted(maps.Keys(p.opts.EndpointTags)) {
			in.Tags = append(in.Tags, smtypes.Tag{Key: aws.String(k), Value: aws.String(p.opts.EndpointTags[k])})
		}
		// RetainAllVariantProperties has no CreateEndpoint member (CloudFormation uses it on
		// updates); the refresher reads it from its environment.
		if _, err := p.c.SageMaker.CreateEndpoint(p.ctx, &in); err != nil {
			return err
		}
		p.names[id] = "arn:aws:sagemaker:" + Region + ":" + AccountID + ":endpoint/" + strings.ToLower(aws.ToString(in.EndpointName))
		p.attrs[id] = map[string]string{"EndpointName": aws.ToString(in.EndpointName)}
	case "AWS::Events::Rule":
		r := Rule{LogicalID: id, Name: p.physical(id, 64)}
		in := &eventbridge.PutRuleInput{Name: aws.String(r.Name)}
		if pat := props["EventPattern"]; pat != nil {
			v, err := p.resolve(pat)
			if err != nil {
				return err
			}
			b, _ := json.Marshal(v)
			r.Pattern = string(b)
			in.EventPattern = aws.String(r.Pattern)
		}
		if s, _ := str("ScheduleExpression"); s != "" {
			r.Schedule = s
			in.ScheduleExpression = aws.String(s)
		}
		if _, err := p.c.EventBridge.PutRule(p.ctx, in); err != nil {
			return err
		}
		var targets []ebtypes.Target
		for _, raw := range list(props["Targets"]) {
			m, _ := raw.(map[string]any)
			arn, err := p.str(m["Arn"])
			if err != nil {
				return err
			}
			tg := ebtypes.Target{Id: aws.String(fmt.Sprint(m["Id"])), Arn: aws.String(arn)}
			if dl, ok := m["DeadLetterConfig"].(map[string]any); ok {
				dlq, err := p.str(dl["Arn"])
				if err != nil {
					return err
				}
				tg.DeadLetterConfig = &ebtypes.DeadLetterConfig{Arn: aws.String(dlq)}
				r.DeadLetterARNs = append(r.DeadLetterARNs, dlq)
			}
			if rp, ok := m["RetryPolicy"].(map[string]any); ok {
				tg.RetryPolicy = &ebtypes.RetryPolicy{}
				if v, err := strconv.Atoi(scalar(rp["MaximumRetryAttempts"])); err == nil {
					tg.RetryPolicy.MaximumRetryAttempts = aws.Int32(int32(v))
				}
				if v, err := strconv.Atoi(scalar(rp["MaximumEventAgeInSeconds"])); err == nil {
					tg.RetryPolicy.MaximumEventAgeInSeconds = aws.Int32(int32(v))
				}
			}
			targets = append(targets, tg)
			r.Targets = append(r.Targets, arn)
		}
		if len(targets) > 0 {
			if _, err := p.c.EventBridge.PutTargets(p.ctx, &eventbridge.PutTargetsInput{Rule: aws.String(r.Name), Targets: targets}); err != nil {
				return err
			}
		}
		p.names[id] = r.Name
		p.w.Rules = append(p.w.Rules, r)
	case "AWS::Lambda::EventSourceMapping":
		arn, err := str("EventSourceArn")
		if err != nil {
			return err
		}
		es := EventSource{QueueARN: arn, BatchSize: num("BatchSize")}
		for _, f := range list(props["FunctionResponseTypes"]) {
			es.ReportBatchItemFailures = es.ReportBatchItemFailures || f == "ReportBatchItemFailures"
		}
		p.w.EventSources = append(p.w.EventSources, es)
	}
	return nil
}

// scalar formats a template scalar as the API wants it (JSON numbers without exponent).
func scalar(v any) string {
	if f, ok := v.(float64); ok {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// decode resolves props and decodes them into an SDK input (CloudFormation and the API share
// member names for the SageMaker resources).
func (p *provisioner) decode(props map[string]any, dst any) error {
	v, err := p.resolve(props)
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, dst)
}

func (p *provisioner) str(v any) (string, error) {
	r, err := p.resolve(v)
	if err != nil {
		return "", err
	}
	if r == nil {
		return "", nil
	}
	return scalar(r), nil
}

func (p *provisioner) resolveOrNil(v any) any {
	r, err := p.resolve(v)
	if err != nil {
		return nil
	}
	return r
}

// resolve evaluates the intrinsic functions the construct's template uses: Ref (resources and
// pseudo parameters), Fn::GetAtt and Fn::Join.
func (p *provisioner) resolve(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				switch k {
				case "Ref":
					name := fmt.Sprint(arg)
					switch name {
					case "AWS::Partition":
						return "aws", nil
					case "AWS::Region":
						return Region, nil
					case "AWS::AccountId":
						return AccountID, nil
					case "AWS::URLSuffix":
						return "amazonaws.com", nil
					}
					if r, ok := p.names[name]; ok {
						return r, nil
					}
					return nil, fmt.Errorf("reference to %s: not provisioned (yet)", name)
				case "Fn::GetAtt":
					a := list(arg)
					if len(a) != 2 {
						return nil, fmt.Errorf("Fn::GetAtt %v: expected [resource, attribute]", arg)
					}
					if r, ok := p.attrs[fmt.Sprint(a[0])][fmt.Sprint(a[1])]; ok {
						return r, nil
					}
					return nil, fmt.Errorf("Fn::GetAtt %v: not provisioned (yet)", arg)
				case "Fn::Join":
					a := list(arg)
					if len(a) != 2 {
						return nil, fmt.Errorf("Fn::Join %v: expected [separator, list]", arg)
					}
					var parts []string
					for _, e := range list(a[1]) {
						s, err := p.str(e)
						if err != nil {
							return nil, err
						}
						parts = append(parts, s)
					}
					return strings.Join(parts, fmt.Sprint(a[0])), nil
				}
				if strings.HasPrefix(k, "Fn::") {
					return nil, fmt.Errorf("%s: not supported by the emulator provisioner", k)
				}
			}
		}
		out := map[string]any{}
		for k, e := range x {
			r, err := p.resolve(e)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := p.resolve(e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}
