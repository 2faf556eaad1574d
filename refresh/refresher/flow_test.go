package refresher_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/sagemaker-cd/sagemaker-cd/events"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher/refreshertest"
)

func newStack(t *testing.T, name string, updateSeconds float64) *refreshertest.Stack {
	t.Helper()
	ctx := context.Background()
	cfg, err := moto.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, err := refreshertest.Create(ctx, cfg, refreshertest.Options{Name: name, UpdateSeconds: updateSeconds})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestS3EventBridgeSQSDelivery(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, "delivery", 1)
	if err := s.Upload(ctx, s.ModelKey, "v1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Upload(ctx, "elsewhere/model.tar.gz", "v1"); err != nil {
		t.Fatal(err)
	}
	msgs, err := s.Receive(ctx, 1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	extra, err := s.Receive(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || len(extra) != 0 {
		t.Fatalf("got %d+%d messages, want exactly 1 (the rule filters on the key prefix)", len(msgs), len(extra))
	}
	var e lambdaevents.CloudWatchEvent
	if err := json.Unmarshal([]byte(*msgs[0].Body), &e); err != nil {
		t.Fatal(err)
	}
	c, err := events.ParseS3Object(e)
	if err != nil {
		t.Fatal(err)
	}
	if c.Bucket != s.Config.Watch.Bucket || c.Key != s.ModelKey || c.Sequencer == "" || c.At.IsZero() {
		t.Errorf("change = %+v", c)
	}
	_ = io.Discard
	_ = bytes.NewBuffer
	_ = strings.Contains
}
