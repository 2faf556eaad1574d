// Package refreshertest builds, in an AWS emulator such as moto, everything an endpoint
// refresher works with, from the endpoint construct's synthesized template (internal/wiring):
// the models bucket with EventBridge notifications, the model, endpoint configs A and B, the
// endpoint, the state table, the queues with their delivery delay and dead-letter queue and the
// EventBridge rules that feed them; the refresher's configuration is the Lambda's environment in
// the template. Tests, the refresh demo and the Lambda benchmark share it, so all three run the
// wiring `cdk deploy` creates.
package refreshertest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sagemaker-cd/sagemaker-cd/internal/wiring"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

// Tags the emulator's UpdateEndpoint extension reads and writes (internal/testkit).
const (
	TagUpdateSeconds  = "smcd:moto-update-seconds"
	TagFailNextUpdate = "smcd:moto-fail-next-update"
	TagUpdateCalls    = "smcd:moto-update-calls"
	// TagRefuseNextUpdate holds an error code the next UpdateEndpoint answers with.
	TagRefuseNextUpdate = "smcd:moto-refuse-next-update"
)

// VariantName is the production variant of the Stack's endpoint configs.
const VariantName = "AllTraffic"

// Options shape a Stack.
type Options struct {
	// Name prefixes every resource (required; lower case letters, digits and dashes).
	Name string
	// UpdateSeconds is how long an update keeps the endpoint Updating (emulator default when 0).
	UpdateSeconds float64
	// KeyPrefix is the watched key prefix (default "models/<Name>/").
	KeyPrefix string
	// Bucket is the watched bucket (default "<Name>-artifacts").
	Bucket string
	// Untagged drops the tags the endpoint construct puts on the endpoint
	// (refresher.TagStateTable, TagConfigA, TagConfigB), as on an endpoint made by hand.
	Untagged bool
	// QuietPeriod (whole seconds) is the endpoint construct's QuietPeriod: when positive, the
	// artifacts rules target the undelayed state queue (QueueURL, which also receives the
	// endpoint's state changes) and the change queue (DelayedQueueURL) whose delivery delay is
	// the quiet period; Config.QuietPeriod is set to it.
	QuietPeriod time.Duration
}

// Stack is a refresher's world in the emulator, with clients to drive it.
type Stack struct {
	Config   refresher.Config
	QueueURL string
	QueueARN string
	// DelayedQueueURL and DelayedQueueARN are the delayed queue (Options.QuietPeriod; empty
	// without one).
	DelayedQueueURL string
	DelayedQueueARN string
	// ModelKey is the model artifact key under the watched prefix.
	ModelKey string
	// Wiring is what was provisioned from the template (rules, queues, environment).
	Wiring *wiring.Wiring
	// undelayed are the queues the function consumes without delivery delay.
	undelayed []*wiring.Queue

	S3          *s3.Client
	SageMaker   *sagemaker.Client
	DynamoDB    *dynamodb.Client
	SQS         *sqs.Client
	EventBridge *eventbridge.Client
}

