// Package wiring provisions, in the AWS emulator, the event wiring the endpoint construct
// synthesizes: the queues with their delivery delays and dead-letter queue, the EventBridge rules
// with their patterns, schedules and targets, the state table, the SageMaker model, endpoint
// configs and endpoint, and it reads the refresher Lambda's environment and SQS event sources.
// The refresh emulator tests and the demo build their world from it, so they run on the wiring
// that `cdk deploy` creates, not on a hand-built copy.
//
// The template comes from `go run ./internal/wiring/wiringsynth` (which imports the CDK, so the
// tests do not link it) and is cached by the content of the sources it depends on.
package wiring

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// The names the synthesized template uses; Provision substitutes the caller's.
const (
	// PlaceholderName is the endpoint's name in the template (and the base of other names).
	PlaceholderName = "smcdwiring"
	// PlaceholderBucket is the imported models bucket.
	PlaceholderBucket = PlaceholderName + "-artifacts"
	// PlaceholderPrefix is the watched key prefix; the model artifact is PlaceholderPrefix + "model.tar.gz".
	PlaceholderPrefix = "models/" + PlaceholderName + "/"
	// AccountID and Region are the template's environment (the emulator's default account).
	AccountID = "123456789012"
	Region    = "us-east-1"
)

// sources are the module paths whose content decides the template (the cache key).
var sources = []string{"go.mod", "go.sum", "endpoint", "events", "refresh/refresher", "internal/gobuild", "internal/wiring/wiringsynth"}

var synthMu sync.Mutex

// Synthesize returns the endpoint construct's template for an endpoint with the given quiet
// period (whole seconds), from the cache when the sources have not changed since it was made.
// The first call runs the CDK (a minute or more on a cold build cache).
func Synthesize(ctx context.Context, quiet time.Duration) ([]byte, error) {
	if quiet < 0 || quiet%time.Second != 0 {
		return nil, fmt.Errorf("wiring: quiet period %s: expected whole seconds", quiet)
	}
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	key, err := sourceKey(root, quiet)
	if err != nil {
		return nil, err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	path := filepath.Join(cache, "sagemaker-cd", "wiring", key+".json")
	synthMu.Lock()
	defer synthMu.Unlock()
	if b, err := os.ReadFile(path); err == nil {
		return b, nil
	}
	cmd := exec.CommandContext(ctx, "go", "run", "./internal/wiring/wiringsynth", "-quiet", quiet.String())
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("wiring: synthesize the endpoint construct (go run ./internal/wiring/wiringsynth; needs Go and Node.js, see `make deps`): %w\n%s", err, stderr.String())
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("wiring: cache the template: %w", err)
	}
	tmp := path + fmt.Sprintf(".%d.tmp", os.Getpid())
	if err := os.WriteFile(tmp, stdout.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("wiring: cache the template: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, fmt.Errorf("wiring: cache the template: %w", err)
	}
	return stdout.Bytes(), nil
}

// moduleRoot is the directory of this module's go.mod (the source tree the tests run from).
func moduleRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("wiring: cannot locate the module's source")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("wiring: module source not found at %s: %w", root, err)
	}
	return root, nil
}

// sourceKey hashes the quiet period and every non-test Go file, go.mod and go.sum under sources.
func sourceKey(root string, quiet time.Duration) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "quiet=%s\n", quiet)
	var files []string
	for _, s := range sources {
		err := filepath.WalkDir(filepath.Join(root, s), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || d.Name() == "refreshertest") {
				return filepath.SkipDir
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") || strings.HasPrefix(d.Name(), "go.")) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("wiring: hash the construct's sources: %w", err)
		}
	}
	slices.Sort(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("wiring: hash the construct's sources: %w", err)
		}
		rel, _ := filepath.Rel(root, f)
		fmt.Fprintf(h, "%s %d\n", rel, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)[:12]), nil
}
