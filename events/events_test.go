package events_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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

func decodeFile(t *testing.T, name string) lambdaevents.CloudWatchEvent {
	t.Helper()
	e, err := events.Decode(readFile(t, name))
	if err != nil {
		t.Fatalf("Decode(%s): %v", name, err)
	}
	return e
}

func TestS3Fixtures(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	tests := []struct {
		file   string
		reason string
		want   events.S3ObjectChange
	}{
		{"s3-object-created.json", events.ReasonPutObject, events.S3ObjectChange{
			Bucket: "models-bucket", Key: "churn/model.tar.gz", Sequencer: "617f08299329d189", At: at("2021-11-12T00:00:00Z")}},
		{"s3-object-created-multipart.json", events.ReasonCompleteMultipartUpload, events.S3ObjectChange{
			Bucket: "models-bucket", Key: "churn/model.tar.gz", Sequencer: "00665D8E2D1A3F5B27", At: at("2024-06-03T08:41:17Z")}},
		{"s3-object-created-copy.json", events.ReasonCopyObject, events.S3ObjectChange{
			Bucket: "models-bucket", Key: "churn/model.tar.gz", Sequencer: "00665D9335E7A1C4B0", At: at("2024-06-03T09:02:45Z")}},
		{"s3-object-created-post.json", events.ReasonPostObject, events.S3ObjectChange{
			Bucket: "models-bucket", Key: "churn/model card (v2)+notes=final é.json", Sequencer: "00665D96163B2E8D47", At: at("2024-06-03T09:15:02Z")}},
		{"s3-object-deleted.json", events.ReasonDeleteObject, events.S3ObjectChange{
			Bucket: "models-bucket", Key: "churn/model.tar.gz", Sequencer: "617f0837b476e463", Deleted: true, At: at("2021-11-12T00:00:00Z")}},
		{"s3-object-deleted-permanently.json", events.ReasonDeleteObject, events.S3ObjectChange{
			Bucket: "models-bucket", Key: "churn/model.tar.gz", Sequencer: "00665EF1A8D4C2B6E9", Deleted: true, At: at("2024-06-04T12:00:00Z")}},
		{"s3-object-deleted-lifecycle.json", events.ReasonLifecycleExpiration, events.S3ObjectChange{
			Bucket: "models-bucket", Key: "churn/model.tar.gz", Sequencer: "00665FB7C000000000", Deleted: true, At: at("2024-06-05T00:00:00Z")}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			e := decodeFile(t, tt.file)
			if got := events.Classify(e); got != events.KindS3Object {
				t.Errorf("Classify = %v, want %v", got, events.KindS3Object)
			}
			var d events.S3ObjectDetail
			if err := json.Unmarshal(e.Detail, &d); err != nil {
				t.Fatal(err)
			}
			if d.Reason != tt.reason {
				t.Errorf("reason = %q, want %q", d.Reason, tt.reason)
			}
			if tt.want.Deleted != (d.DeletionType != "") {
				t.Errorf("deletion-type = %q on a deleted=%v event", d.DeletionType, tt.want.Deleted)
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

func TestEndpointStateChangeFixtures(t *testing.T) {
	tests := []struct {
		file         string
		status       events.EndpointStatus
		config       string
		reason       bool
		lastModified int64
	}{
		// Floats, and an envelope time in epoch milliseconds, as in SageMaker's sample.
		{"sagemaker-endpoint-in-service.json", events.EndpointStatusInService, "churn-config-b", false, 1717192194000},
		// Exponent form and FailureReason null.
		{"sagemaker-endpoint-updating.json", events.EndpointStatusUpdating, "churn-config-a", false, 1717191892000},
		{"sagemaker-endpoint-failed.json", events.EndpointStatusFailed, "churn-config-a", true, 1717192394000},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			e := decodeFile(t, tt.file)
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
			if ms := got.LastModifiedTime.UnixMilli(); ms != tt.lastModified {
				t.Errorf("LastModifiedTime = %d ms, want %d", ms, tt.lastModified)
			}
			if _, err := events.ParseS3Object(e); err == nil {
				t.Error("ParseS3Object accepted a SageMaker event")
			}
		})
	}
}

func TestModelPackageFixtures(t *testing.T) {
	created := time.Date(2026, 11, 20, 9, 2, 16, 0, time.UTC)
	tests := []struct {
		file   string
		status events.ModelApprovalStatus
	}{
		{"sagemaker-model-package-approved.json", events.ModelApprovalStatusApproved},
		// The published sample repeats "source", the second time as an array.
		{"sagemaker-model-package-rejected.json", events.ModelApprovalStatusRejected},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			e := decodeFile(t, tt.file)
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
				ModelApprovalStatus: tt.status, ModelPackageStatus: "Completed", CreationTime: events.NewTimestamp(created),
			}
			if got != want {
				t.Fatalf("ParseModelPackageStateChange = %+v, want %+v", got, want)
			}
		})
	}
}

