package layering

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/sagemaker-cd/sagemaker-cd/"

// deps lists the packages pkgs import, directly or not (with their tests' imports when test).
func deps(t *testing.T, test bool, pkgs ...string) []string {
	t.Helper()
	args := []string{"list", "-deps"}
	if test {
		args = append(args, "-test")
	}
	args = append(args, pkgs...)
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return strings.Fields(string(out))
}

// TestLayers: each row's packages (and, for test rows, their tests) must not depend on any of
// the forbidden import path prefixes.
func TestLayers(t *testing.T) {
	for _, tc := range []struct {
		name      string
		test      bool
		pkgs      []string
		forbidden []string
		// exact lists import paths forbidden as such (not as prefixes).
		exact []string
	}{
		{
			name: "runtime binaries and libraries never import the CDK",
			pkgs: []string{"../../cmd/refresher", "../../cmd/smcd", "../../cmd/package-cleaner",
				"../../refresh/...", "../../promotion/...", "../../events/..."},
			forbidden: []string{"github.com/aws/aws-cdk-go/", "github.com/aws/jsii-runtime-go", "github.com/cdklabs/"},
		},
		{
			name:      "pure cores do no AWS I/O",
			pkgs:      []string{"../../refresh", "../../promotion", "../../events"},
			forbidden: []string{"github.com/aws/aws-sdk-go-v2/config", "github.com/aws/aws-sdk-go-v2/credentials", "net/http/httptest", module + "internal/"},
		},
		{
			name:      "pure cores' tests run without the emulator",
			test:      true,
			pkgs:      []string{"../../refresh", "../../promotion", "../../events"},
			forbidden: []string{module + "internal/testkit", module + "internal/faultproxy", "net/http/httptest"},
		},
		{
			name:      "the copy engine and the error classes sit below the promotion core",
			pkgs:      []string{"../../promotion/s3copy", "../../promotion/awserr"},
			forbidden: []string{module + "promotion/promoter", module + "promotion/cleaner", module + "internal/", module + "refresh"},
			exact:     []string{module + "promotion"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, d := range deps(t, tc.test, tc.pkgs...) {
				if slices.Contains(tc.exact, d) {
					t.Errorf("%s depends on %s", strings.Join(tc.pkgs, " "), d)
				}
				for _, f := range tc.forbidden {
					if strings.HasPrefix(d, f) {
						t.Errorf("%s depends on %s", strings.Join(tc.pkgs, " "), d)
					}
				}
			}
		})
	}
}
