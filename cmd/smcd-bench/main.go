// Command smcd-bench prints the performance tables of `make bench`: the refresh policy against a
// baseline that behaves like the original Lambda (fake-clock simulator), the refresh state item's
// size and write units against the previous design, the refresher Lambda's size and handler latency against the emulator, and a promotion against awscli and the
// original's download-zip-upload path. Figures are medians, with ratios from the same run.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/sagemaker-cd/sagemaker-cd/internal/bench/lambdabench"
	"github.com/sagemaker-cd/sagemaker-cd/internal/bench/promotebench"
	"github.com/sagemaker-cd/sagemaker-cd/internal/bench/refreshbench"
)

type section struct {
	name, title string
	run         func(context.Context, io.Writer) error
}

var sections = []section{
	{"refresh", "Refresh policy: upload storms during 5-minute updates (simulator)", refreshbench.Run},
	{"state", "Refresh state item: size and DynamoDB write units per change, against the previous design", refreshbench.RunState},
	{"lambda", "Refresher Lambda: binary size and handler latency per SQS batch (emulator)", lambdabench.BenchLambda},
	{"promote", "Promotion: server-side copy vs awscli vs the original's download-zip-upload (emulator)", promotebench.Run},
}

func main() {
	var names []string
	for _, s := range sections {
		names = append(names, s.name)
	}
	only := flag.String("only", "", "comma-separated sections to run: "+strings.Join(names, ", ")+" (default all)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	want := map[string]bool{}
	for _, n := range strings.Split(*only, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if !slices.Contains(names, n) {
			fmt.Fprintf(os.Stderr, "smcd-bench: -only %q: expected one of %s\n", n, strings.Join(names, ", "))
			os.Exit(2)
		}
		want[n] = true
	}
	for _, s := range sections {
		if len(want) > 0 && !want[s.name] {
			continue
		}
		fmt.Printf("\n== %s ==\n\n", s.title)
		if err := s.run(ctx, os.Stdout); err != nil {
			stop()
			fmt.Fprintf(os.Stderr, "smcd-bench: %s: %v\n", s.name, err)
			os.Exit(1)
		}
	}
}
