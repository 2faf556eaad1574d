package seedfarmer_test

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// moduleDir is the Seedfarmer module's directory: what Seedfarmer bundles and runs.
const moduleDir = "../../modules/sagemaker-model-package-promote-pipeline"

// fakeGo is a stand-in go command of a given version. Like the real one, Go 1.21 and later
// honour GOTOOLCHAIN=goX.Y.Z (the real one then runs that toolchain); Go 1.20 ignores it.
func fakeGo(version string) string {
	return `#!/bin/sh
v=` + version + `
case "$GOTOOLCHAIN" in go1.*) if [ "$(printf '%s\n%s\n' 1.21 "$v" | sort -V | head -n 1)" = 1.21 ]; then v=${GOTOOLCHAIN#go}; fi ;; esac
case "$1 $2" in
  "env GOVERSION") echo "go$v" ;;
  "version ") echo "go version go$v linux/amd64" ;;
  *) echo "fake go: unexpected $*" >&2; exit 2 ;;
esac
`
}

// fakeGoenv is a goenv with the given versions installed and 1.20.14 as the global one; its go
// shim runs the global version, as goenv's shims do.
func fakeGoenv(t *testing.T, bin string, versions ...string) {
	root := t.TempDir()
	for _, v := range versions {
		writeExec(t, filepath.Join(root, "versions", v, "bin", "go"), fakeGo(v))
	}
	writeFile(t, filepath.Join(root, "version"), "1.20.14\n")
	writeExec(t, filepath.Join(bin, "goenv"), `#!/bin/sh
root='`+root+`'
case "$1" in
  versions) [ "$2" = --bare ] || exit 2; ls "$root/versions" ;;
  global) [ -d "$root/versions/$2" ] || { echo "goenv: version '$2' not installed" >&2; exit 1; }; echo "$2" >"$root/version"; echo "$2" >>"$root/global-calls" ;;
  *) exit 2 ;;
esac
`)
	writeExec(t, filepath.Join(bin, "go"), `#!/bin/sh
root='`+root+`'
exec "$root/versions/$(cat "$root/version")/bin/go" "$@"
`)
}

