// Package cdktest synthesizes stacks for tests and holds them to the project's bar: the
// template passes cfn-lint and the cdk-nag AwsSolutions pack reports no unsuppressed finding.
package cdktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// NewApp returns an app whose stacks are checked by the AwsSolutions pack at synth.
func NewApp() awscdk.App {
	// Node 20 still runs jsii; only its end-of-life banner would be printed on every synth.
	os.Setenv("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
	os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
	app := awscdk.NewApp(nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	return app
}

// Env returns the account and region test stacks deploy to (a fresh value each call).
func Env() *awscdk.Environment {
	return &awscdk.Environment{Account: jsii.String("111222333444"), Region: jsii.String("eu-west-1")}
}

// Check synthesizes stack (built in an app from NewApp), fails t on any unsuppressed cdk-nag
// finding or cfn-lint error, and returns the template for assertions.
func Check(t testing.TB, stack awscdk.Stack) assertions.Template {
	t.Helper()
	tmpl := assertions.Template_FromStack(stack, nil)
	NoNagFindings(t, stack)
	Lint(t, tmpl)
	return tmpl
}

// NoNagFindings fails t for every unsuppressed AwsSolutions error or warning on stack.
func NoNagFindings(t testing.TB, stack awscdk.Stack) {
	t.Helper()
	for _, f := range NagFindings(stack) {
		t.Error(f)
	}
}

// NagFindings lists the unsuppressed AwsSolutions errors and warnings on stack, one line each.
func NagFindings(stack awscdk.Stack) []string {
	ann := assertions.Annotations_FromStack(stack)
	match := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
	var out []string
	// SynthesisMessage is marked deprecated (its definition moved to @aws-cdk/cloud-assembly-api),
	// but it is still what the Go assertions API returns, with no replacement there yet.
	//lint:ignore SA1019 see above
	describe := func(kind string, m *cxapi.SynthesisMessage) string {
		return fmt.Sprintf("cdk-nag %s at %s: %v", kind, *m.Id, m.Entry.Data) //lint:ignore SA1019 see above
	}
	for _, m := range *ann.FindError(jsii.String("*"), match) {
		out = append(out, describe("error", m))
	}
	for _, m := range *ann.FindWarning(jsii.String("*"), match) {
		out = append(out, describe("warning", m))
	}
	return out
}

// Lint runs cfn-lint on the template and fails t on any error or warning it prints (W3005 aside).
func Lint(t testing.TB, tmpl assertions.Template) {
	t.Helper()
	if err := LintTemplate(tmpl, t.TempDir()); err != nil {
		t.Error(err)
	}
}

// LintTemplate runs cfn-lint on the template (written into dir) and returns its findings as an
// error, or an install hint when cfn-lint is missing.
func LintTemplate(tmpl assertions.Template, dir string) error {
	if _, err := exec.LookPath("cfn-lint"); err != nil {
		return errors.New("cfn-lint not found on PATH: install it with `make deps` or `python3 -m pip install cfn-lint`")
	}
	body, err := json.MarshalIndent(tmpl.ToJSON(), "", " ")
	if err != nil {
		return fmt.Errorf("encode template: %w", err)
	}
	path := filepath.Join(dir, "template.json")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		return err
	}
	// W3005 (a DependsOn that a GetAtt already implies) is how the CDK renders every
	// awslambda.Function with a role (DependsOn the role and its default policy); it is not a
	// defect of the template and no construct can avoid it.
	out, err := exec.Command("cfn-lint", "--format", "parseable", "--ignore-checks", "W3005", "--", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("cfn-lint found problems in the template:\n%s", strings.TrimSpace(string(out)))
	}
	return nil
}