func TestTimestampForms(t *testing.T) {
	ms := time.UnixMilli(1592411992203).UTC()
	tests := []struct {
		json string
		want time.Time
	}{
		{`1592411992203`, ms},
		{`1592411992203.0`, ms},
		{`1.592411992203E12`, ms},
		{`1.592411992203e+12`, ms},
		{`"1592411992203"`, ms},
		{`"1592411992203.0"`, ms},
		{`"2020-06-17T16:39:52.203Z"`, ms},
		{`"2020-06-17T18:39:52.203+02:00"`, ms},
		{`"2021-02-24T17:00:14Z"`, time.Date(2021, 2, 24, 17, 0, 14, 0, time.UTC)},
		{`"2021-02-24T17:00:14"`, time.Date(2021, 2, 24, 17, 0, 14, 0, time.UTC)},
		{`null`, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			var got events.Timestamp
			if err := json.Unmarshal([]byte(tt.json), &got); err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("got %v, want %v", got.Time, tt.want)
			}
		})
	}
	for _, bad := range []string{`"yesterday"`, `true`, `{}`, `"1e400"`} {
		var got events.Timestamp
		if err := json.Unmarshal([]byte(bad), &got); err == nil {
			t.Errorf("%s: no error, got %v", bad, got.Time)
		}
	}
	b, err := json.Marshal(events.NewTimestamp(ms))
	if err != nil || string(b) != "1592411992203.0" {
		t.Errorf("Marshal = %s, %v; want SageMaker's float form 1592411992203.0", b, err)
	}
}

// TestUnusedMembersNeverFail: a wake-up is never lost to a member the runtime does not read,
// whatever its type.
func TestUnusedMembersNeverFail(t *testing.T) {
	body := `{"version":0,"id":7,"detail-type":"SageMaker Endpoint State Change","source":"aws.sagemaker",
	  "account":123,"time":{"at":"now"},"region":null,"resources":"arn",
	  "detail":{"EndpointName":"churn","EndpointStatus":"IN_SERVICE","FailureReason":{"code":1},
	    "EndpointConfigName":7,"CreationTime":"soon","LastModifiedTime":[1],"ProductionVariants":"none","Tags":[]}}`
	e, err := events.Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	d, err := events.ParseEndpointStateChange(e)
	if err != nil {
		t.Fatal(err)
	}
	if d.EndpointName != "churn" || d.EndpointStatus != events.EndpointStatusInService || d.FailureReason != "" || d.EndpointConfigName != "" || !d.LastModifiedTime.IsZero() {
		t.Errorf("got %+v", d)
	}
	mp := `{"detail-type":"SageMaker Model Package State Change","source":"aws.sagemaker","detail":{
	  "ModelPackageGroupName":"churn","ModelPackageArn":"arn:aws:sagemaker:eu-west-1:444333666777:model-package/churn/2",
	  "ModelApprovalStatus":"Approved","ModelPackageVersion":"two","CreationTime":{}}}`
	e, err = events.Decode([]byte(mp))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := events.ParseModelPackageStateChange(e); err != nil {
		t.Fatal(err)
	}
}

