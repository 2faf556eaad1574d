// Command smcd-demo runs the whole system end to end against the local AWS emulator: an
// endpoint kept fresh through S3 uploads, then a cross-account model package promotion, after
// synthesizing and checking the constructs that deploy them. It is
// what `make demo` runs; it needs no AWS account.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/internal/demo/promotiondemo"
	"github.com/sagemaker-cd/sagemaker-cd/internal/demo/refreshdemo"
	"github.com/sagemaker-cd/sagemaker-cd/internal/demo/synthdemo"
	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
)

func main() {
	only := flag.String("only", "", "run one part: synth, refresh or promote (default all)")
	updateSeconds := flag.Float64("update-seconds", 2, "how long an emulated UpdateEndpoint keeps the endpoint Updating")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, *only, *updateSeconds)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "smcd-demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, only string, updateSeconds float64) error {
	parts := []struct {
		name, title string
		run         func(context.Context, io.Writer, *testkit.Moto) error
	}{
		{"synth", "Part 0: the constructs, synthesized and checked", func(ctx context.Context, w io.Writer, _ *testkit.Moto) error { return synthdemo.Run(ctx, w) }},
		{"refresh", "Part 1: an endpoint that keeps serving the newest model artifacts", refreshdemo.Run},
		{"promote", "Part 2: promoting the latest approved model package across accounts", promotiondemo.Run},
	}
	if only != "" && only != "synth" && only != "refresh" && only != "promote" {
		return fmt.Errorf("-only %q: expected synth, refresh or promote", only)
	}
	start := time.Now()
	fmt.Fprintln(w, "Starting the local AWS emulator (moto_server with the sagemaker-cd UpdateEndpoint extension)...")
	moto, err := testkit.Start(ctx, testkit.Options{UpdateSeconds: updateSeconds})
	if err != nil {
		return err
	}
	defer moto.Stop()
	fmt.Fprintf(w, "Emulator ready at %s (no AWS account is used).\n", moto.URL)
	for _, p := range parts {
		if only != "" && only != p.name {
			continue
		}
		if err := moto.Reset(ctx); err != nil {
			return err
		}
		fmt.Fprintf(w, "\n══ %s ══\n\n", p.title)
		if err := p.run(ctx, w, moto); err != nil {
			return fmt.Errorf("%s demo: %w", p.name, err)
		}
	}
	fmt.Fprintf(w, "\nDone in %s. Run `make test` for the full proof, `make bench` for the numbers.\n", time.Since(start).Round(100*time.Millisecond))
	return nil
}
