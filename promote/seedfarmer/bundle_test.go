package seedfarmer_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// deployspec is the part of Seedfarmer's deployspec.yaml this test runs.
type deployspec struct {
	PublishGenericEnvVariables bool   `yaml:"publishGenericEnvVariables"`
	BuildType                  string `yaml:"build_type"`
	Deploy                     phases `yaml:"deploy"`
	Destroy                    phases `yaml:"destroy"`
}

type phases struct {
	Phases map[string]struct {
		Commands []string `yaml:"commands"`
	} `yaml:"phases"`
}

// commands lists the phase commands in CodeBuild's order.
func (p phases) commands() []string {
	var cmds []string
	for _, name := range []string{"install", "pre_build", "build", "post_build"} {
		cmds = append(cmds, p.Phases[name].Commands...)
	}
	return cmds
}

// cdkCommand matches the deployspec's CDK CLI calls. The test runs `cdk synth` in their place:
// there is no AWS account here, and synth is what deploy and destroy run first.
var cdkCommand = regexp.MustCompile(`cdk (deploy|destroy)( --[a-z-]+( [^-"][^ ]*)?)*? --app "go run \."( --outputs-file [^ ]+)?`)

// seedfarmerStub stands in for the seedfarmer CLI in the deployspec. `metadata convert -f FILE`
// does what seed-farmer's metadata_support.convert_cdkexports does
// (github.com/awslabs/seed-farmer, seedfarmer/mgmt/metadata_support.py): read FILE under the
// module directory, take [<project>-<deployment>-<module>]["metadata"], parse it as JSON and
// write it to the module's metadata file.
const seedfarmerStub = `#!/usr/bin/env python3
import json, os, sys
args = sys.argv[1:]
if args[:2] != ["metadata", "convert"] or args[2] != "-f":
    sys.exit("seedfarmer stub: unexpected arguments %r" % args)
key = "-".join(os.environ["SEEDFARMER_" + v + "_NAME"] for v in ("PROJECT", "DEPLOYMENT", "MODULE"))
data = json.load(open(args[3]))[key]["metadata"]
json.dump(json.loads(data), open("SEEDFARMER_MODULE_METADATA", "w"))
`

// TestDeployspecInCleanEnvironment runs the deployspec's deploy and destroy commands as
// Seedfarmer does: from a copy of the module directory alone, in a clean environment (an empty
// HOME and working directory, only system directories and the Go and Node installations on PATH,
// no GOWORK or GOFLAGS), with the variables Seedfarmer sets, and with the documented
// smcd_replace parameter pointing at this working tree as the only source of sagemaker-cd. The
// machine's Go module and build caches and npm cache are shared to keep it fast.
func TestDeployspecInCleanEnvironment(t *testing.T) {
	root := mustAbs(t, "../..")
	var spec deployspec
	if err := yaml.Unmarshal([]byte(readFile(t, filepath.Join(moduleDir, "deployspec.yaml"))), &spec); err != nil {
		t.Fatalf("deployspec.yaml: %v", err)
	}
	if !spec.PublishGenericEnvVariables {
		t.Error("deployspec.yaml: publishGenericEnvVariables must be true: the app reads SEEDFARMER_PARAMETER_*")
	}
	if spec.BuildType == "" || spec.BuildType == "BUILD_GENERAL1_SMALL" {
		t.Errorf("deployspec.yaml: build_type %q: compiling the CDK bindings needs more than SMALL's 3 GB", spec.BuildType)
	}

	env := cleanEnv(t, root)
	env["SEEDFARMER_PARAMETER_SMCD_REPLACE"] = root

	t.Run("deploy", func(t *testing.T) {
		dir := bundle(t)
		runPhases(t, dir, env, spec.Deploy.commands(), func(cmd string) {
			writeExports(t, dir, "mlops-dev-promote-test")
		})
		tmpl := readTemplate(t, dir, "mlops-dev-promote-test")
		for _, k := range []string{"PipelineArn", "PipelineName", "metadata"} {
			if _, ok := tmpl.Outputs[k]; !ok {
				t.Errorf("stack outputs lack %s: %v", k, keys(tmpl.Outputs))
			}
		}
		var metadata map[string]string
		if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "SEEDFARMER_MODULE_METADATA"))), &metadata); err != nil {
			t.Fatalf("module metadata: %v", err)
		}
		if got := keys(metadata); strings.Join(got, ",") != "PipelineArn,PipelineName" {
			t.Errorf("module metadata keys %v, want the original module's PipelineArn, PipelineName", got)
		}
		manifest := readFile(t, filepath.Join(dir, "cdk.out", "manifest.json"))
		if !strings.Contains(manifest, `"environment": "aws://111222333444/us-east-1"`) {
			t.Errorf("the stack is not bound to Seedfarmer's AWS_ACCOUNT_ID/AWS_DEFAULT_REGION:\n%s", manifest)
		}
	})

	t.Run("destroy", func(t *testing.T) {
		dir := bundle(t)
		runPhases(t, dir, env, spec.Destroy.commands(), nil)
		readTemplate(t, dir, "mlops-dev-promote-test")
	})

	t.Run("bad and missing parameters", func(t *testing.T) {
		dir := bundle(t)
		bad := map[string]string{}
		for k, v := range env {
			bad[k] = v
		}
		delete(bad, "SEEDFARMER_PARAMETER_TARGET_BUCKET_NAME")
		bad["SEEDFARMER_PARAMETER_RETAIN_ON_DELETE"] = "maybe"
		cmds := spec.Deploy.commands()
		runPhases(t, dir, bad, cmds[:len(cmds)-2], nil) // install
		out, err := run(dir, bad, synthCommand(cmds[len(cmds)-2]))
		if err == nil {
			t.Fatalf("deploy succeeded with a missing and a bad parameter:\n%s", out)
		}
		want := `missing required environment: SEEDFARMER_PARAMETER_TARGET_BUCKET_NAME (parameter target_bucket_name); ` +
			`SEEDFARMER_PARAMETER_RETAIN_ON_DELETE "maybe": expected true or false`
		if !strings.Contains(out, want) {
			t.Errorf("deploy output lacks the one-line message %q:\n%s", want, out)
		}
	})
}

