package gobuild

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
