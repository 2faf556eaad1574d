package iamcheck

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Template is a synthesized CloudFormation template, with what its intrinsic functions resolve
// to in one account and region.
type Template struct {
	// Resources by logical ID.
	Resources map[string]Resource
	// Account, Region and StackName the template is deployed with.
	Account, Region, StackName string
	// StackID is what AWS::StackId resolves to (default: an ID made of the stack name).
	StackID string
	// Names are the physical names of resources, by logical ID; a resource not listed is named
	// by its logical ID.
	Names map[string]string
}

// Resource is one resource of a template.
type Resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
}

// ParseTemplate reads a template's JSON.
func ParseTemplate(body []byte, account, region, stackName string) (*Template, error) {
	var doc struct{ Resources map[string]Resource }
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	return &Template{Resources: doc.Resources, Account: account, Region: region, StackName: stackName, Names: map[string]string{}}, nil
}

// Name is the physical name of a resource.
func (t *Template) Name(id string) string {
	if n, ok := t.Names[id]; ok {
		return n
	}
	return id
}

// OfType returns the logical IDs of the resources of type typ, sorted.
func (t *Template) OfType(typ string) []string {
	var ids []string
	for id, r := range t.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// Ref is what Ref of a resource or pseudo parameter resolves to.
func (t *Template) Ref(id string) (string, error) {
	switch id {
	case "AWS::Partition":
		return Partition, nil
	case "AWS::Region":
		return t.Region, nil
	case "AWS::AccountId":
		return t.Account, nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::StackName":
		return t.StackName, nil
	case "AWS::StackId":
		if t.StackID != "" {
			return t.StackID, nil
		}
		return fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/%s/00000000-0000-0000-0000-000000000000", Partition, t.Region, t.Account, t.StackName), nil
	}
	r, ok := t.Resources[id]
	if !ok {
		return "", fmt.Errorf("Ref %s: no such resource", id)
	}
	switch r.Type {
	case "AWS::KMS::Key", "AWS::IAM::Role", "AWS::DynamoDB::Table", "AWS::Logs::LogGroup", "AWS::S3::Bucket",
		"AWS::Lambda::Function", "AWS::CodeBuild::Project", "AWS::CodePipeline::Pipeline", "AWS::IAM::ManagedPolicy",
		"AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig":
		return t.Name(id), nil
	case "AWS::SQS::Queue":
		return fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", t.Region, t.Account, t.Name(id)), nil
	}
	return "", fmt.Errorf("Ref %s: resources of type %s are not supported", id, r.Type)
}

// GetAtt is what Fn::GetAtt of a resource's attribute resolves to.
func (t *Template) GetAtt(id, attr string) (string, error) {
	r, ok := t.Resources[id]
	if !ok {
		return "", fmt.Errorf("Fn::GetAtt %s.%s: no such resource", id, attr)
	}
	n, p, reg, acct := t.Name(id), Partition, t.Region, t.Account
	if attr == "Arn" {
		switch r.Type {
		case "AWS::KMS::Key":
			return fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", p, reg, acct, n), nil
		case "AWS::IAM::Role":
			return fmt.Sprintf("arn:%s:iam::%s:role/%s", p, acct, n), nil
		case "AWS::DynamoDB::Table":
			return fmt.Sprintf("arn:%s:dynamodb:%s:%s:table/%s", p, reg, acct, n), nil
		case "AWS::Logs::LogGroup":
			return fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", p, reg, acct, n), nil
		case "AWS::S3::Bucket":
			return fmt.Sprintf("arn:%s:s3:::%s", p, n), nil
		case "AWS::SQS::Queue":
			return fmt.Sprintf("arn:%s:sqs:%s:%s:%s", p, reg, acct, n), nil
		case "AWS::Lambda::Function":
			return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", p, reg, acct, n), nil
		case "AWS::CodeBuild::Project":
			return fmt.Sprintf("arn:%s:codebuild:%s:%s:project/%s", p, reg, acct, n), nil
		}
	}
	return "", fmt.Errorf("Fn::GetAtt %s.%s: attribute of type %s is not supported", id, attr, r.Type)
}

var subVar = regexp.MustCompile(`\$\{([^}!]+)\}`)

// Resolve replaces the intrinsic functions in v (Ref, Fn::GetAtt, Fn::Join, Fn::Sub without a
// variable map, Fn::Select, Fn::Split) by their values.
func (t *Template) Resolve(v any) (any, error) {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := t.Resolve(e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return t.function(k, arg)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := t.Resolve(e)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}

// ResolveString resolves v, which must come out a string.
func (t *Template) ResolveString(v any) (string, error) {
	r, err := t.Resolve(v)
	if err != nil {
		return "", err
	}
	s, ok := r.(string)
	if !ok {
		return "", fmt.Errorf("resolve %v: expected a string, got %T", v, r)
	}
	return s, nil
}

func (t *Template) function(name string, arg any) (any, error) {
	switch name {
	case "Ref":
		id, _ := arg.(string)
		return t.Ref(id)
	case "Fn::GetAtt":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::GetAtt %v: expected [ID, attribute]", arg)
		}
		id, _ := a[0].(string)
		attr, _ := a[1].(string)
		return t.GetAtt(id, attr)
	case "Fn::Join":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Join %v: expected [separator, list]", arg)
		}
		sep, _ := a[0].(string)
		list, err := t.Resolve(a[1])
		if err != nil {
			return nil, err
		}
		items, _ := list.([]any)
		parts := make([]string, len(items))
		for i, it := range items {
			s, ok := it.(string)
			if !ok {
				return nil, fmt.Errorf("Fn::Join: item %v is not a string", it)
			}
			parts[i] = s
		}
		return strings.Join(parts, sep), nil
	case "Fn::Sub":
		s, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("Fn::Sub %v: only the string form is supported", arg)
		}
		var ferr error
		out := subVar.ReplaceAllStringFunc(s, func(m string) string {
			name := subVar.FindStringSubmatch(m)[1]
			var v string
			var err error
			if id, attr, ok := strings.Cut(name, "."); ok {
				v, err = t.GetAtt(id, attr)
			} else {
				v, err = t.Ref(name)
			}
			if err != nil && ferr == nil {
				ferr = err
			}
			return v
		})
		return out, ferr
	case "Fn::Select":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Select %v: expected [index, list]", arg)
		}
		idx, _ := a[0].(float64)
		list, err := t.Resolve(a[1])
		if err != nil {
			return nil, err
		}
		items, _ := list.([]any)
		if int(idx) < 0 || int(idx) >= len(items) {
			return nil, fmt.Errorf("Fn::Select %v: index out of range", arg)
		}
		return items[int(idx)], nil
	case "Fn::Split":
		a, _ := arg.([]any)
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Split %v: expected [separator, string]", arg)
		}
		sep, _ := a[0].(string)
		s, err := t.ResolveString(a[1])
		if err != nil {
			return nil, err
		}
		var out []any
		for _, p := range strings.Split(s, sep) {
			out = append(out, p)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s is not supported", name)
}