// cleanEnv is the environment of Seedfarmer's CodeBuild project, here: the sample manifest's
// parameters, and nothing of this repository or this user.
func cleanEnv(t *testing.T, root string) map[string]string {
	t.Helper()
	goBin := goEnv(t, "GOROOT") + "/bin"
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is required (Node.js >= 20, for the CDK CLI): https://nodejs.org/")
	}
	stubs := t.TempDir()
	writeExec(t, filepath.Join(stubs, "seedfarmer"), seedfarmerStub)
	for _, dir := range []string{goBin, filepath.Dir(node)} {
		if strings.HasPrefix(dir, root) {
			t.Fatalf("%s is inside the repository: the test needs Go and Node installed outside it", dir)
		}
	}
	env := map[string]string{
		"PATH":       strings.Join([]string{stubs, goBin, filepath.Dir(node), "/usr/bin", "/bin"}, ":"),
		"HOME":       t.TempDir(),
		"GOMODCACHE": goEnv(t, "GOMODCACHE"),
		"GOCACHE":    goEnv(t, "GOCACHE"),
		"GOPROXY":    goEnv(t, "GOPROXY"),
		"GOSUMDB":    goEnv(t, "GOSUMDB"),
		"GOWORK":     "off",
		// Seedfarmer's variables (seed-farmer docs: "Deployspec", environment variables).
		"SEEDFARMER_PROJECT_NAME":                             "mlops",
		"SEEDFARMER_DEPLOYMENT_NAME":                          "dev",
		"SEEDFARMER_MODULE_NAME":                              "promote-test",
		"AWS_ACCOUNT_ID":                                      "111222333444",
		"AWS_DEFAULT_REGION":                                  "us-east-1",
		"SEEDFARMER_PARAMETER_SOURCE_MODEL_PACKAGE_GROUP_ARN": "arn:aws:sagemaker:us-east-1:444333666777:model-package-group/my-model-pkg",
		"SEEDFARMER_PARAMETER_TARGET_BUCKET_NAME":             "mlops-unified-modelartifacts-111222333444-us-east-1",
		"SEEDFARMER_PARAMETER_PERMISSIONS_BOUNDARY_NAME":      "my-permissions-boundary",
		// No instance metadata service here: the CDK CLI must not wait for one.
		"AWS_EC2_METADATA_DISABLED": "true",
		"CDK_DISABLE_CLI_TELEMETRY": "true",
	}
	if out, err := exec.Command("npm", "config", "get", "cache").Output(); err == nil {
		env["npm_config_cache"] = strings.TrimSpace(string(out))
	}
	// How this machine reaches its registries, if it is told through the environment.
	for _, k := range []string{"GOPRIVATE", "GONOSUMDB", "GONOPROXY", "GOINSECURE", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "npm_config_registry"} {
		if v, ok := os.LookupEnv(k); ok {
			env[k] = v
		}
	}
	return env
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// bundle copies the module directory's files (tracked or not ignored by git) into an empty
// directory, as Seedfarmer bundles a module.
func bundle(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "-C", moduleDir, "ls-files", "--cached", "--others", "--exclude-standard", ".").Output()
	if err != nil {
		t.Fatalf("git ls-files %s: %v (git is needed to list the module's files)", moduleDir, err)
	}
	dir := filepath.Join(t.TempDir(), "module")
	for _, f := range strings.Fields(string(out)) {
		src := filepath.Join(moduleDir, f)
		info, err := os.Stat(src)
		if err != nil {
			continue // deleted in the work tree
		}
		writeFile(t, filepath.Join(dir, f), readFile(t, src))
		if err := os.Chmod(filepath.Join(dir, f), info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runPhases runs each command in its own shell (sh, dash on Debian and Ubuntu), in dir, with
// env only; a CDK deploy or destroy is run as synth, and afterCDK runs after it.
func runPhases(t *testing.T, dir string, env map[string]string, cmds []string, afterCDK func(string)) {
	t.Helper()
	gomod, gosum := readFile(t, filepath.Join(dir, "go.mod")), readFile(t, filepath.Join(dir, "go.sum"))
	for _, c := range cmds {
		isCDK := cdkCommand.MatchString(c)
		if isCDK {
			// The install phase may change go.mod and go.sum (the smcd_replace override); the
			// build may not.
			gomod, gosum = readFile(t, filepath.Join(dir, "go.mod")), readFile(t, filepath.Join(dir, "go.sum"))
			c = synthCommand(c)
		}
		out, err := run(dir, env, c)
		if err != nil {
			t.Fatalf("%s: %v\n%s", c, err, out)
		}
		if isCDK {
			if readFile(t, filepath.Join(dir, "go.mod")) != gomod || readFile(t, filepath.Join(dir, "go.sum")) != gosum {
				t.Errorf("%s rewrote go.mod or go.sum", c)
			}
			if afterCDK != nil {
				afterCDK(c)
			}
		}
	}
}

// synthCommand is cmd with its CDK deploy or destroy made a synth into cdk.out.
func synthCommand(cmd string) string {
	return cdkCommand.ReplaceAllString(cmd, `cdk synth --quiet --app "go run ." --output cdk.out`)
}

func run(dir string, env map[string]string, cmd string) (string, error) {
	c := exec.Command("sh", "-c", cmd)
	c.Dir = dir
	for k, v := range env {
		c.Env = append(c.Env, k+"="+v)
	}
	out, err := c.CombinedOutput()
	return string(out), err
}

type template struct {
	Outputs map[string]struct {
		Value any `json:"Value"`
	} `json:"Outputs"`
}

func readTemplate(t *testing.T, dir, stack string) template {
	t.Helper()
	var tmpl template
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "cdk.out", stack+".template.json"))), &tmpl); err != nil {
		t.Fatalf("template of %s: %v", stack, err)
	}
	return tmpl
}

// writeExports writes cdk-exports.json as `cdk deploy --outputs-file` does after a deployment,
// with CloudFormation's values of intrinsic functions replaced by placeholders.
func writeExports(t *testing.T, dir, stack string) {
	t.Helper()
	outputs := map[string]string{}
	for k, o := range readTemplate(t, dir, stack).Outputs {
		outputs[k] = resolve(o.Value)
	}
	b, err := json.Marshal(map[string]map[string]string{stack: outputs})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "cdk-exports.json"), string(b))
}

// resolve renders a template value: strings as they are, Fn::Join joined, any other intrinsic
// as a placeholder without quotes (so a JSON string built by Fn::Join stays JSON).
func resolve(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if j, ok := v["Fn::Join"].([]any); ok && len(j) == 2 {
			sep, _ := j[0].(string)
			parts, _ := j[1].([]any)
			var s []string
			for _, p := range parts {
				s = append(s, resolve(p))
			}
			return strings.Join(s, sep)
		}
		for k := range v {
			return "resolved-" + strings.TrimPrefix(k, "Fn::")
		}
	}
	return fmt.Sprint(v)
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
