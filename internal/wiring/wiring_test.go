package wiring_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
	"github.com/sagemaker-cd/sagemaker-cd/internal/wiring"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/sim"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { testkit.RunWithMoto(m, &moto, testkit.Options{}) }

const quiet = 3 * time.Second

func provision(t *testing.T, name string, q time.Duration) (*wiring.Wiring, wiring.Clients) {
	t.Helper()
	ctx := context.Background()
	raw, err := wiring.Synthesize(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := wiring.Parse(raw, wiring.Names{Endpoint: name})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := moto.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := wiring.Clients{SageMaker: sagemaker.NewFromConfig(cfg), DynamoDB: dynamodb.NewFromConfig(cfg), SQS: sqs.NewFromConfig(cfg), EventBridge: eventbridge.NewFromConfig(cfg)}
	bucket := name + "-artifacts"
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatal(err)
	}
	w, err := wiring.Provision(ctx, c, tmpl, wiring.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return w, c
}

// TestProvisionedAsSynthesized: what the emulator holds is what the template says: queue
// delays, visibility and redrive to the dead-letter queue, rule patterns with their targets and
// the targets' dead-letter queue, the function's event sources and environment, the endpoint's
// tags.
func TestProvisionedAsSynthesized(t *testing.T) {
	ctx := context.Background()
	w, c := provision(t, "wired", quiet)
	var dlq string
	for _, q := range w.Queues {
		if q.DeadLetterARN == "" {
			dlq = q.ARN
		}
	}
	if dlq == "" || len(w.Queues) != 3 {
		t.Fatalf("queues %+v: want a change queue, a state queue and their dead-letter queue", w.Queues)
	}
	delays := map[int]int{}
	for _, q := range w.Queues {
		attrs, err := c.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q.URL),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
		if err != nil {
			t.Fatal(err)
		}
		a := attrs.Attributes
		if a["DelaySeconds"] != fmt.Sprint(q.DelaySeconds) {
			t.Errorf("queue %s: DelaySeconds %s in the emulator, %d in the template", q.LogicalID, a["DelaySeconds"], q.DelaySeconds)
		}
		if q.ARN == dlq {
			continue
		}
		delays[q.DelaySeconds]++
		var rp struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			MaxReceiveCount     any    `json:"maxReceiveCount"`
		}
		if err := json.Unmarshal([]byte(a["RedrivePolicy"]), &rp); err != nil || rp.DeadLetterTargetArn != dlq {
			t.Errorf("queue %s: redrive policy %q, want the dead-letter queue %s", q.LogicalID, a["RedrivePolicy"], dlq)
		}
	}
	if delays[int(quiet.Seconds())] != 1 || delays[0] != 1 {
		t.Errorf("delivery delays %v: want one queue delayed by the quiet period and one undelayed", delays)
	}
	if len(w.EventSources) != 2 {
		t.Errorf("event sources %+v: want the change and the state queue", w.EventSources)
	}
	for _, es := range w.EventSources {
		if !es.ReportBatchItemFailures || es.BatchSize < 1 || w.QueueByARN(es.QueueARN) == nil || es.QueueARN == dlq {
			t.Errorf("event source %+v", es)
		}
	}
	rules, err := c.EventBridge.ListRules(ctx, &eventbridge.ListRulesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules.Rules) != len(w.Rules) || len(w.Rules) != 4 {
		t.Fatalf("%d rules in the emulator, %d in the template: want object created, object deleted, endpoint state, schedule", len(rules.Rules), len(w.Rules))
	}
	for _, r := range w.Rules {
		tg, err := c.EventBridge.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(r.Name)})
		if err != nil {
			t.Fatal(err)
		}
		if len(tg.Targets) != len(r.Targets) {
			t.Errorf("rule %s: %d targets in the emulator, %d in the template", r.LogicalID, len(tg.Targets), len(r.Targets))
		}
		for _, x := range tg.Targets {
			if x.DeadLetterConfig == nil || aws.ToString(x.DeadLetterConfig.Arn) != dlq {
				t.Errorf("rule %s target %s: dead-letter config %+v, want %s", r.LogicalID, aws.ToString(x.Arn), x.DeadLetterConfig, dlq)
			}
		}
	}
	cfg, err := refresher.LoadConfig(func(k string) string { return w.Env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Endpoint != "wired" || cfg.QuietPeriod != quiet || cfg.Watch.Bucket != "wired-artifacts" || cfg.Watch.Filters[0].Prefix != "models/wired/" || cfg.Table != w.Table {
		t.Errorf("refresher config from the template's environment: %+v", cfg)
	}
	ep, err := c.SageMaker.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String("wired")})
	if err != nil || aws.ToString(ep.EndpointConfigName) != cfg.ConfigA {
		t.Fatalf("endpoint: %v on %v, want config A %s", err, ep, cfg.ConfigA)
	}
	tags, err := c.SageMaker.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: ep.EndpointArn})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{refresher.TagStateTable: cfg.Table, refresher.TagConfigA: cfg.ConfigA, refresher.TagConfigB: cfg.ConfigB}
	for _, tag := range tags.Tags {
		if v, ok := want[aws.ToString(tag.Key)]; ok && v == aws.ToString(tag.Value) {
			delete(want, aws.ToString(tag.Key))
		}
	}
	if len(want) != 0 {
		t.Errorf("endpoint tags %+v lack %v", tags.Tags, want)
	}
}

