package testkit

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
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
