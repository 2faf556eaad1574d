package promotebench_test

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/internal/bench/promotebench"
)

// TestRunSmall runs every table on a small configuration and checks what the tables claim: smcd
// moves no artifact bytes and sends one CopyObject per object and no HeadObject, the original
// path moves every byte, awscli is measured, and the big-object table models parts faster than
// one CopyObject.
func TestRunSmall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out bytes.Buffer
	opts := promotebench.Options{Objects: 12, MinSize: 200 << 10, MaxSize: 300 << 10, Runs: 1, Delays: []time.Duration{0, 5 * time.Millisecond},
		Existing: []int{0, 3}, ThresholdSizes: []int64{16 << 20}, BigSizes: []int64{64 << 20}, ModelScale: 50}
	if err := promotebench.RunWith(ctx, &out, opts); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	// delay, method, wall, ratio, S3 requests, per object, HeadObject, SageMaker, artifact bytes
	smcd := regexp.MustCompile(`5ms\s+smcd promote\s+\S+\s+[\d.]+x\s+(\d+)\s+([\d.]+)\s+(\d+)\s+\d+\s+(\d+)`).FindStringSubmatch(text)
	if smcd == nil {
		t.Fatalf("no smcd row at 5ms:\n%s", text)
	}
	if s3, _ := strconv.Atoi(smcd[1]); s3 < 12 || s3 > 15 || smcd[3] != "0" || smcd[4] != "0" {
		t.Errorf("smcd row %q: want 12-15 S3 requests for 12 objects (listing, copies, sweep, GetBucketEncryption), no HeadObject, 0 artifact bytes\n%s", smcd[0], text)
	}
	m := regexp.MustCompile(`original: download, zip, upload\s+\S+\s+[\d.]+x\s+\d+\s+[\d.]+\s+\d+\s+\d+\s+(\d+)`).FindStringSubmatch(text)
	if m == nil || len(m[1]) < 7 { // at least 2 x 12 x 200 KiB = 4,915,200 bytes: 7 digits
		t.Errorf("original row does not count the downloaded and uploaded bytes:\n%s", text)
	}
	if !strings.Contains(text, "aws s3 cp --recursive") || !strings.Contains(text, "nothing to promote") {
		t.Errorf("no awscli row or no nothing-to-promote table:\n%s", text)
	}
	// The modelled wall times are what make bench reports; a test run on a shared machine only
	// checks that the engine copied the 64 MiB object in its 8 MiB parts (8 UploadPartCopy,
	// create, complete, and the planning and sweep requests) rather than in one CopyObject.
	big := regexp.MustCompile(`one object of 64 MiB\s+smcd: parts above 16 MiB, 8 MiB parts, 64 in flight\s+(\d+)\s+\S+\s+[\d.]+x`).FindStringSubmatch(text)
	if big == nil {
		t.Fatalf("no modelled smcd row:\n%s", text)
	}
	if n, _ := strconv.Atoi(big[1]); n < 10 {
		t.Errorf("modelled 64 MiB copy made %d S3 requests, want at least 10 (8 parts, create, complete)\n%s", n, text)
	}
	// The modelled small objects: one CopyObject per object plus the sweep, in both schedules.
	for _, sched := range []string{"awscli's: 10 in flight", "smcd: 64 in flight"} {
		m := regexp.MustCompile(`12 objects of 200-300 KiB\s+` + regexp.QuoteMeta(sched) + `\s+(\d+)\s`).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("no modelled small-object row for %s:\n%s", sched, text)
		}
		if n, _ := strconv.Atoi(m[1]); n < 12 || n > 13 {
			t.Errorf("modelled %s: %d S3 requests for 12 objects, want 12-13\n%s", sched, n, text)
		}
	}
	if !regexp.MustCompile(`The emulator serves one request at a time: \S+ per CopyObject`).MatchString(text) {
		t.Errorf("no emulator floor line:\n%s", text)
	}
}