// Role returns role id of the template as the checker evaluates it, named name: its inline
// policies and the AWS::IAM::Policy resources attached to it, resolved; and its permissions
// boundary, whose document boundaries gives by policy ARN (an unknown boundary is an error).
func (t *Template) Role(id, name string, boundaries map[string]json.RawMessage) (Role, error) {
	r, ok := t.Resources[id]
	if !ok || r.Type != "AWS::IAM::Role" {
		return Role{}, fmt.Errorf("role %s: no such AWS::IAM::Role in the template", id)
	}
	roleARN, err := t.GetAtt(id, "Arn")
	if err != nil {
		return Role{}, err
	}
	role := Role{Name: name, ARN: roleARN}
	addDoc := func(policyName string, doc any) error {
		resolved, err := t.Resolve(doc)
		if err != nil {
			return fmt.Errorf("role %s policy %s: %w", id, policyName, err)
		}
		b, err := json.Marshal(resolved)
		if err != nil {
			return err
		}
		role.Identity = append(role.Identity, Policy{Name: policyName, Document: b})
		return nil
	}
	inline, _ := r.Properties["Policies"].([]any)
	for _, p := range inline {
		m, _ := p.(map[string]any)
		n, _ := m["PolicyName"].(string)
		if err := addDoc(id+"/"+n, m["PolicyDocument"]); err != nil {
			return Role{}, err
		}
	}
	for _, pid := range t.OfType("AWS::IAM::Policy") {
		p := t.Resources[pid].Properties
		roles, _ := p["Roles"].([]any)
		for _, ref := range roles {
			if m, ok := ref.(map[string]any); ok && m["Ref"] == id {
				if err := addDoc(pid, p["PolicyDocument"]); err != nil {
					return Role{}, err
				}
			}
		}
	}
	if len(role.Identity) == 0 {
		return Role{}, fmt.Errorf("role %s has no identity policy in the template", id)
	}
	if b, ok := r.Properties["PermissionsBoundary"]; ok {
		arn, err := t.ResolveString(b)
		if err != nil {
			return Role{}, fmt.Errorf("role %s permissions boundary: %w", id, err)
		}
		doc, ok := boundaries[arn]
		if !ok {
			return Role{}, fmt.Errorf("role %s has permissions boundary %s, whose document the test does not give", id, arn)
		}
		role.Boundary = []Policy{{Name: arn, Document: doc}}
	}
	return role, nil
}

// FunctionRole returns the logical ID of the role of Lambda function fn.
func (t *Template) FunctionRole(fn string) (string, error) {
	r, ok := t.Resources[fn]
	if !ok || r.Type != "AWS::Lambda::Function" {
		return "", fmt.Errorf("function %s: no such AWS::Lambda::Function in the template", fn)
	}
	return getAttID(r.Properties["Role"])
}

// getAttID returns the logical ID of {"Fn::GetAtt": [ID, "Arn"]}.
func getAttID(v any) (string, error) {
	m, _ := v.(map[string]any)
	a, _ := m["Fn::GetAtt"].([]any)
	if len(a) != 2 {
		return "", fmt.Errorf("%v: expected Fn::GetAtt of a role's Arn", v)
	}
	id, _ := a[0].(string)
	return id, nil
}

// ProjectRole returns the logical ID of the service role of CodeBuild project p.
func (t *Template) ProjectRole(p string) (string, error) {
	r, ok := t.Resources[p]
	if !ok || r.Type != "AWS::CodeBuild::Project" {
		return "", fmt.Errorf("project %s: no such AWS::CodeBuild::Project in the template", p)
	}
	return getAttID(r.Properties["ServiceRole"])
}

// FunctionEnv returns the resolved environment variables of Lambda function fn.
func (t *Template) FunctionEnv(fn string) (map[string]string, error) {
	r, ok := t.Resources[fn]
	if !ok || r.Type != "AWS::Lambda::Function" {
		return nil, fmt.Errorf("function %s: no such AWS::Lambda::Function in the template", fn)
	}
	env, _ := r.Properties["Environment"].(map[string]any)
	vars, _ := env["Variables"].(map[string]any)
	out := map[string]string{}
	for k, v := range vars {
		s, err := t.ResolveString(v)
		if err != nil {
			return nil, fmt.Errorf("function %s variable %s: %w", fn, k, err)
		}
		out[k] = s
	}
	return out, nil
}
