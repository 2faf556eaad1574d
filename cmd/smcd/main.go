// Command smcd is the sagemaker-cd command line: refresh and inspect endpoints, replay captured
// events, promote model packages and print cross-account grants. See `smcd --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sagemaker-cd/sagemaker-cd/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
