package refresher_test

import (
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher/refreshertest"
)

// BenchmarkHandlerSQSBatch measures the handler's latency for one SQS batch of 10 S3 changes
// against moto over HTTP: decode, one conditional write for the changes, one reconcile pass
// (GetItem, DescribeEndpoint, and PutItem/UpdateEndpoint when the endpoint is ready).
// Producing the batch (uploads, SQS receive) is not timed.
func BenchmarkHandlerSQSBatch(b *testing.B) {
	ctx := context.Background()
	s := newStack(b, refreshertest.Options{Name: "bench", UpdateSeconds: 1})
	h := lambda.NewHandler(s.Handler(io.Discard, io.Discard).Handle)
	for b.Loop() {
		b.StopTimer()
		batch, err := s.UploadBatch(ctx, 10)
		if err != nil {
			b.Fatal(err)
		}
		payload, _ := json.Marshal(batch)
		b.StartTimer()
		out, err := h.Invoke(ctx, payload)
		if err != nil {
			b.Fatal(err)
		}
		if string(out) != `{"batchItemFailures":[]}` {
			b.Fatalf("response %s", out)
		}
	}
}
