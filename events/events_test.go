package events_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/sagemaker-cd/sagemaker-cd/events"
)

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assertJSONEqual compares two JSON documents by value.
func assertJSONEqual(t *testing.T, want, got []byte) {
	t.Helper()
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want: %v", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got: %v", err)
	}
	if !reflect.DeepEqual(w, g) {
		t.Errorf("round trip changed the payload:\nwant %s\ngot  %s", want, got)
	}
}

// roundTrip decodes raw into a CloudWatchEvent whose detail is decoded into detail, encodes both
// again and checks nothing was lost or added.
func roundTrip(t *testing.T, raw []byte, detail any) lambdaevents.CloudWatchEvent {
	t.Helper()
	var e lambdaevents.CloudWatchEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(e.Detail, detail); err != nil {
		t.Fatal(err)
	}
	d, err := json.Marshal(detail)
	if err != nil {
		t.Fatal(err)
	}
	assertJSONEqual(t, e.Detail, d)
	e2 := e
	e2.Detail = d
	out, err := json.Marshal(e2)
	if err != nil {
		t.Fatal(err)
	}
	assertJSONEqual(t, raw, out)
	return e
}

func TestS3RoundTrip(t *testing.T) {
	tests := []struct {
		file      string
		kind      events.Kind
		want      events.S3ObjectChange
		wantSize  bool
		wantEvent string
	}{
		{"s3-object-created.json", events.KindS3Object, events.S3ObjectChange{
			Bucket: "models-bucket", Key: "churn/model.tar.gz", Sequencer: "617f08299329d189",
			At: time.Date(2021, 11, 12, 0, 0, 0, 0, time.UTC)}, true, events.DetailTypeObjectCreated},
		{"s3-object-deleted.json", events.KindS3Object, events.S3ObjectChange{
			Bucket: "models-bucket", Key: "churn/model.tar.gz", Sequencer: "617f0837b476e463", Deleted: true,
			At: time.Date(2021, 11, 12, 0, 0, 0, 0, time.UTC)}, false, events.DetailTypeObjectDeleted},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var d events.S3ObjectDetail
			e := roundTrip(t, readFile(t, tt.file), &d)
			if got := events.Classify(e); got != tt.kind {
				t.Errorf("Classify = %v, want %v", got, tt.kind)
			}
			if e.DetailType != tt.wantEvent {
				t.Errorf("detail-type = %q, want %q", e.DetailType, tt.wantEvent)
			}
			if (d.Object.Size != nil) != tt.wantSize {
				t.Errorf("size present = %v, want %v", d.Object.Size != nil, tt.wantSize)
			}
			got, err := events.ParseS3Object(e)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseS3Object = %+v, want %+v", got, tt.want)
			}
			if _, err := events.ParseEndpointStateChange(e); err == nil {
				t.Error("ParseEndpointStateChange accepted an S3 event")
			}
		})
	}
}

func TestEndpointStateChangeRoundTrip(t *testing.T) {
	tests := []struct {
		file   string
		status events.EndpointStatus
		config string
		reason bool
	}{
		{"sagemaker-endpoint-in-service.json", events.EndpointStatusInService, "churn-config-b", false},
		{"sagemaker-endpoint-updating.json", events.EndpointStatusUpdating, "churn-config-a", false},
		{"sagemaker-endpoint-failed.json", events.EndpointStatusFailed, "churn-config-a", true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var d events.EndpointStateChangeDetail
			e := roundTrip(t, readFile(t, tt.file), &d)
			if got := events.Classify(e); got != events.KindEndpointStateChange {
				t.Errorf("Classify = %v", got)
			}
			got, err := events.ParseEndpointStateChange(e)
			if err != nil {
				t.Fatal(err)
			}
			if got.EndpointStatus != tt.status || got.EndpointConfigName != tt.config || got.EndpointName != "churn" {
				t.Errorf("got status %q config %q name %q", got.EndpointStatus, got.EndpointConfigName, got.EndpointName)
			}
			if (got.FailureReason != "") != tt.reason {
				t.Errorf("FailureReason = %q", got.FailureReason)
			}
			if got.LastModified().Year() != 2024 {
				t.Errorf("LastModified = %v", got.LastModified())
			}
			if len(got.ProductionVariants) != 1 || got.ProductionVariants[0].VariantName != "AllTraffic" {
				t.Errorf("variants = %+v", got.ProductionVariants)
			}
			if _, err := events.ParseS3Object(e); err == nil {
				t.Error("ParseS3Object accepted a SageMaker event")
			}
		})
	}
}

