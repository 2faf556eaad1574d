package iamcheck_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sagemaker-cd/sagemaker-cd/internal/iamcheck"
)

// withPolicies returns role with each identity policy document passed through edit.
func withPolicies(t *testing.T, role iamcheck.Role, edit func(doc map[string]any)) iamcheck.Role {
	t.Helper()
	out := role
	out.Identity = nil
	for _, p := range role.Identity {
		var doc map[string]any
		if err := json.Unmarshal(p.Document, &doc); err != nil {
			t.Fatal(err)
		}
		edit(doc)
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		out.Identity = append(out.Identity, iamcheck.Policy{Name: p.Name, Document: b})
	}
	return out
}

// statements calls f on each statement of doc.
func statements(doc map[string]any, f func(s map[string]any)) {
	list, _ := doc["Statement"].([]any)
	for _, s := range list {
		if m, ok := s.(map[string]any); ok {
			f(m)
		}
	}
}

// requireDenied fails t unless a decision denies action on resource and names wantWhy.
func requireDenied(t *testing.T, decisions []iamcheck.Decision, action, resource, wantWhy string) {
	t.Helper()
	for _, d := range decisions {
		if d.Action == action && d.Resource == resource {
			if d.Allowed {
				t.Errorf("the checker allowed %s on %s: %s", action, resource, d)
			} else if msg := d.String(); !strings.Contains(msg, "role "+d.Role) || !strings.Contains(msg, wantWhy) {
				t.Errorf("denial %q does not name the role and %q", msg, wantWhy)
			}
			return
		}
	}
	t.Errorf("no decision for %s on %s", action, resource)
}

// TestCheckerCatches: the checker denies what AWS would deny. The refresher's synthesized role
// is edited the way a regression would edit it, and the same recorded calls are evaluated again.
func TestCheckerCatches(t *testing.T) {
	c := refreshCase{name: "catches", endpointName: "Churn-Endpoint"}
	run := runRefresher(t, c)
	ep := endpointARN("endpoint", c.endpointName)
	evaluate := func(t *testing.T, role iamcheck.Role) []iamcheck.Decision {
		t.Helper()
		ch := *run.checker
		ch.Roles = map[string]iamcheck.Role{role.Name: role}
		d, err := ch.Evaluate(context.Background(), run.calls)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	t.Run("the synthesized role is allowed", func(t *testing.T) {
		requireAllowed(t, evaluate(t, run.role), "sagemaker:UpdateEndpoint on "+ep)
	})
	t.Run("a missing action", func(t *testing.T) {
		role := withPolicies(t, run.role, func(doc map[string]any) {
			statements(doc, func(s map[string]any) {
				if s["Sid"] == "ObserveAndUpdateEndpoint" {
					s["Action"] = "sagemaker:DescribeEndpoint"
				}
			})
		})
		requireDenied(t, evaluate(t, role), "sagemaker:UpdateEndpoint", ep, "should be allowed by identity policies of role refresher")
	})
	t.Run("a capitalised resource", func(t *testing.T) {
		role := withPolicies(t, run.role, func(doc map[string]any) {
			statements(doc, func(s map[string]any) {
				if r, ok := s["Resource"].(string); ok {
					s["Resource"] = strings.Replace(r, "endpoint/"+strings.ToLower(c.endpointName), "endpoint/"+c.endpointName, 1)
				}
			})
		})
		requireDenied(t, evaluate(t, role), "sagemaker:DescribeEndpoint", ep, "should be allowed by identity policies of role refresher")
	})
	t.Run("a permissions boundary without SageMaker", func(t *testing.T) {
		role := run.role
		role.Boundary = []iamcheck.Policy{{Name: "no-sagemaker", Document: json.RawMessage(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:*","kms:*","cloudwatch:*"],"Resource":"*"}]}`)}}
		requireDenied(t, evaluate(t, role), "sagemaker:UpdateEndpoint", ep, "should be allowed by permissions boundary of role refresher (no-sagemaker)")
	})
	t.Run("a call nobody mapped", func(t *testing.T) {
		calls := append(run.calls, iamcheck.Call{Role: run.role.Name, Service: "SageMaker", Operation: "DeleteEndpoint", Region: "us-east-1", Input: aws.String("x")})
		if _, err := run.checker.Evaluate(context.Background(), calls); err == nil || !strings.Contains(err.Error(), "no IAM mapping") {
			t.Errorf("evaluating an unmapped call: %v, expected an error naming the missing mapping", err)
		}
	})
}
