package testkit

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// RunWithMoto is for a package's TestMain: it starts one emulator for the whole package, stores
// it in *shared, runs the tests and stops the emulator. It exits non-zero with an install hint
// when moto is missing.
func RunWithMoto(m *testing.M, shared **Moto, opts Options) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	moto, err := Start(ctx, opts)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testkit:", err)
		os.Exit(1)
	}
	*shared = moto
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// Fresh resets the emulator and returns a configuration for the default account pointed at it
// (through the view's endpoint, see Via), failing t on error: the start of most emulator tests.
func (m *Moto) Fresh(t testing.TB) aws.Config {
	t.Helper()
	ctx := context.Background()
	if err := m.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	cfg, err := m.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
