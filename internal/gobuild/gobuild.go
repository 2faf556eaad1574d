// Package gobuild compiles this module's Go programs into Lambda-ready asset directories at
// synth time, so an app that imports a construct needs no extra build step (no Docker, no
// Makefile): the construct names a main package by import path and gets a directory holding a
// stripped, reproducible `bootstrap` (or any name) binary for Linux.
package gobuild

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Spec says what to build.
type Spec struct {
	// Package is the main package's import path, e.g.
	// github.com/sagemaker-cd/sagemaker-cd/cmd/refresher. It is resolved from the current
	// directory's module, which is the user's CDK app: its go.mod requires this module.
	Package string
	// Arch is the GOARCH: "arm64" (default) or "amd64".
	Arch string
	// Binary is the output file name (default "bootstrap", what provided.al2023 runs).
	Binary string
	// Tags are extra build tags, e.g. "lambda.norpc".
	Tags []string
}

// Build compiles s into a cache directory and returns that directory. Builds are reproducible
// (-trimpath, no build id), so the asset hash CDK computes changes only when the code changes.
// The binary is written to a temporary name and renamed, so concurrent synths never see half a file.
func Build(s Spec) (string, error) {
	if s.Package == "" {
		return "", fmt.Errorf("gobuild: no package given")
	}
	if s.Arch == "" {
		s.Arch = "arm64"
	}
	if s.Binary == "" {
		s.Binary = "bootstrap"
	}
	if s.Arch != "arm64" && s.Arch != "amd64" {
		return "", fmt.Errorf("gobuild: arch %q: expected arm64 or amd64", s.Arch)
	}
	key := sha256.Sum256([]byte(strings.Join(append([]string{s.Package, s.Arch, s.Binary}, s.Tags...), "\x00")))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "sagemaker-cd", "assets", hex.EncodeToString(key[:8]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("gobuild %s: %w", s.Package, err)
	}
	tmp, err := os.CreateTemp(dir, ".build-*")
	if err != nil {
		return "", fmt.Errorf("gobuild %s: %w", s.Package, err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	args := []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", tmp.Name()}
	if len(s.Tags) > 0 {
		args = append(args, "-tags", strings.Join(s.Tags, ","))
	}
	args = append(args, s.Package)
	cmd := exec.Command(goTool(), args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+s.Arch, "GOFLAGS=-mod=mod")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("gobuild %s for linux/%s: %v: %s", s.Package, s.Arch, err, strings.TrimSpace(stderr.String()))
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, s.Binary)); err != nil {
		return "", fmt.Errorf("gobuild %s: %w", s.Package, err)
	}
	return dir, nil
}

// goTool finds the go command: $GOROOT/bin/go when set (as under `go run`/`go test`), else PATH.
func goTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
