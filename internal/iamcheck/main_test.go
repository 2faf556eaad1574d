package iamcheck_test

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-cd/sagemaker-cd/internal/cdktest"
	"github.com/sagemaker-cd/sagemaker-cd/internal/iamcheck"
	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
)

var moto *testkit.Moto

func TestMain(m *testing.M) {
	if err := iamcheck.CheckEngine(); err != nil {
		fmt.Fprintln(os.Stderr, "iamcheck:", err)
		os.Exit(1)
	}
	testkit.RunWithMoto(m, &moto, testkit.Options{UpdateSeconds: 0.3})
}

// boundaryName is the permissions boundary the tests' stacks put on every role; boundary.json is
// its document, as an organization would write it: the services the toolkit uses, in its
// region, and no identity changes.
const boundaryName = "smcd-boundary"

//go:embed testdata/boundary.json
var boundaryDoc []byte

func boundaries(account string) map[string]json.RawMessage {
	return map[string]json.RawMessage{"arn:aws:iam::" + account + ":policy/" + boundaryName: boundaryDoc}
}

// env is the account and region of the emulator, where the test stacks are synthesized.
func env() *awscdk.Environment {
	return &awscdk.Environment{Account: jsii.String(testkit.DefaultAccountID), Region: jsii.String(testkit.Region)}
}

// synth synthesizes a stack built by build in an app with the cdk-nag checks and returns its
// template, parsed, for the emulator's account and region.
func synth(t *testing.T, name string, build func(stack awscdk.Stack)) *iamcheck.Template {
	t.Helper()
	app := cdktest.NewApp()
	stack := awscdk.NewStack(app, jsii.String(name), &awscdk.StackProps{Env: env()})
	build(stack)
	body, err := json.Marshal(assertions.Template_FromStack(stack, nil).ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("SMCD_DUMP_TEMPLATES"); dir != "" {
		_ = os.WriteFile(dir+"/"+name+".json", body, 0o644)
	}
	tmpl, err := iamcheck.ParseTemplate(body, testkit.DefaultAccountID, testkit.Region, name)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// requireAllowed fails t for every denial the runtime did not meet (Decision.Unexpected), and when no decision covers one of the
// wanted "action on resource" pairs (so a scenario that stops making a call is noticed).
func requireAllowed(t *testing.T, decisions []iamcheck.Decision, want ...string) {
	t.Helper()
	seen := map[string]bool{}
	for _, d := range decisions {
		if testing.Verbose() {
			t.Log(d)
		}
		seen[d.Action+" on "+d.Resource] = true
		if d.Unexpected() {
			t.Error(d.String())
		}
	}
	for _, w := range want {
		if !seen[w] {
			var got []string
			for k := range seen {
				got = append(got, k)
			}
			t.Errorf("no call was evaluated for %s; evaluated:\n  %s", w, strings.Join(got, "\n  "))
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

var _ = context.Background
