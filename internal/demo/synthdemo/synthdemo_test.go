package synthdemo

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := Run(context.Background(), &out); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"Stack DemoEndpoint:", "Stack DemoPromote:",
		"refresher Lambda: provided.al2023 on [arm64]",
		"endpoint config churn-a-", "endpoint config churn-b-",
		"RetainAllVariantProperties=true",
		"CodePipeline V2, execution mode SUPERSEDED",
		"permissions boundary on 5 of 5 roles",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if got := strings.Count(out.String(), "0 unsuppressed findings; cfn-lint: clean"); got != 2 {
		t.Errorf("%d stacks reported clean, want 2:\n%s", got, out.String())
	}
}
