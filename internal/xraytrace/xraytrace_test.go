package xraytrace_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-xray-sdk-go/strategy/sampling"
	"github.com/aws/aws-xray-sdk-go/xray"

	"github.com/sagemaker-cd/sagemaker-cd/internal/xraytrace"
)

// segment is the part of an X-Ray segment document the test reads.
type segment struct {
	TraceID     string `json:"trace_id"`
	Subsegments []struct {
		Name      string         `json:"name"`
		Namespace string         `json:"namespace"`
		AWS       map[string]any `json:"aws"`
	} `json:"subsegments"`
}

// traced runs one DescribeEndpoint inside an X-Ray segment, against a local SageMaker answer,
// and returns the segment document the X-Ray SDK sent to its daemon (a UDP socket here, as in
// Lambda) and the trace header the request carried.
func traced(t *testing.T, instrument bool) (segment, string) {
	t.Helper()
	daemon, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()
	always, err := sampling.NewLocalizedStrategyFromJSONBytes([]byte(`{"version": 2, "default": {"fixed_target": 0, "rate": 1}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := xray.Configure(xray.Config{DaemonAddr: daemon.LocalAddr().String(), SamplingStrategy: always}); err != nil {
		t.Fatal(err)
	}
	var header string
	sm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header = r.Header.Get("X-Amzn-Trace-Id")
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-RequestId", "req-1")
		w.Write([]byte(`{"EndpointName":"churn","EndpointArn":"arn:aws:sagemaker:eu-west-1:111222333444:endpoint/churn",` +
			`"EndpointStatus":"InService","CreationTime":1700000000,"LastModifiedTime":1700000000}`))
	}))
	defer sm.Close()

	cfg := aws.Config{Region: "eu-west-1", Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String(sm.URL)}
	if instrument {
		xraytrace.Instrument(&cfg)
	}
	ctx, seg := xray.BeginSegment(context.Background(), "refresher")
	if _, err := sagemaker.NewFromConfig(cfg).DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String("churn")}); err != nil {
		t.Fatalf("describe endpoint churn: %v", err)
	}
	seg.Close(nil)

	buf := make([]byte, 64<<10)
	daemon.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := daemon.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no segment reached the daemon: %v", err)
	}
	// A daemon packet is a JSON header line, then the segment document.
	_, doc, ok := bytes.Cut(buf[:n], []byte("\n"))
	if !ok {
		t.Fatalf("daemon packet %q: expected a header line and a segment", buf[:n])
	}
	var s segment
	if err := json.Unmarshal(doc, &s); err != nil {
		t.Fatalf("segment %s: %v", doc, err)
	}
	return s, header
}

// With Instrument, a SageMaker call is a subsegment of the caller's segment (namespace aws,
// operation, request id), and the request carries the trace downstream.
func TestInstrumentRecordsSDKCallsAsSubsegments(t *testing.T) {
	s, header := traced(t, true)
	if len(s.Subsegments) != 1 {
		t.Fatalf("segment has %d subsegments, expected 1 for DescribeEndpoint: %+v", len(s.Subsegments), s)
	}
	sub := s.Subsegments[0]
	if sub.Name != "SageMaker" || sub.Namespace != "aws" || sub.AWS["operation"] != "DescribeEndpoint" || sub.AWS["request_id"] != "req-1" {
		t.Errorf("subsegment = %+v, expected SageMaker (aws) DescribeEndpoint with request id req-1", sub)
	}
	if !strings.Contains(header, "Root="+s.TraceID) {
		t.Errorf("request trace header %q: expected the segment's trace %s", header, s.TraceID)
	}
}

// Without it, the same call leaves no trace: the subsegments come from Instrument alone.
func TestUninstrumentedCallsAreNotRecorded(t *testing.T) {
	s, header := traced(t, false)
	if len(s.Subsegments) != 0 || header != "" {
		t.Errorf("uninstrumented call: subsegments %+v, trace header %q; expected none", s.Subsegments, header)
	}
}
