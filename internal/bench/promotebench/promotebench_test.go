package promotebench_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/internal/bench/promotebench"
)

func TestRunSmall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := promotebench.RunWith(ctx, &out, promotebench.Options{Objects: 12, TotalBytes: 3 << 20, Runs: 1}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	// The promoter moves no artifact bytes; the original path moves each byte twice (down, up).
	if !regexp.MustCompile(`smcd promote \(server-side\)\s+\S+\s+1\.00x\s+0\s+\d+`).MatchString(text) {
		t.Errorf("smcd row does not show 0 artifact bytes:\n%s", text)
	}
	m := regexp.MustCompile(`original: download, zip, upload\s+\S+\s+[\d.]+x\s+(\d+)`).FindStringSubmatch(text)
	if m == nil || len(m[1]) < 7 { // at least 2 x 3 MiB = 6,291,456 bytes: 7 digits
		t.Errorf("original row does not count the downloaded and uploaded bytes:\n%s", text)
	}
	if !strings.Contains(text, "aws s3 cp --recursive") {
		t.Errorf("no awscli row:\n%s", text)
	}
}
