package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// s3EventHarness is a bucket with EventBridge notifications whose events a rule sends to a queue.
type s3EventHarness struct {
	m      *Moto
	bucket string
	s3     *s3.Client
	sqs    *sqs.Client
	queue  string
}

func newS3EventHarness(t *testing.T, m *Moto, versioned bool) *s3EventHarness {
	t.Helper()
	ctx := context.Background()
	if err := m.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	cfg, err := m.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := &s3EventHarness{m: m, bucket: "events-bucket", s3: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), sqs: sqs.NewFromConfig(cfg)}
	eb := eventbridge.NewFromConfig(cfg)
	steps := []func() error{
		func() error { _, err := h.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &h.bucket}); return err },
		func() error {
			if !versioned {
				return nil
			}
			_, err := h.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: &h.bucket,
				VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
			return err
		},
		func() error {
			_, err := h.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{Bucket: &h.bucket,
				NotificationConfiguration: &s3types.NotificationConfiguration{EventBridgeConfiguration: &s3types.EventBridgeConfiguration{}}})
			return err
		},
		func() error {
			out, err := h.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("events")})
			if err == nil {
				h.queue = aws.ToString(out.QueueUrl)
			}
			return err
		},
		func() error {
			if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("s3"), EventPattern: aws.String(`{"source":["aws.s3"]}`)}); err != nil {
				return err
			}
			_, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("s3"), Targets: []ebtypes.Target{{Id: aws.String("q"),
				Arn: aws.String("arn:aws:sqs:" + Region + ":" + DefaultAccountID + ":events")}}})
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("set-up step %d: %v", i, err)
		}
	}
	return h
}

// s3Event is the part of an S3 EventBridge event the test checks.
type s3Event struct {
	DetailType string `json:"detail-type"`
	Time       string `json:"time"`
	Detail     struct {
		Object struct {
			Key       string `json:"key"`
			Size      *int64 `json:"size"`
			ETag      string `json:"etag"`
			Sequencer string `json:"sequencer"`
		} `json:"object"`
		Reason       string `json:"reason"`
		DeletionType string `json:"deletion-type"`
	} `json:"detail"`
}

