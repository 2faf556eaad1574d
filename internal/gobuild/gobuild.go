// Package gobuild compiles this module's Go programs into Lambda-ready asset directories at
// synth time, so an app that imports a construct needs no extra build step (no Docker, no
// Makefile, no go.mod edits): the construct names a main package by import path and gets a
// directory holding a stripped, reproducible `bootstrap` (or any name) binary for Linux.
//
// The build runs inside this module's own directory (the user's module cache copy, a replace
// target, or this repository), with this module's go.mod and go.sum, read-only: the user's
// go.mod and go.sum are never touched, and the binaries use the dependency versions this
// module was tested with.
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
	// Package is the main package's import path inside this module, e.g.
	// github.com/sagemaker-cd/sagemaker-cd/cmd/refresher.
	Package string
	// Dir is a directory inside the module that requires this one, usually the user's CDK app
	// (default: the current directory). It only serves to find this module's source.
	Dir string
	// Arch is the GOARCH: "arm64" (default) or "amd64".
	Arch string
	// Binary is the output file name (default "bootstrap", what provided.al2023 runs).
	Binary string
	// Tags are extra build tags, e.g. "lambda.norpc".
	Tags []string
}

// Build compiles s into a cache directory and returns that directory. Builds are reproducible
// (-trimpath, no build id), so the asset hash CDK computes changes only when the code changes.
// The binary is written to a temporary name beside the directory and renamed into it, so
// concurrent synths never see half a file nor a temporary one.
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
	// The binary is built next to the asset directory, not in it: a concurrent synth stages the
	// directory (lists and hashes it) and must never meet a file that comes and goes.
	tmp, err := os.CreateTemp(filepath.Dir(dir), "."+filepath.Base(dir)+"-build-*")
	if err != nil {
		return "", fmt.Errorf("gobuild %s: %w", s.Package, err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	src, err := ModuleDir(s.Dir)
	if err != nil {
		return "", fmt.Errorf("gobuild %s: %w", s.Package, err)
	}
	args := []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", tmp.Name()}
	if len(s.Tags) > 0 {
		args = append(args, "-tags", strings.Join(s.Tags, ","))
	}
	args = append(args, s.Package)
	cmd := exec.Command(goTool(), args...)
	cmd.Dir = src
	// GOWORK=off and -mod=readonly: this module's own go.mod and go.sum decide, and stay as
	// they are (in the module cache they are read-only anyway).
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+s.Arch, "GOFLAGS=-mod=readonly", "GOWORK=off")
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

// Module is this module's path.
const Module = "github.com/sagemaker-cd/sagemaker-cd"

// ModuleDir returns the directory holding this module's source as the module at dir (default
// ".") sees it: the repository itself, a replace target, or the module cache copy.
func ModuleDir(dir string) (string, error) {
	if dir == "" {
		dir = "."
	}
	cmd := exec.Command(goTool(), "list", "-m", "-f", "{{.Dir}}", Module)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("find the source of %s from %s (does its go.mod require it?): %v: %s", Module, dir, err, strings.TrimSpace(stderr.String()))
	}
	src := strings.TrimSpace(string(out))
	if src == "" {
		return "", fmt.Errorf("find the source of %s from %s: not downloaded; run go mod download %s", Module, dir, Module)
	}
	return src, nil
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
