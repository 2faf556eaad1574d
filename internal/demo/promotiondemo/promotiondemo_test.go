package promotiondemo_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/internal/demo/promotiondemo"
	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { testkit.RunWithMoto(m, &moto, testkit.Options{}) }

func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := promotiondemo.Run(ctx, &out, moto); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"arn:aws:sagemaker:us-east-1:444333666777:model-package/churn/2 is the newest Approved package (version 2",
		"version 3 is newer but Rejected",
		"copied s3://mlops-source-444333666777/churn/v2/model.tar.gz\n      -> s3://mlops-target-123456789012/churn/2/mlops-source-444333666777/churn/v2/model.tar.gz",
		"2 UploadPartCopy parts in parallel, verified (size + CRC32)",
		"churn/v2/evaluation/statistics.json",
		"registered arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/1",
		"lineage smcd:source-model-package-arn = arn:aws:sagemaker:us-east-1:444333666777:model-package/churn/2",
		"the target registry now holds version 2 with 2 copied, verified artifacts",
		"already up to date",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "churn/v1/") && strings.Contains(text, "copied s3://mlops-source-444333666777/churn/v1") {
		t.Errorf("demo copied v1:\n%s", text)
	}
}