// TestSimulatorWiringIsTheTemplates: the simulator's model of the wiring (refresh/sim: the
// dual-queue delivery, the schedule, the queues' visibility timeout and receive count) is the
// one the construct synthesizes.
func TestSimulatorWiringIsTheTemplates(t *testing.T) {
	for _, q := range []time.Duration{0, quiet} {
		t.Run(fmt.Sprintf("quiet period %s", q), func(t *testing.T) {
			raw, err := wiring.Synthesize(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			tmpl, err := wiring.Parse(raw, wiring.Names{Endpoint: "sim"})
			if err != nil {
				t.Fatal(err)
			}
			queues := map[string]map[string]any{} // logical ID -> properties
			var s3Targets, stateTargets []string
			var schedule string
			for id, r := range tmpl.Resources {
				switch r.Type {
				case "AWS::SQS::Queue":
					queues[id] = r.Properties
				case "AWS::Events::Rule":
					pattern, _ := json.Marshal(r.Properties["EventPattern"])
					var targets []string
					for _, tg := range r.Properties["Targets"].([]any) {
						arn, _ := json.Marshal(tg.(map[string]any)["Arn"])
						targets = append(targets, string(arn))
					}
					switch {
					case strings.Contains(string(pattern), `"aws.s3"`):
						s3Targets = append(s3Targets, targets...)
					case strings.Contains(string(pattern), `"aws.sagemaker"`):
						stateTargets = append(stateTargets, targets...)
					default:
						schedule, _ = r.Properties["ScheduleExpression"].(string)
					}
				}
			}
			if want := fmt.Sprintf("rate(%d minutes)", int(sim.DefaultSchedule.Minutes())); schedule != want {
				t.Errorf("schedule %q, the simulator assumes %q", schedule, want)
			}
			delayOf := func(target string) float64 {
				for id, p := range queues {
					if strings.Contains(target, `"`+id+`"`) {
						d, _ := p["DelaySeconds"].(float64)
						return d
					}
				}
				t.Fatalf("target %s is not a queue of the template", target)
				return 0
			}
			// DualQueue: each S3 change once undelayed and, with a quiet period, once delayed by
			// it; state changes undelayed, on the undelayed queue the S3 rules also target.
			var delays []float64
			undelayed := map[string]bool{}
			for _, tg := range s3Targets {
				d := delayOf(tg)
				delays = append(delays, d)
				if d == 0 {
					undelayed[tg] = true
				}
			}
			perRule := len(delays) / 2 // an Object Created and an Object Deleted rule
			wantDelays := []float64{0}
			if q > 0 {
				wantDelays = []float64{q.Seconds(), 0}
			}
			if perRule != len(wantDelays) {
				t.Errorf("S3 rules send each change to %d queue(s) (delays %v), the simulator's DualQueue to %d %v", perRule, delays, len(wantDelays), wantDelays)
			}
			for _, tg := range stateTargets {
				if delayOf(tg) != 0 {
					t.Errorf("state changes are delayed by %v s; the simulator delivers them at once", delayOf(tg))
				}
				if q > 0 && !undelayed[tg] {
					t.Errorf("state changes go to %s, not to the undelayed queue S3 changes also reach", tg)
				}
			}
			for id, p := range queues {
				rp, ok := p["RedrivePolicy"].(map[string]any)
				if !ok {
					continue // the dead-letter queue
				}
				if v, _ := p["VisibilityTimeout"].(float64); time.Duration(v)*time.Second != sim.DefaultVisibilityTimeout {
					t.Errorf("queue %s: visibility timeout %v s, the simulator assumes %s", id, v, sim.DefaultVisibilityTimeout)
				}
				if n, _ := rp["maxReceiveCount"].(float64); int(n) != sim.DefaultMaxReceives {
					t.Errorf("queue %s: maxReceiveCount %v, the simulator assumes %d", id, n, sim.DefaultMaxReceives)
				}
			}
		})
	}
}