func (h *s3EventHarness) drain(t *testing.T) []s3Event {
	t.Helper()
	ctx := context.Background()
	var got []s3Event
	for {
		out, err := h.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &h.queue, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return got
		}
		for _, m := range out.Messages {
			var e s3Event
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &e); err != nil {
				t.Fatalf("event body %s: %v", aws.ToString(m.Body), err)
			}
			got = append(got, e)
			if _, err := h.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &h.queue, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// postObject uploads body with a browser-style POST Object (multipart form) request.
func (h *s3EventHarness) postObject(t *testing.T, key, body string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.WriteField("key", key); err != nil {
		t.Fatal(err)
	}
	f, err := w.CreateFormFile("file", "upload.bin")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(f, body)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(h.m.URL+"/"+h.bucket, w.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST Object: HTTP %d", resp.StatusCode)
	}
}

// TestS3EventBridgeEvents: the emulator sends S3's EventBridge events with the reason and
// deletion-type S3 sends for each operation, and a sequencer that grows.
func TestS3EventBridgeEvents(t *testing.T) {
	ctx := context.Background()
	h := newS3EventHarness(t, moto, true)
	key := "models/churn/model v2+final=ok é.tar.gz"
	put := func(k string) {
		if _, err := h.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: &h.bucket, Key: aws.String(k), Body: strings.NewReader("model")}); err != nil {
			t.Fatal(err)
		}
	}
	multipartUpload := func(k string) {
		mp, err := h.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &h.bucket, Key: aws.String(k)})
		if err != nil {
			t.Fatal(err)
		}
		part, err := h.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: &h.bucket, Key: aws.String(k), UploadId: mp.UploadId,
			PartNumber: aws.Int32(1), Body: strings.NewReader("last part")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &h.bucket, Key: aws.String(k), UploadId: mp.UploadId,
			MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{{ETag: part.ETag, PartNumber: aws.Int32(1)}}}}); err != nil {
			t.Fatal(err)
		}
	}
	put(key)
	multipartUpload(key)
	if _, err := h.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &h.bucket, Key: aws.String("models/churn/copy.tar.gz"),
		CopySource: aws.String(h.bucket + "/models/churn/model%20v2%2Bfinal%3Dok%20%C3%A9.tar.gz")}); err != nil {
		t.Fatal(err)
	}
	h.postObject(t, "models/churn/posted.tar.gz", "posted")
	// Versioned bucket: a plain delete creates a delete marker; deleting a version of several
	// deletes it permanently.
	if _, err := h.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &h.bucket, Key: aws.String(key)}); err != nil {
		t.Fatal(err)
	}
	versions, err := h.s3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: &h.bucket, Prefix: aws.String("models/churn/copy")})
	if err != nil || len(versions.Versions) != 1 {
		t.Fatalf("versions of the copy: %v %v", versions, err)
	}
	put("models/churn/copy.tar.gz")
	if _, err := h.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &h.bucket, Key: aws.String("models/churn/copy.tar.gz"),
		VersionId: versions.Versions[0].VersionId}); err != nil {
		t.Fatal(err)
	}
	want := []struct{ detailType, key, reason, deletionType string }{
		{"Object Created", key, "PutObject", ""},
		{"Object Created", key, "CompleteMultipartUpload", ""},
		{"Object Created", "models/churn/copy.tar.gz", "CopyObject", ""},
		{"Object Created", "models/churn/posted.tar.gz", "POST Object", ""},
		{"Object Deleted", key, "DeleteObject", "Delete Marker Created"},
		{"Object Created", "models/churn/copy.tar.gz", "PutObject", ""},
		{"Object Deleted", "models/churn/copy.tar.gz", "DeleteObject", "Permanently Deleted"},
	}
	got := h.drain(t)
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(got), len(want), got)
	}
	last := ""
	for i, w := range want {
		g := got[i]
		if g.DetailType != w.detailType || g.Detail.Object.Key != w.key || g.Detail.Reason != w.reason || g.Detail.DeletionType != w.deletionType {
			t.Errorf("event %d: %s %q reason %q deletion-type %q; want %s %q reason %q deletion-type %q", i,
				g.DetailType, g.Detail.Object.Key, g.Detail.Reason, g.Detail.DeletionType, w.detailType, w.key, w.reason, w.deletionType)
		}
		if created := w.detailType == "Object Created"; created != (g.Detail.Object.Size != nil && g.Detail.Object.ETag != "") {
			t.Errorf("event %d: size %v etag %q on a %s event", i, g.Detail.Object.Size, g.Detail.Object.ETag, g.DetailType)
		}
		if _, err := time.Parse(time.RFC3339, g.Time); err != nil {
			t.Errorf("event %d: time %q: %v", i, g.Time, err)
		}
		if g.Detail.Object.Sequencer <= last {
			t.Errorf("event %d: sequencer %s not after %s", i, g.Detail.Object.Sequencer, last)
		}
		last = g.Detail.Object.Sequencer
	}
}

// TestS3EventBridgeFormEncodedKeys: a bucket tagged smcd:moto-event-key=form gets
// detail.object.key form-encoded, the other spelling AWS may deliver.
func TestS3EventBridgeFormEncodedKeys(t *testing.T) {
	ctx := context.Background()
	h := newS3EventHarness(t, moto, false)
	if _, err := h.s3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: &h.bucket, Tagging: &s3types.Tagging{
		TagSet: []s3types.Tag{{Key: aws.String(TagS3EventKey), Value: aws.String(S3EventKeyForm)}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: &h.bucket, Key: aws.String("models/a b+c%d=é~.bin"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	got := h.drain(t)
	if len(got) != 1 || got[0].Detail.Object.Key != "models/a+b%2Bc%25d%3D%C3%A9~.bin" {
		t.Fatalf("events %+v, want one with the key form-encoded", got)
	}
}
