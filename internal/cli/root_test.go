package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestMain_UsageAndHelp(t *testing.T) {
	for _, tc := range []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{"help lists commands and exit codes", []string{"--help"}, ExitOK,
			[]string{"refresh", "status", "events", "promote", "Exit codes:", "6  endpoint failed"}, nil},
		{"unknown flag is bad input", []string{"--no-such-flag"}, ExitBadInput,
			nil, []string{"unknown flag: --no-such-flag", "Run 'smcd --help' for usage."}},
		{"unknown command", []string{"frobnicate"}, ExitBadInput, nil, []string{`unknown command "frobnicate"`, "--help"}},
		{"subcommand flag error points at its help", []string{"status", "--bogus"}, ExitBadInput,
			nil, []string{"unknown flag: --bogus", "Run 'smcd status --help' for usage."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, stdout.String(), stderr.String())
			}
			for _, s := range tc.wantStdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
				}
			}
			for _, s := range tc.wantStderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr.String())
				}
			}
		})
	}
}
