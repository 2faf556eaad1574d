package lambdabench_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/sagemaker-cd/sagemaker-cd/internal/bench/lambdabench"
	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { testkit.RunWithMoto(m, &moto, testkit.Options{}) }

func TestRun(t *testing.T) {
	var out bytes.Buffer
	res, err := lambdabench.Run(context.Background(), &out, lambdabench.Options{Batches: 5, BatchSize: 3, Moto: moto})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	if res.BinaryBytes < 1<<20 || res.BinaryBytes > 64<<20 || res.ZipBytes <= 0 || res.ZipBytes >= res.BinaryBytes || res.Median <= 0 || res.P99 < res.Median || res.Batches != 5 {
		t.Errorf("result %+v", res)
	}
	for _, want := range []string{"refresher Lambda binary (linux/arm64, stripped, lambda.norpc):", "handler latency per SQS batch of 3 S3 changes", "median", "p99"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
