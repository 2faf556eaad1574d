// Package lambdabench measures the refresher Lambda: the size of its stripped linux/arm64
// binary as the endpoint construct ships it, and the handler's latency per SQS batch against
// the local emulator.
package lambdabench

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sagemaker-cd/sagemaker-cd/internal/gobuild"
	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher/refreshertest"
)

// Options tune BenchLambda; zero means default.
type Options struct {
	// Batches is how many SQS batches to time (default 50).
	Batches int
	// BatchSize is the number of S3 changes per batch (default 10, the SQS event source default).
	BatchSize int
	// Moto is the emulator to use; when nil BenchLambda starts and stops its own.
	Moto *testkit.Moto
}

// Result holds the figures BenchLambda prints.
type Result struct {
	BinaryBytes int64
	// ZipBytes is the deployment package size: the binary deflated, as Lambda receives it.
	ZipBytes    int64
	Batches     int
	BatchSize   int
	Median, P99 time.Duration
}

// BenchLambda builds cmd/refresher for linux/arm64, stripped, with the lambda.norpc tag (as the
// endpoint construct does), prints its size, then times the handler on SQS batches against moto
// and prints the median and p99 latency per batch.
func BenchLambda(ctx context.Context, w io.Writer) error {
	_, err := Run(ctx, w, Options{})
	return err
}

// Run is BenchLambda with options; it also returns the figures.
func Run(ctx context.Context, w io.Writer, o Options) (Result, error) {
	if o.Batches <= 0 {
		o.Batches = 50
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 10
	}
	res := Result{Batches: o.Batches, BatchSize: o.BatchSize}
	dir, err := gobuild.Build(gobuild.Spec{Package: "github.com/sagemaker-cd/sagemaker-cd/cmd/refresher", Arch: "arm64", Tags: []string{"lambda.norpc"}})
	if err != nil {
		return res, err
	}
	bin, err := os.ReadFile(filepath.Join(dir, "bootstrap"))
	if err != nil {
		return res, fmt.Errorf("refresher binary: %w", err)
	}
	res.BinaryBytes = int64(len(bin))
	if res.ZipBytes, err = zippedSize("bootstrap", bin); err != nil {
		return res, fmt.Errorf("zip refresher binary: %w", err)
	}
	fmt.Fprintf(w, "refresher Lambda binary (linux/arm64, stripped, lambda.norpc): %.1f MiB (%d bytes); deployment zip %.1f MiB\n",
		float64(res.BinaryBytes)/(1<<20), res.BinaryBytes, float64(res.ZipBytes)/(1<<20))

	moto := o.Moto
	if moto == nil {
		if moto, err = testkit.Start(ctx, testkit.Options{}); err != nil {
			return res, err
		}
		defer moto.Stop()
	}
	cfg, err := moto.Config(ctx)
	if err != nil {
		return res, err
	}
	s, err := refreshertest.Create(ctx, cfg, refreshertest.Options{Name: fmt.Sprintf("lambdabench-%d", time.Now().UnixNano()%1000000), UpdateSeconds: 1})
	if err != nil {
		return res, err
	}
	h := lambda.NewHandler(s.Handler(io.Discard, io.Discard).Handle)
	var took []time.Duration
	for range o.Batches {
		batch, err := s.UploadBatch(ctx, o.BatchSize)
		if err != nil {
			return res, err
		}
		payload, err := json.Marshal(batch)
		if err != nil {
			return res, err
		}
		t0 := time.Now()
		out, err := h.Invoke(ctx, payload)
		d := time.Since(t0)
		if err != nil {
			return res, fmt.Errorf("handler: %w", err)
		}
		if string(out) != `{"batchItemFailures":[]}` {
			return res, fmt.Errorf("handler reported failures: %s", out)
		}
		took = append(took, d)
	}
	slices.Sort(took)
	res.Median = took[len(took)/2]
	res.P99 = took[min(len(took)-1, (len(took)*99+99)/100-1)]
	calls, err := s.UpdateCalls(ctx)
	if err != nil {
		return res, err
	}
	fmt.Fprintf(w, "handler latency per SQS batch of %d S3 changes against moto (%d batches, %d UpdateEndpoint calls): median %s, p99 %s\n",
		o.BatchSize, o.Batches, calls, res.Median.Round(100*time.Microsecond), res.P99.Round(100*time.Microsecond))
	return res, nil
}

// zippedSize is the size of a zip archive holding data as name, deflated as CDK's asset zips are.
func zippedSize(name string, data []byte) (int64, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
	if err != nil {
		return 0, err
	}
	if _, err := f.Write(data); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return int64(buf.Len()), nil
}