// Create builds the resources and returns the Stack.
func Create(ctx context.Context, cfg aws.Config, opts Options) (*Stack, error) {
	if opts.Name == "" {
		return nil, errors.New("refreshertest: Options.Name is required")
	}
	if opts.QuietPeriod < 0 || opts.QuietPeriod%time.Second != 0 || opts.QuietPeriod > 15*time.Minute {
		return nil, fmt.Errorf("refreshertest: Options.QuietPeriod %s: expected whole seconds from 0 to 15m (SQS's delivery delay)", opts.QuietPeriod)
	}
	n := opts.Name
	prefix := opts.KeyPrefix
	if prefix == "" {
		prefix = "models/" + n + "/"
	}
	bucket := opts.Bucket
	if bucket == "" {
		bucket = n + "-artifacts"
	}
	s := &Stack{
		ModelKey:    prefix + "model.tar.gz",
		S3:          s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		SageMaker:   sagemaker.NewFromConfig(cfg),
		DynamoDB:    dynamodb.NewFromConfig(cfg),
		SQS:         sqs.NewFromConfig(cfg),
		EventBridge: eventbridge.NewFromConfig(cfg),
	}
	s.Config.Watch.Bucket = bucket
	tmpl, err := wiring.Synthesize(ctx, opts.QuietPeriod)
	if err != nil {
		return nil, fmt.Errorf("refreshertest: %w", err)
	}
	t, err := wiring.Parse(tmpl, wiring.Names{Endpoint: n, Bucket: bucket, Prefix: prefix})
	if err != nil {
		return nil, fmt.Errorf("refreshertest: %w", err)
	}
	tags := map[string]string{}
	if opts.UpdateSeconds > 0 {
		tags[TagUpdateSeconds] = strconv.FormatFloat(opts.UpdateSeconds, 'f', -1, 64)
	}
	steps := []struct {
		what string
		do   func() error
	}{
		{"create bucket " + bucket, func() error {
			_, err := s.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
			return err
		}},
		{"enable EventBridge notifications on bucket " + bucket, func() error {
			_, err := s.S3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
				Bucket:                    aws.String(bucket),
				NotificationConfiguration: &s3types.NotificationConfiguration{EventBridgeConfiguration: &s3types.EventBridgeConfiguration{}},
			})
			return err
		}},
		{"upload the first model artifact", func() error { return s.Upload(ctx, s.ModelKey, "model v0") }},
		{"provision the endpoint construct's template", func() (err error) {
			s.Wiring, err = wiring.Provision(ctx, wiring.Clients{SageMaker: s.SageMaker, DynamoDB: s.DynamoDB, SQS: s.SQS, EventBridge: s.EventBridge},
				t, wiring.Options{EndpointTags: tags, Untagged: opts.Untagged})
			return err
		}},
		{"read the refresher's environment", func() (err error) {
			s.Config, err = refresher.LoadConfig(func(k string) string { return s.Wiring.Env[k] })
			// The Lambda waits DefaultDriftGrace before reporting a foreign config; the tests
			// and smcd look at once.
			s.Config.DriftGrace = 0
			return err
		}},
		{"find the queues", s.findQueues},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			return nil, fmt.Errorf("refreshertest: %s: %w", st.what, err)
		}
	}
	// Creating the bucket notification and the first upload happened before the rules: drain
	// anything that reached a queue anyway.
	for _, q := range append(slices.Clone(s.undelayed), s.delayedQueue()...) {
		if _, err := s.receive(ctx, q.URL, 0, 0); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// findQueues sorts the queues the function consumes: the delayed one (a quiet period), the
// undelayed ones, and among these the one the S3 rules target (QueueURL).
func (s *Stack) findQueues() error {
	w := s.Wiring
	for _, es := range w.EventSources {
		q := w.QueueByARN(es.QueueARN)
		if q == nil {
			return fmt.Errorf("event source %s: no such queue in the template", es.QueueARN)
		}
		if q.DelaySeconds > 0 {
			s.DelayedQueueURL, s.DelayedQueueARN = q.URL, q.ARN
			continue
		}
		s.undelayed = append(s.undelayed, q)
	}
	for _, r := range w.Rules {
		if !strings.Contains(r.Pattern, `"aws.s3"`) {
			continue
		}
		for _, arn := range r.Targets {
			for _, q := range s.undelayed {
				if q.ARN == arn {
					s.QueueURL, s.QueueARN = q.URL, q.ARN
				}
			}
		}
	}
	if s.QueueURL == "" {
		return errors.New("no undelayed queue consumed by the function receives the S3 rules' events")
	}
	return nil
}

func (s *Stack) delayedQueue() []*wiring.Queue {
	if s.DelayedQueueURL == "" {
		return nil
	}
	return []*wiring.Queue{{URL: s.DelayedQueueURL, ARN: s.DelayedQueueARN}}
}

// Upload puts body at key in the watched bucket.
func (s *Stack) Upload(ctx context.Context, key, body string) error {
	_, err := s.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.Config.Watch.Bucket), Key: aws.String(key), Body: strings.NewReader(body)})
	if err != nil {
		return fmt.Errorf("upload s3://%s/%s: %w", s.Config.Watch.Bucket, key, err)
	}
	return nil
}

// Receive reads messages from the queues the function consumes without delay (S3 changes and,
// on the state queue, endpoint state changes) until it has n of them or wait has passed (n == 0:
// everything available now), deletes them, and returns them.
func (s *Stack) Receive(ctx context.Context, n int, wait time.Duration) ([]sqstypes.Message, error) {
	urls := make([]string, len(s.undelayed))
	for i, q := range s.undelayed {
		urls[i] = q.URL
	}
	return s.receive(ctx, strings.Join(urls, " "), n, wait)
}