func TestScheduleRoundTrip(t *testing.T) {
	var d map[string]any
	e := roundTrip(t, readFile(t, "schedule-rate-5-minutes.json"), &d)
	if got := events.Classify(e); got != events.KindSchedule {
		t.Errorf("Classify = %v, want schedule", got)
	}
}

func TestSQSBatchRoundTrip(t *testing.T) {
	raw := readFile(t, "sqs-batch.json")
	var batch lambdaevents.SQSEvent
	if err := json.Unmarshal(raw, &batch); err != nil {
		t.Fatal(err)
	}
	// aws-lambda-go writes md5OfMessageAttributes even when empty, so compare decoded values.
	out, err := json.Marshal(batch)
	if err != nil {
		t.Fatal(err)
	}
	var again lambdaevents.SQSEvent
	if err := json.Unmarshal(out, &again); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(batch, again) {
		t.Errorf("round trip changed the batch:\nwant %+v\ngot  %+v", batch, again)
	}
	want := []events.Kind{events.KindS3Object, events.KindS3Object, events.KindEndpointStateChange}
	if len(batch.Records) != len(want) {
		t.Fatalf("%d records, want %d", len(batch.Records), len(want))
	}
	for i, r := range batch.Records {
		var e lambdaevents.CloudWatchEvent
		if err := json.Unmarshal([]byte(r.Body), &e); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if got := events.Classify(e); got != want[i] {
			t.Errorf("record %d: kind %v, want %v", i, got, want[i])
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		event lambdaevents.CloudWatchEvent
		parse func(lambdaevents.CloudWatchEvent) error
	}{
		{"s3 detail not an object", lambdaevents.CloudWatchEvent{Source: events.SourceS3, DetailType: events.DetailTypeObjectCreated, Detail: json.RawMessage(`[1]`)},
			func(e lambdaevents.CloudWatchEvent) error { _, err := events.ParseS3Object(e); return err }},
		{"s3 detail without key", lambdaevents.CloudWatchEvent{Source: events.SourceS3, DetailType: events.DetailTypeObjectCreated, Detail: json.RawMessage(`{"bucket":{"name":"b"}}`)},
			func(e lambdaevents.CloudWatchEvent) error { _, err := events.ParseS3Object(e); return err }},
		{"other s3 detail type", lambdaevents.CloudWatchEvent{Source: events.SourceS3, DetailType: "Object Restore Completed", Detail: json.RawMessage(`{}`)},
			func(e lambdaevents.CloudWatchEvent) error { _, err := events.ParseS3Object(e); return err }},
		{"state change without name", lambdaevents.CloudWatchEvent{Source: events.SourceSageMaker, DetailType: events.DetailTypeEndpointStateChange, Detail: json.RawMessage(`{"EndpointStatus":"FAILED"}`)},
			func(e lambdaevents.CloudWatchEvent) error { _, err := events.ParseEndpointStateChange(e); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.parse(tt.event); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestModelPackageStateChange(t *testing.T) {
	var detail events.ModelPackageStateChangeDetail
	e := roundTrip(t, readFile(t, "sagemaker-model-package-approved.json"), &detail)
	if got := events.Classify(e); got != events.KindModelPackageStateChange {
		t.Fatalf("Classify = %v, want %v", got, events.KindModelPackageStateChange)
	}
	got, err := events.ParseModelPackageStateChange(e)
	if err != nil {
		t.Fatal(err)
	}
	want := events.ModelPackageStateChangeDetail{
		ModelPackageGroupName: "churn", ModelPackageVersion: 2,
		ModelPackageArn:     "arn:aws:sagemaker:eu-west-1:444333666777:model-package/churn/2",
		ModelApprovalStatus: events.ModelApprovalStatusApproved, ModelPackageStatus: "Completed", CreationTime: 1795338736000,
	}
	if got != want {
		t.Fatalf("ParseModelPackageStateChange = %+v, want %+v", got, want)
	}

	for _, tc := range []struct {
		name   string
		mutate func(*lambdaevents.CloudWatchEvent)
	}{
		{"endpoint event", func(e *lambdaevents.CloudWatchEvent) { e.DetailType = events.DetailTypeEndpointStateChange }},
		{"no ARN", func(e *lambdaevents.CloudWatchEvent) { e.Detail = json.RawMessage(`{"ModelPackageGroupName":"churn"}`) }},
		{"bad detail", func(e *lambdaevents.CloudWatchEvent) { e.Detail = json.RawMessage(`{"ModelPackageVersion":"two"}`) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := e
			tc.mutate(&bad)
			if _, err := events.ParseModelPackageStateChange(bad); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}
