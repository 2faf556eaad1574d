package promote

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-cd/sagemaker-cd/events"
	"github.com/sagemaker-cd/sagemaker-cd/internal/cdktest"
	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
)

// TestRulePatternInTheEmulator matches the promote rule's pattern, as synthesized, against
// Model Package State Change events shaped as SageMaker documents them (events/testdata), with
// the emulator's EventBridge pattern matcher: a bus with the rule and a queue as its target in
// the account that emits each event (moto stamps "account" with the caller's account, and
// rewrites it when it forwards across accounts, so the rule sits where the event starts; the
// matching is the same as on the target account's bus, which AWS delivers the event to with the
// source account kept).
func TestRulePatternInTheEmulator(t *testing.T) {
	const sourceAccount, otherAccount, group = "444333666777", "555444333222", "Churn-Models"
	app := cdktest.NewApp()
	stack := awscdk.NewStack(app, jsii.String("Rule"), &awscdk.StackProps{Env: cdktest.Env()})
	NewModelPackagePromotePipeline(stack, jsii.String("Promote"), &ModelPackagePromotePipelineProps{
		SourceModelPackageGroupArn: jsii.String("arn:aws:sagemaker:eu-west-1:" + sourceAccount + ":model-package-group/" + group),
		TargetBucketName:           jsii.String("mlops-artifacts-111222333444"),
		EventBusName:               jsii.String("mlops-bus"),
	})
	tp := parse(t, cdktest.Check(t, stack))
	var pattern string
	for _, r := range tp.ofType("AWS::Events::Rule") {
		b, err := json.Marshal(r["EventPattern"])
		if err != nil {
			t.Fatal(err)
		}
		pattern = string(b)
	}
	if pattern == "" || pattern == "null" {
		t.Fatal("no rule with an event pattern in the template")
	}

	ctx := context.Background()
	moto, err := testkit.Start(ctx, testkit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(moto.Stop)
	type bus struct {
		eb    *eventbridge.Client
		sqs   *sqs.Client
		queue string
	}
	buses := map[string]*bus{}
	for _, acct := range []string{sourceAccount, otherAccount} {
		cfg, err := moto.AccountConfig(ctx, acct)
		if err != nil {
			t.Fatal(err)
		}
		b := &bus{eb: eventbridge.NewFromConfig(cfg), sqs: sqs.NewFromConfig(cfg)}
		q, err := b.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("promote-starts")})
		if err != nil {
			t.Fatal(err)
		}
		b.queue = aws.ToString(q.QueueUrl)
		if _, err := b.eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("mlops-bus")}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("promote"), EventBusName: aws.String("mlops-bus"), EventPattern: aws.String(pattern)}); err != nil {
			t.Fatalf("put the synthesized pattern %s: %v", pattern, err)
		}
		if _, err := b.eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("promote"), EventBusName: aws.String("mlops-bus"),
			Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String("arn:aws:sqs:" + testkit.Region + ":" + acct + ":promote-starts")}}}); err != nil {
			t.Fatal(err)
		}
		buses[acct] = b
	}

	// The documented samples' details (Approved, and Rejected with the sample's repeated source).
	sample := func(file string) map[string]any {
		raw, err := os.ReadFile(filepath.Join("..", "events", "testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		e, err := events.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		name, account, group, file string
		status                     events.ModelApprovalStatus
		match                      bool
	}{
		{"Approved in the source group", sourceAccount, group, "sagemaker-model-package-approved.json", events.ModelApprovalStatusApproved, true},
		{"Rejected in the source group", sourceAccount, group, "sagemaker-model-package-rejected.json", events.ModelApprovalStatusRejected, true},
		{"PendingManualApproval in the source group", sourceAccount, group, "sagemaker-model-package-approved.json", events.ModelApprovalStatusPendingManualApproval, false},
		{"Approved in another account's group of the same name", otherAccount, group, "sagemaker-model-package-approved.json", events.ModelApprovalStatusApproved, false},
		{"Approved in another group of the source account", sourceAccount, group + "-v2", "sagemaker-model-package-approved.json", events.ModelApprovalStatusApproved, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := buses[tt.account]
			d := sample(tt.file)
			arn := "arn:aws:sagemaker:eu-west-1:" + tt.account + ":model-package/" + tt.group + "/2"
			d["ModelPackageGroupName"], d["ModelPackageArn"], d["ModelApprovalStatus"] = tt.group, arn, string(tt.status)
			detail, _ := json.Marshal(d)
			out, err := b.eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
				EventBusName: aws.String("mlops-bus"), Source: aws.String(events.SourceSageMaker),
				DetailType: aws.String(events.DetailTypeModelPackageStateChange), Detail: aws.String(string(detail)), Resources: []string{arn},
			}}})
			if err != nil || out.FailedEntryCount != 0 {
				t.Fatalf("put event: %v %+v", err, out)
			}
			var got []string
			deadline := time.Now().Add(2 * time.Second)
			for time.Now().Before(deadline) && len(got) == 0 {
				msgs, err := b.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(b.queue), MaxNumberOfMessages: 10})
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range msgs.Messages {
					got = append(got, aws.ToString(m.Body))
					if _, err := b.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(b.queue), ReceiptHandle: m.ReceiptHandle}); err != nil {
						t.Fatal(err)
					}
				}
				if !tt.match {
					break // delivery is synchronous in the emulator: nothing now means no match
				}
			}
			if matched := len(got) > 0; matched != tt.match {
				t.Fatalf("rule pattern %s matched = %v, want %v (deliveries %q)", pattern, matched, tt.match, got)
			}
			if tt.match {
				e, err := events.Decode([]byte(got[0]))
				if err != nil {
					t.Fatal(err)
				}
				if d, err := events.ParseModelPackageStateChange(e); err != nil || d.ModelApprovalStatus != tt.status || e.AccountID != tt.account {
					t.Fatalf("delivered %+v (%v) from account %s", d, err, e.AccountID)
				}
			}
		})
	}
}