// ReceiveDelayed is Receive from the delayed queue (Options.QuietPeriod).
func (s *Stack) ReceiveDelayed(ctx context.Context, n int, wait time.Duration) ([]sqstypes.Message, error) {
	if s.DelayedQueueURL == "" {
		return nil, errors.New("refreshertest: receive from the delayed queue: the stack has none (Options.QuietPeriod is 0)")
	}
	return s.receive(ctx, s.DelayedQueueURL, n, wait)
}

// receive reads from the queues (URLs separated by spaces).
func (s *Stack) receive(ctx context.Context, queueURLs string, n int, wait time.Duration) ([]sqstypes.Message, error) {
	var msgs []sqstypes.Message
	deadline := time.Now().Add(wait)
	for {
		got := 0
		for _, queueURL := range strings.Fields(queueURLs) {
			out, err := s.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
				QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10,
				MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			})
			if err != nil {
				return nil, fmt.Errorf("receive from queue %s: %w", queueURL, err)
			}
			for _, m := range out.Messages {
				if _, err := s.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
					return nil, fmt.Errorf("delete message from queue %s: %w", queueURL, err)
				}
			}
			msgs = append(msgs, out.Messages...)
			got += len(out.Messages)
		}
		queueURL := queueURLs
		if (n == 0 && got == 0) || (n > 0 && len(msgs) >= n) {
			return msgs, nil
		}
		if n > 0 && time.Now().After(deadline) {
			return msgs, fmt.Errorf("receive from queue %s: %d of %d messages after %s", queueURL, len(msgs), n, wait)
		}
		if got == 0 {
			select {
			case <-ctx.Done():
				return msgs, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

// SQSEvent wraps received messages in the event Lambda's SQS integration would deliver.
func (s *Stack) SQSEvent(msgs []sqstypes.Message) lambdaevents.SQSEvent {
	return sqsEvent(s.QueueARN, msgs)
}

// DelayedSQSEvent is SQSEvent for messages of the delayed queue.
func (s *Stack) DelayedSQSEvent(msgs []sqstypes.Message) lambdaevents.SQSEvent {
	return sqsEvent(s.DelayedQueueARN, msgs)
}

func sqsEvent(queueARN string, msgs []sqstypes.Message) lambdaevents.SQSEvent {
	var e lambdaevents.SQSEvent
	for _, m := range msgs {
		e.Records = append(e.Records, lambdaevents.SQSMessage{
			MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
			Body: aws.ToString(m.Body), Md5OfBody: aws.ToString(m.MD5OfBody), Attributes: m.Attributes,
			EventSource: "aws:sqs", EventSourceARN: queueARN, AWSRegion: "us-east-1",
		})
	}
	return e
}

// Describe returns the endpoint's status and config.
func (s *Stack) Describe(ctx context.Context) (status, config string, err error) {
	out, err := s.SageMaker.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(s.Config.Endpoint)})
	if err != nil {
		return "", "", fmt.Errorf("describe endpoint %s: %w", s.Config.Endpoint, err)
	}
	return string(out.EndpointStatus), aws.ToString(out.EndpointConfigName), nil
}

// WaitInService polls until the endpoint is InService (or timeout) and returns its config.
func (s *Stack) WaitInService(ctx context.Context, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		status, config, err := s.Describe(ctx)
		if err != nil {
			return "", err
		}
		if status == string(smtypes.EndpointStatusInService) {
			return config, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("endpoint %s still %s after %s", s.Config.Endpoint, status, timeout)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *Stack) endpointARN(ctx context.Context) (string, error) {
	out, err := s.SageMaker.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(s.Config.Endpoint)})
	if err != nil {
		return "", fmt.Errorf("describe endpoint %s: %w", s.Config.Endpoint, err)
	}
	return aws.ToString(out.EndpointArn), nil
}

