package iamcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// InstallHint tells how to get the policy engine when it is missing.
const InstallHint = "install it with `make deps` (npm ci --prefix internal/iamcheck)"

// Policy is a named IAM policy document.
type Policy struct {
	Name     string          `json:"name"`
	Document json.RawMessage `json:"policy"`
}

// simulation is @cloud-copilot/iam-simulate's Simulation.
type simulation struct {
	Request struct {
		Principal string `json:"principal"`
		Action    string `json:"action"`
		Resource  struct {
			Resource  string `json:"resource"`
			AccountID string `json:"accountId"`
		} `json:"resource"`
		ContextVariables map[string]any `json:"contextVariables"`
	} `json:"request"`
	IdentityPolicies           []Policy        `json:"identityPolicies"`
	ServiceControlPolicies     []any           `json:"serviceControlPolicies"`
	ResourceControlPolicies    []any           `json:"resourceControlPolicies"`
	ResourcePolicy             json.RawMessage `json:"resourcePolicy,omitempty"`
	PermissionBoundaryPolicies []Policy        `json:"permissionBoundaryPolicies,omitempty"`
}

// reason is a grant or denial reason of the engine (getGrantReasons / getDenialReasons).
type reason struct {
	PolicyType       string `json:"policyType"`
	PolicyIdentifier string `json:"policyIdentifier"`
	Identifier       string `json:"identifier"`
	StatementID      string `json:"statementId"`
	DenialType       string `json:"denialType"`
}

// result is what simulate.cjs returns per simulation.
type result struct {
	Result  string   `json:"result"`
	Errors  string   `json:"errors"`
	Grants  []reason `json:"grants"`
	Denials []reason `json:"denials"`
}

// engineDir is this package's directory, where package.json pins the engine.
func engineDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("locate package iamcheck's directory")
	}
	return filepath.Dir(file), nil
}

// CheckEngine reports whether Node and the pinned policy engine are installed.
func CheckEngine() error {
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("IAM policy engine: node not found on PATH: Node.js >= 20 is required; %s", InstallHint)
	}
	dir, err := engineDir()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@cloud-copilot", "iam-simulate", "package.json")); err != nil {
		return fmt.Errorf("IAM policy engine @cloud-copilot/iam-simulate is not installed in %s: %s", dir, InstallHint)
	}
	return nil
}

// simulate runs the simulations in one Node process.
func simulate(ctx context.Context, sims []simulation) ([]result, error) {
	if err := CheckEngine(); err != nil {
		return nil, err
	}
	dir, err := engineDir()
	if err != nil {
		return nil, err
	}
	in, err := json.Marshal(sims)
	if err != nil {
		return nil, fmt.Errorf("encode simulations: %w", err)
	}
	cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, "simulate.cjs"))
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("run the IAM policy engine: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var res []result
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, fmt.Errorf("decode the IAM policy engine's answer: %w", err)
	}
	if len(res) != len(sims) {
		return nil, fmt.Errorf("the IAM policy engine answered %d of %d simulations", len(res), len(sims))
	}
	return res, nil
}
