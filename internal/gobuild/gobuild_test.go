package gobuild

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBuild(t *testing.T) {
	for _, tc := range []struct {
		arch    string
		binary  string
		machine elf.Machine
	}{
		{"arm64", "", elf.EM_AARCH64},
		{"amd64", "smcd", elf.EM_X86_64},
	} {
		t.Run(tc.arch, func(t *testing.T) {
			dir, err := Build(Spec{Package: "github.com/sagemaker-cd/sagemaker-cd/cmd/package-cleaner", Arch: tc.arch, Binary: tc.binary, Tags: []string{"lambda.norpc"}})
			if err != nil {
				t.Fatal(err)
			}
			name := tc.binary
			if name == "" {
				name = "bootstrap"
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].Name() != name {
				t.Fatalf("asset dir holds %v, want only %s (no temporary files left behind)", entries, name)
			}
			f, err := elf.Open(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Machine != tc.machine || f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
				t.Fatalf("binary is %v/%v, want %v for Linux", f.Machine, f.OSABI, tc.machine)
			}
			if f.Section(".symtab") != nil {
				t.Fatal("binary keeps its symbol table; want it stripped (-s -w)")
			}
		})
	}
}

// TestBuildNeverAddsToTheAssetDir: while a build runs, the asset directory holds only the
// binary: another synth staging it (CDK lists and hashes it) never meets a temporary file.
func TestBuildNeverAddsToTheAssetDir(t *testing.T) {
	spec := Spec{Package: "github.com/sagemaker-cd/sagemaker-cd/cmd/package-cleaner", Tags: []string{"lambda.norpc"}}
	dir, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	seen := make(chan []string)
	go func() {
		var other []string
		for {
			select {
			case <-stop:
				seen <- other
				return
			default:
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != "bootstrap" {
					other = append(other, e.Name())
				}
			}
			time.Sleep(time.Millisecond) // a build takes seconds
		}
	}()
	_, err = Build(spec)
	close(stop)
	if other := <-seen; len(other) > 0 {
		t.Errorf("asset dir showed %q during a build, want only bootstrap", other[:min(len(other), 3)])
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec Spec
		want string
	}{
		{"no package", Spec{}, "no package given"},
		{"bad arch", Spec{Package: "github.com/sagemaker-cd/sagemaker-cd/cmd/smcd", Arch: "386"}, `arch "386": expected arm64 or amd64`},
		{"missing package", Spec{Package: "github.com/sagemaker-cd/sagemaker-cd/cmd/nope"}, "cmd/nope for linux/arm64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Build(%+v) = %v, want an error containing %q", tc.spec, err, tc.want)
			}
		})
	}
}

// A user's app that imports a construct requires only this module: building the Lambda must
// neither need the binaries' dependencies in the app's go.sum nor write them there.
func TestBuildLeavesTheAppModuleAlone(t *testing.T) {
	repo, err := ModuleDir("")
	if err != nil {
		t.Fatal(err)
	}
	app := t.TempDir()
	goMod := "module example.com/app\n\ngo 1.26\n\nrequire " + Module + " v0.0.0\n\nreplace " + Module + " => " + repo + "\n"
	files := map[string]string{"go.mod": goMod, "go.sum": "", "main.go": "package main\n\nfunc main() {}\n"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(app, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := ModuleDir(app); err != nil || got != repo {
		t.Fatalf("ModuleDir(app) = %q, %v; want %q", got, err, repo)
	}
	if _, err := Build(Spec{Package: Module + "/cmd/package-cleaner", Dir: app, Tags: []string{"lambda.norpc"}}); err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(app, name))
		if err != nil || string(got) != want {
			t.Errorf("the build changed the app's %s:\n%s", name, got)
		}
	}
}

func TestModuleDirOutsideAModule(t *testing.T) {
	dir := t.TempDir()
	if _, err := ModuleDir(dir); err == nil || !strings.Contains(err.Error(), "does its go.mod require it?") {
		t.Fatalf("ModuleDir outside any module: %v, want an error that says what is missing", err)
	}
}