func TestEndpointStateChangeMarshal(t *testing.T) {
	in := events.EndpointStateChangeDetail{EndpointName: "churn", EndpointConfigName: "churn-config-a",
		EndpointStatus: events.EndpointStatusUpdating, LastModifiedTime: events.NewTimestamp(time.UnixMilli(1717191892000))}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"LastModifiedTime":1717191892000.0`) {
		t.Errorf("marshalled %s, want LastModifiedTime in SageMaker's float form", b)
	}
	var out events.EndpointStateChangeDetail
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.EndpointName != in.EndpointName || out.EndpointStatus != in.EndpointStatus || !out.LastModifiedTime.Equal(in.LastModifiedTime.Time) {
		t.Errorf("round trip: %+v, want %+v", out, in)
	}
}

func TestScheduleFixture(t *testing.T) {
	if got := events.Classify(decodeFile(t, "schedule-rate-5-minutes.json")); got != events.KindSchedule {
		t.Errorf("Classify = %v, want schedule", got)
	}
}

func TestSQSBatchFixture(t *testing.T) {
	var batch lambdaevents.SQSEvent
	if err := json.Unmarshal(readFile(t, "sqs-batch.json"), &batch); err != nil {
		t.Fatal(err)
	}
	want := []events.Kind{events.KindS3Object, events.KindS3Object, events.KindEndpointStateChange}
	if len(batch.Records) != len(want) {
		t.Fatalf("%d records, want %d", len(batch.Records), len(want))
	}
	for i, r := range batch.Records {
		e, err := events.Decode([]byte(r.Body))
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if got := events.Classify(e); got != want[i] {
			t.Errorf("record %d: kind %v, want %v", i, got, want[i])
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, body := range []string{`[1]`, `null`, `"event"`, `{"detail-type":"Object Created"}`, `{"source":"aws.s3"}`,
		`{"source":["aws.s3","aws.sagemaker"],"detail-type":"Object Created"}`, `{"source":"aws.s3","detail-type":`} {
		if _, err := events.Decode([]byte(body)); err == nil {
			t.Errorf("Decode(%s): no error", body)
		}
	}
}

func TestParseErrors(t *testing.T) {
	s3 := func(detail string) lambdaevents.CloudWatchEvent {
		return lambdaevents.CloudWatchEvent{Source: events.SourceS3, DetailType: events.DetailTypeObjectCreated, Time: time.Now(), Detail: json.RawMessage(detail)}
	}
	tests := []struct {
		name  string
		event lambdaevents.CloudWatchEvent
		parse func(lambdaevents.CloudWatchEvent) error
	}{
		{"s3 detail not an object", s3(`[1]`),
			func(e lambdaevents.CloudWatchEvent) error { _, err := events.ParseS3Object(e); return err }},
		{"s3 detail without key", s3(`{"bucket":{"name":"b"}}`),
			func(e lambdaevents.CloudWatchEvent) error { _, err := events.ParseS3Object(e); return err }},
		{"s3 key not a string", s3(`{"bucket":{"name":"b"},"object":{"key":7}}`),
			func(e lambdaevents.CloudWatchEvent) error { _, err := events.ParseS3Object(e); return err }},
		{"s3 event without a time", lambdaevents.CloudWatchEvent{Source: events.SourceS3, DetailType: events.DetailTypeObjectCreated,
			Detail: json.RawMessage(`{"bucket":{"name":"b"},"object":{"key":"k","sequencer":"1"}}`)},
			func(e lambdaevents.CloudWatchEvent) error { _, err := events.ParseS3Object(e); return err }},
		{"other s3 detail type", lambdaevents.CloudWatchEvent{Source: events.SourceS3, DetailType: "Object Restore Completed", Detail: json.RawMessage(`{}`)},
			func(e lambdaevents.CloudWatchEvent) error { _, err := events.ParseS3Object(e); return err }},
		{"state change without name", lambdaevents.CloudWatchEvent{Source: events.SourceSageMaker, DetailType: events.DetailTypeEndpointStateChange, Detail: json.RawMessage(`{"EndpointStatus":"FAILED"}`)},
			func(e lambdaevents.CloudWatchEvent) error { _, err := events.ParseEndpointStateChange(e); return err }},
		{"state change detail not an object", lambdaevents.CloudWatchEvent{Source: events.SourceSageMaker, DetailType: events.DetailTypeEndpointStateChange, Detail: json.RawMessage(`"churn"`)},
			func(e lambdaevents.CloudWatchEvent) error { _, err := events.ParseEndpointStateChange(e); return err }},
		{"model package event of an endpoint", lambdaevents.CloudWatchEvent{Source: events.SourceSageMaker, DetailType: events.DetailTypeEndpointStateChange, Detail: json.RawMessage(`{}`)},
			func(e lambdaevents.CloudWatchEvent) error {
				_, err := events.ParseModelPackageStateChange(e)
				return err
			}},
		{"model package without ARN", lambdaevents.CloudWatchEvent{Source: events.SourceSageMaker, DetailType: events.DetailTypeModelPackageStateChange, Detail: json.RawMessage(`{"ModelPackageGroupName":"churn"}`)},
			func(e lambdaevents.CloudWatchEvent) error {
				_, err := events.ParseModelPackageStateChange(e)
				return err
			}},
		{"model package detail not an object", lambdaevents.CloudWatchEvent{Source: events.SourceSageMaker, DetailType: events.DetailTypeModelPackageStateChange, Detail: json.RawMessage(`[]`)},
			func(e lambdaevents.CloudWatchEvent) error {
				_, err := events.ParseModelPackageStateChange(e)
				return err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.parse(tt.event); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestKeyForms(t *testing.T) {
	tests := []struct {
		key  string
		want []string
	}{
		{"churn/model.tar.gz", []string{"churn/model.tar.gz", "churn%2Fmodel.tar.gz"}},
		{"model.tar.gz", []string{"model.tar.gz"}},
		{"my models/v 1+2%=é/", []string{"my models/v 1+2%=é/", "my+models/v+1%2B2%25%3D%C3%A9/", "my+models%2Fv+1%2B2%25%3D%C3%A9%2F"}},
	}
	for _, tt := range tests {
		got := events.KeyForms(tt.key)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("KeyForms(%q) = %q, want %q", tt.key, got, tt.want)
		}
		for _, f := range got {
			if d, ok := events.DecodeKey(f); f != tt.key && (!ok || d != tt.key) {
				t.Errorf("DecodeKey(%q) = %q, %v; want %q", f, d, ok, tt.key)
			}
		}
	}
	if _, ok := events.DecodeKey("100%"); ok {
		t.Error(`DecodeKey("100%") decoded an invalid form encoding`)
	}
}
