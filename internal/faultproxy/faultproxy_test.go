package faultproxy_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/smithy-go"

	"github.com/sagemaker-cd/sagemaker-cd/internal/faultproxy"
	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { testkit.RunWithMoto(m, &moto, testkit.Options{}) }

// clients returns S3 and SageMaker clients that reach moto through p, with SDK retries off so a
// test sees each fault.
func clients(t *testing.T, p *faultproxy.Proxy) (*s3.Client, *sagemaker.Client) {
	t.Helper()
	cfg := moto.Via(p.URL).Fresh(t)
	cfg.RetryMaxAttempts = 1
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), sagemaker.NewFromConfig(cfg)
}

func startProxy(t *testing.T) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.Start(moto.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestS3Operation(t *testing.T) {
	copyHeader := http.Header{"X-Amz-Copy-Source": {"/src/k"}}
	tests := []struct {
		method, path, query string
		header              http.Header
		want                string
	}{
		{"GET", "/", "", nil, "ListBuckets"},
		{"PUT", "/b", "", nil, "CreateBucket"},
		{"HEAD", "/b", "", nil, "HeadBucket"},
		{"GET", "/b", "list-type=2&prefix=p", nil, "ListObjectsV2"},
		{"GET", "/b", "versions", nil, "ListObjectVersions"},
		{"PUT", "/b", "policy", nil, "PutBucketPolicy"},
		{"GET", "/b", "encryption", nil, "GetBucketEncryption"},
		{"POST", "/b", "delete", nil, "DeleteObjects"},
		{"PUT", "/b/k", "", nil, "PutObject"},
		{"PUT", "/b/dir/k", "", copyHeader, "CopyObject"},
		{"PUT", "/b/k", "tagging", nil, "PutObjectTagging"},
		{"POST", "/b/k", "uploads", nil, "CreateMultipartUpload"},
		{"PUT", "/b/k", "partNumber=1&uploadId=u", nil, "UploadPart"},
		{"PUT", "/b/k", "partNumber=1&uploadId=u", copyHeader, "UploadPartCopy"},
		{"POST", "/b/k", "uploadId=u", nil, "CompleteMultipartUpload"},
		{"DELETE", "/b/k", "uploadId=u", nil, "AbortMultipartUpload"},
		{"GET", "/b/k", "uploadId=u", nil, "ListParts"},
		{"DELETE", "/b/k", "", nil, "DeleteObject"},
		{"GET", "/b/k", "tagging", nil, "GetObjectTagging"},
		{"GET", "/b/k", "", nil, "GetObject"},
		{"HEAD", "/b/k", "versionId=v", nil, "HeadObject"},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		h := tt.header
		if h == nil {
			h = http.Header{}
		}
		if got := faultproxy.S3Operation(tt.method, tt.path, q, h); got != tt.want {
			t.Errorf("S3Operation(%s %s?%s) = %s, want %s", tt.method, tt.path, tt.query, got, tt.want)
		}
	}
}

func TestClassify(t *testing.T) {
	json, _ := http.NewRequest("POST", "http://x/", nil)
	json.Header.Set("X-Amz-Target", "DynamoDB_20120810.PutItem")
	query, _ := http.NewRequest("POST", "http://x/", nil)
	query.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	s3req, _ := http.NewRequest("POST", "http://x/b/k?uploads", nil)
	tests := []struct {
		req       *http.Request
		body      string
		wantProto faultproxy.Protocol
		wantOp    string
	}{
		{json, "{}", faultproxy.JSON, "PutItem"},
		{query, "Action=AssumeRole&Version=2011-06-15", faultproxy.Query, "AssumeRole"},
		{s3req, "", faultproxy.RESTXML, "CreateMultipartUpload"},
	}
	for _, tt := range tests {
		proto, op := faultproxy.Classify(tt.req, []byte(tt.body))
		if proto != tt.wantProto || op != tt.wantOp {
			t.Errorf("Classify(%s %s) = %v %s, want %v %s", tt.req.Method, tt.req.URL, proto, op, tt.wantProto, tt.wantOp)
		}
	}
}

// Each fault reaches the SDK as AWS would show it, and the server state tells whether the call
// was applied.
func TestFaults(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		fault       faultproxy.Fault
		wantCode    string // API error code the SDK reports ("" for a transport error)
		wantApplied bool
	}{
		{faultproxy.InternalError, "InternalError", false},
		{faultproxy.SlowDown, "SlowDown", false},
		{faultproxy.ResetBefore, "", false},
		{faultproxy.ResetAfter, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			p := startProxy(t)
			s3c, _ := clients(t, p)
			if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bucket-1")}); err != nil {
				t.Fatal(err)
			}
			p.Add(faultproxy.Rule{Operation: "PutObject", Calls: []int{1}, Fault: tt.fault})
			_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket-1"), Key: aws.String("k"), Body: bytes.NewReader([]byte("x"))})
			var api smithy.APIError
			switch {
			case err == nil:
				t.Fatalf("PutObject through %s: no error", tt.fault)
			case tt.wantCode != "" && (!errors.As(err, &api) || api.ErrorCode() != tt.wantCode):
				t.Fatalf("PutObject through %s: %v, want API error %s", tt.fault, err, tt.wantCode)
			case tt.wantCode == "" && errors.As(err, &api):
				t.Fatalf("PutObject through %s: API error %v, want a connection error", tt.fault, err)
			}
			_, headErr := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bucket-1"), Key: aws.String("k")})
			if applied := headErr == nil; applied != tt.wantApplied {
				t.Fatalf("after %s the object exists = %v, want %v (HeadObject: %v)", tt.fault, applied, tt.wantApplied, headErr)
			}
			if n := p.Count("PutObject"); n != 1 {
				t.Fatalf("Count(PutObject) = %d, want 1", n)
			}
			// The rule selected only the first call: the next one passes.
			if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket-1"), Key: aws.String("k"), Body: bytes.NewReader([]byte("x"))}); err != nil {
				t.Fatalf("second PutObject: %v", err)
			}
		})
	}
}