// fakeCurl serves one URL: a Go archive whose go reports version, in the official layout
// (go/bin/go). It records the URL it was asked for.
func fakeCurl(t *testing.T, bin, version string) {
	archive := filepath.Join(t.TempDir(), "go.tar.gz")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	body := fakeGo(version)
	if err := tw.WriteHeader(&tar.Header{Name: "go/bin/go", Mode: 0o755, Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []interface{ Close() error }{tw, gz, f} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	writeExec(t, filepath.Join(bin, "curl"), `#!/bin/sh
for a; do url=$a; done
echo "$url" >>"`+bin+`/curl-calls"
case "$url" in https://go.dev/dl/go`+version+`.linux-*.tar.gz) cat "`+archive+`" ;; *) echo "curl: (22) 404 $url" >&2; exit 22 ;; esac
`)
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeExec(t *testing.T, path, body string) {
	t.Helper()
	writeFile(t, path, body)
	if err := os.Chmod(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestEnsureGo runs scripts/ensure-go.sh, as the deployspec does, in each situation CodeBuild's
// curated images and other hosts present, with fake go, goenv and curl commands first on a PATH
// that holds only system directories otherwise (so this machine's own Go is not seen).
func TestEnsureGo(t *testing.T) {
	script, err := filepath.Abs(filepath.Join(moduleDir, "scripts", "ensure-go.sh"))
	if err != nil {
		t.Fatal(err)
	}
	gomod := filepath.Join(moduleDir, "go.mod")
	want := goDirective(t, gomod)
	for _, tc := range []struct {
		name     string
		setup    func(t *testing.T, bin string)
		wantErr  string   // a part of the failure message; "" for success
		wantEnv  []string // lines the env file must hold
		noEnv    []string // parts the env file must not hold
		check    func(t *testing.T, bin string)
		extraEnv []string // relative paths are under the fake bin directory
	}{{
		name:    "the active go is new enough",
		setup:   func(t *testing.T, bin string) { writeExec(t, filepath.Join(bin, "go"), fakeGo(want)) },
		wantEnv: []string{"export GOFLAGS=-mod=readonly"},
		noEnv:   []string{"GOTOOLCHAIN", "PATH="},
	}, {
		name: "goenv: global 1.20, newer versions installed (CodeBuild standard images)",
		setup: func(t *testing.T, bin string) {
			fakeGoenv(t, bin, "1.20.14", "1.22.5", "1.21.13")
			fakeCurl(t, bin, want) // must not be used
		},
		wantEnv: []string{"export GOTOOLCHAIN=go" + want, "export GOFLAGS=-mod=readonly"},
		noEnv:   []string{"PATH="},
		check: func(t *testing.T, bin string) {
			if _, err := os.Stat(filepath.Join(bin, "curl-calls")); err == nil {
				t.Error("downloaded an archive although goenv had a Go that honours GOTOOLCHAIN")
			}
		},
	}, {
		name:    "goenv: a version as new as go.mod's is installed",
		setup:   func(t *testing.T, bin string) { fakeGoenv(t, bin, "1.20.14", want) },
		noEnv:   []string{"GOTOOLCHAIN", "PATH="},
		wantEnv: []string{"export GOFLAGS=-mod=readonly"},
	}, {
		name: "an old go and no goenv: the official archive",
		setup: func(t *testing.T, bin string) {
			writeExec(t, filepath.Join(bin, "go"), fakeGo("1.20.14"))
			fakeCurl(t, bin, want)
		},
		wantEnv: []string{"export GOFLAGS=-mod=readonly"},
		check: func(t *testing.T, bin string) {
			calls, err := os.ReadFile(filepath.Join(bin, "curl-calls"))
			if err != nil || !strings.Contains(string(calls), "https://go.dev/dl/go"+want+".linux-") {
				t.Errorf("curl calls %q, want the go%s archive from go.dev/dl (%v)", calls, want, err)
			}
		},
	}, {
		name: "goenv with only versions that ignore GOTOOLCHAIN: the official archive",
		setup: func(t *testing.T, bin string) {
			fakeGoenv(t, bin, "1.19.13", "1.20.14")
			fakeCurl(t, bin, want)
		},
		wantEnv: []string{"export GOFLAGS=-mod=readonly"},
	}, {
		name:    "no go at all and the download fails",
		setup:   func(t *testing.T, bin string) { writeExec(t, filepath.Join(bin, "curl"), "#!/bin/sh\nexit 6\n") },
		wantErr: "could not download or unpack https://go.dev/dl/go" + want,
	}, {
		name: "a cached toolchain that is too old fails fast",
		setup: func(t *testing.T, bin string) {
			writeExec(t, filepath.Join(bin, "go"), fakeGo("1.20.14"))
			// SMCD_GO_ROOT below holds go<want> whose go is 1.25.3: never trusted blindly.
			writeExec(t, filepath.Join(bin, "cache", "go"+want, "bin", "go"), fakeGo("1.25.3"))
		},
		extraEnv: []string{"SMCD_GO_ROOT=cache"},
		wantErr:  "Go 1.26 or later is required to build this module (go.mod says go " + want + "); the active go is 1.25.3",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			bin, home, work := t.TempDir(), t.TempDir(), t.TempDir()
			tc.setup(t, bin)
			envFile := filepath.Join(work, "go.env")
			cmd := exec.Command("bash", script, envFile)
			cmd.Dir = work
			cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "HOME=" + home, "SMCD_GO_MOD=" + mustAbs(t, gomod)}
			for _, e := range tc.extraEnv {
				k, v, _ := strings.Cut(e, "=")
				cmd.Env = append(cmd.Env, k+"="+filepath.Join(bin, v))
			}
			out, err := cmd.CombinedOutput()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(string(out), tc.wantErr) {
					t.Fatalf("ensure-go.sh: err %v, output:\n%s\nwant a failure saying %q", err, out, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ensure-go.sh: %v\n%s", err, out)
			}
			env := readFile(t, envFile)
			for _, w := range tc.wantEnv {
				if !strings.Contains(env, w+"\n") {
					t.Errorf("env file lacks %q:\n%s", w, env)
				}
			}
			for _, n := range tc.noEnv {
				if strings.Contains(env, n) {
					t.Errorf("env file holds %q:\n%s", n, env)
				}
			}
			// What the deployspec's later commands see: the env file sourced by sh (dash, as
			// on Ubuntu images), then go version.
			check := exec.Command("sh", "-c", ". '"+envFile+"' && go version")
			check.Dir = work
			check.Env = cmd.Env
			got, err := check.CombinedOutput()
			if err != nil || !strings.Contains(string(got), "go"+want+" ") {
				t.Errorf("after sourcing the env file, go version says %q (%v), want go%s", got, err, want)
			}
			if tc.check != nil {
				tc.check(t, bin)
			}
		})
	}
}

// goDirective is the version of go.mod's go directive.
func goDirective(t *testing.T, gomod string) string {
	t.Helper()
	for _, line := range strings.Split(readFile(t, gomod), "\n") {
		if v, ok := strings.CutPrefix(line, "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("%s has no go directive", gomod)
	return ""
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustAbs(t *testing.T, path string) string {
	t.Helper()
	p, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
