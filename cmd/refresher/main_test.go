package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

func TestNewHandler(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	env := map[string]string{
		refresher.EnvEndpointName: "churn", refresher.EnvConfigA: "churn-a", refresher.EnvConfigB: "churn-b",
		refresher.EnvTableName: "state", refresher.EnvWatch: `{"bucket":"models"}`, refresher.EnvMetricsNamespace: "Team",
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h, err := newHandler(context.Background(), func(k string) string { return env[k] }, logger)
	if err != nil {
		t.Fatal(err)
	}
	if h.Reconciler.Config.Endpoint != "churn" || h.Reconciler.Store.Table != "state" || h.Reconciler.Metrics.Namespace != "Team" {
		t.Errorf("handler %+v", h.Reconciler)
	}
	delete(env, refresher.EnvTableName)
	if _, err := newHandler(context.Background(), func(k string) string { return env[k] }, logger); err == nil || !strings.Contains(err.Error(), refresher.EnvTableName) {
		t.Errorf("missing table: %v", err)
	}
}
