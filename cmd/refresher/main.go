// Command refresher is the endpoint refresher Lambda (provided.al2023, arm64): it keeps one
// SageMaker endpoint serving the newest model artifacts. Configuration comes from the
// environment the endpoint construct sets (package refresh/refresher, env.go); logs are JSON on
// stderr and metrics CloudWatch Embedded Metric Format lines on stdout. Built with the tag
// xray (as the construct does when Tracing is on), it records its AWS SDK calls as X-Ray
// subsegments of the invocation's segment.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	h, err := newHandler(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("refresher cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// newHandler builds the handler once per execution environment: configuration and SDK clients
// are reused by every invocation.
func newHandler(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*refresher.Handler, error) {
	cfg, err := refresher.LoadConfig(getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	instrument(&awsCfg)
	r := &refresher.Reconciler{
		SageMaker: sagemaker.NewFromConfig(awsCfg),
		Store:     &refresher.Store{DB: dynamodb.NewFromConfig(awsCfg), Table: cfg.Table},
		Config:    cfg,
		Logger:    logger,
		Metrics:   &refresher.Metrics{W: os.Stdout, Namespace: cfg.MetricsNamespace},
	}
	return &refresher.Handler{Reconciler: r, Logger: logger}, nil
}