func TestJSONProtocolErrors(t *testing.T) {
	ctx := context.Background()
	p := startProxy(t)
	_, sm := clients(t, p)
	p.Add(faultproxy.Rule{Operation: "ListModelPackageGroups", Calls: []int{1}, Fault: faultproxy.SlowDown},
		faultproxy.Rule{Operation: "ListModelPackageGroups", Calls: []int{2}, Fault: faultproxy.InternalError})
	for _, want := range []string{"ThrottlingException", "InternalFailure"} {
		_, err := sm.ListModelPackageGroups(ctx, &sagemaker.ListModelPackageGroupsInput{})
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != want {
			t.Fatalf("ListModelPackageGroups: %v, want %s", err, want)
		}
	}
	if _, err := sm.ListModelPackageGroups(ctx, &sagemaker.ListModelPackageGroupsInput{}); err != nil {
		t.Fatalf("third ListModelPackageGroups: %v", err)
	}
	calls := p.Calls()
	if len(calls) != 3 || calls[0].Fault != faultproxy.SlowDown || calls[1].Fault != faultproxy.InternalError || calls[2].Fault != faultproxy.Pass {
		t.Fatalf("Calls() = %+v, want SlowDown, InternalError, Pass", calls)
	}
}

func TestSlow(t *testing.T) {
	ctx := context.Background()
	p := startProxy(t)
	_, sm := clients(t, p)
	const delay = 300 * time.Millisecond
	p.Add(faultproxy.Rule{Operation: "ListModelPackageGroups", Fault: faultproxy.Slow, Delay: delay})
	start := time.Now()
	if _, err := sm.ListModelPackageGroups(ctx, &sagemaker.ListModelPackageGroupsInput{}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < delay {
		t.Fatalf("slow answer took %v, want at least %v", took, delay)
	}
	short, cancel := context.WithTimeout(ctx, delay/3)
	defer cancel()
	_, err := sm.ListModelPackageGroups(short, &sagemaker.ListModelPackageGroupsInput{})
	if err == nil || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("ListModelPackageGroups with a deadline shorter than the delay: %v, want a deadline error", err)
	}
}

func TestStartRejectsBadTarget(t *testing.T) {
	if _, err := faultproxy.Start("127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("Start with a target without scheme: %v, want an error naming it", err)
	}
}

// TestLatency: every forwarded call waits the delay, a CopyObject also its source's bytes at the
// copy rate (as SizeOf tells them) and an UploadPartCopy its range's; calls are counted by
// protocol. Only lower bounds are checked: a loaded machine makes calls slower, never faster.
func TestLatency(t *testing.T) {
	ctx := context.Background()
	p := startProxy(t)
	s3c, sm := clients(t, p)
	const (
		delay = 100 * time.Millisecond
		rate  = 1 << 20 // 1 MiB/s: 256 KiB take 250 ms
		size  = 256 << 10
	)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("models")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("models"), Key: aws.String("a b/model.tar.gz"), Body: bytes.NewReader(make([]byte, size))}); err != nil {
		t.Fatal(err)
	}
	var asked []string
	p.SetLatency(faultproxy.Latency{Delay: delay, CopyRate: rate, SizeOf: func(bucket, key string) int64 {
		asked = append(asked, bucket+"/"+key)
		return size
	}})
	p.Reset() // keeps the latency
	timed := func(name string, want time.Duration, call func() error) {
		t.Helper()
		start := time.Now()
		if err := call(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if took := time.Since(start); took < want {
			t.Errorf("%s took %v, want at least %v", name, took, want)
		}
	}
	timed("ListModelPackageGroups", delay, func() error {
		_, err := sm.ListModelPackageGroups(ctx, &sagemaker.ListModelPackageGroupsInput{})
		return err
	})
	timed("CopyObject", delay+250*time.Millisecond, func() error {
		_, err := s3c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("models"), Key: aws.String("copy"), CopySource: aws.String("models/a%20b/model.tar.gz")})
		return err
	})
	if len(asked) != 1 || asked[0] != "models/a b/model.tar.gz" {
		t.Errorf("SizeOf asked for %q, want the decoded copy source once", asked)
	}
	up, err := s3c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("models"), Key: aws.String("parts")})
	if err != nil {
		t.Fatal(err)
	}
	timed("UploadPartCopy of 128 KiB", delay+125*time.Millisecond, func() error {
		_, err := s3c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("models"), Key: aws.String("parts"), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), CopySource: aws.String("models/a%20b/model.tar.gz"), CopySourceRange: aws.String("bytes=0-131071")})
		return err
	})
	if got, want := p.CountProtocol(faultproxy.RESTXML), 3; got != want {
		t.Errorf("S3 calls counted = %d, want %d (CopyObject, CreateMultipartUpload, UploadPartCopy)", got, want)
	}
	if got := p.CountProtocol(faultproxy.JSON); got != 1 {
		t.Errorf("JSON calls counted = %d, want 1", got)
	}
	calls := p.Calls()
	if len(calls) != 4 || calls[0].Protocol != faultproxy.JSON || calls[1].Protocol != faultproxy.RESTXML {
		t.Errorf("Calls() = %+v, want the SageMaker call as JSON then S3 calls as RESTXML", calls)
	}
}