// UpdateCalls returns how many UpdateEndpoint calls the emulator accepted for the endpoint.
func (s *Stack) UpdateCalls(ctx context.Context) (int, error) {
	arn, err := s.endpointARN(ctx)
	if err != nil {
		return 0, err
	}
	out, err := s.SageMaker.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
	if err != nil {
		return 0, fmt.Errorf("list tags of %s: %w", arn, err)
	}
	for _, t := range out.Tags {
		if aws.ToString(t.Key) == TagUpdateCalls {
			return strconv.Atoi(aws.ToString(t.Value))
		}
	}
	return 0, nil
}

// FailNextUpdate makes the emulator roll the endpoint's next update back with a FailureReason.
func (s *Stack) FailNextUpdate(ctx context.Context) error {
	arn, err := s.endpointARN(ctx)
	if err != nil {
		return err
	}
	if _, err := s.SageMaker.AddTags(ctx, &sagemaker.AddTagsInput{ResourceArn: aws.String(arn),
		Tags: []smtypes.Tag{{Key: aws.String(TagFailNextUpdate), Value: aws.String("true")}}}); err != nil {
		return fmt.Errorf("tag %s: %w", arn, err)
	}
	return nil
}

// RefuseNextUpdate makes the emulator answer the endpoint's next UpdateEndpoint with the error
// code (ResourceLimitExceeded, AccessDeniedException, ValidationException), changing nothing.
func (s *Stack) RefuseNextUpdate(ctx context.Context, code string) error {
	arn, err := s.endpointARN(ctx)
	if err != nil {
		return err
	}
	if _, err := s.SageMaker.AddTags(ctx, &sagemaker.AddTagsInput{ResourceArn: aws.String(arn),
		Tags: []smtypes.Tag{{Key: aws.String(TagRefuseNextUpdate), Value: aws.String(code)}}}); err != nil {
		return fmt.Errorf("tag %s: %w", arn, err)
	}
	return nil
}

// Autoscale does what Application Auto Scaling does to the endpoint:
// UpdateEndpointWeightsAndCapacities, which keeps it Updating on the same config for a while.
func (s *Stack) Autoscale(ctx context.Context, instances int32) error {
	_, err := s.SageMaker.UpdateEndpointWeightsAndCapacities(ctx, &sagemaker.UpdateEndpointWeightsAndCapacitiesInput{
		EndpointName: aws.String(s.Config.Endpoint),
		DesiredWeightsAndCapacities: []smtypes.DesiredWeightAndCapacity{{VariantName: aws.String(VariantName),
			DesiredInstanceCount: aws.Int32(instances), DesiredWeight: aws.Float32(1)}},
	})
	if err != nil {
		return fmt.Errorf("update weights and capacities of endpoint %s: %w", s.Config.Endpoint, err)
	}
	return nil
}

// Reconciler returns a refresher over the Stack's clients, writing EMF metrics to metrics and
// JSON logs to logs (either may be io.Discard).
func (s *Stack) Reconciler(metrics, logs io.Writer) *refresher.Reconciler {
	return &refresher.Reconciler{
		SageMaker: s.SageMaker,
		Store:     &refresher.Store{DB: s.DynamoDB, Table: s.Config.Table},
		Config:    s.Config,
		Logger:    slog.New(slog.NewJSONHandler(logs, nil)),
		Metrics:   &refresher.Metrics{W: metrics, Namespace: s.Config.MetricsNamespace},
	}
}

// Handler returns the Lambda handler over Reconciler(metrics, logs).
func (s *Stack) Handler(metrics, logs io.Writer) *refresher.Handler {
	r := s.Reconciler(metrics, logs)
	return &refresher.Handler{Reconciler: r, Logger: r.Logger}
}

// UploadBatch uploads n files under the watched prefix (part-0 ... part-n-1, so repeated
// batches change the same keys with newer sequencers), receives their n messages and returns
// them as the SQS event Lambda would deliver.
func (s *Stack) UploadBatch(ctx context.Context, n int) (lambdaevents.SQSEvent, error) {
	for i := range n {
		key := fmt.Sprintf("%spart-%d", s.Config.Watch.Filters[0].Prefix, i)
		if err := s.Upload(ctx, key, key+" "+time.Now().String()); err != nil {
			return lambdaevents.SQSEvent{}, err
		}
	}
	msgs, err := s.Receive(ctx, n, 10*time.Second)
	if err != nil {
		return lambdaevents.SQSEvent{}, err
	}
	return s.SQSEvent(msgs), nil
}
