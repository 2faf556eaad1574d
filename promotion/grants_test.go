package promotion_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/promotion"
)

// policies returns every policy string of g by name.
func policies(g *promotion.Grants) map[string]string {
	out := map[string]string{"modelPackageGroupPolicy": g.ModelPackageGroupPolicy, "sourceRolePolicy": g.SourceRolePolicy,
		"targetEventBusPolicy": g.TargetEventBusPolicy, "eventRule.eventPattern": g.EventRule.EventPattern}
	if g.KMSKeyPolicyStatements != "" {
		out["kmsKeyPolicyStatements"] = g.KMSKeyPolicyStatements
	}
	for b, p := range g.BucketPolicies {
		out["bucketPolicies."+b] = p
	}
	for r, p := range g.ECRRepositoryPolicies {
		out["ecrRepositoryPolicies."+r] = p
	}
	return out
}

// TestGrantsPasteable: every policy is one line of valid JSON (SageMaker refuses policies with
// newlines), and every SageMaker ARN in it writes the group name lower case, as SageMaker does.
func TestGrantsPasteable(t *testing.T) {
	g, err := promotion.BuildGrants(promotion.GrantsInput{
		SourceGroupARN:  "arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/Churn-Model",
		TargetAccountID: "111222333444", Buckets: []string{"models-a"},
		KMSKeyARN:         "arn:aws:kms:eu-west-1:444333666777:key/abcd-1234",
		ImageRepositories: []string{"team/churn"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range policies(g) {
		if strings.ContainsAny(p, "\n\r") || !json.Valid([]byte(p)) {
			t.Errorf("%s is not one line of JSON: %q", name, p)
		}
		for _, a := range strings.Split(p, `"`) {
			if strings.HasPrefix(a, "arn:aws:sagemaker:") && a != strings.ToLower(a) {
				t.Errorf("%s: SageMaker ARN %s is not lower case", name, a)
			}
		}
	}
	if !strings.Contains(g.ModelPackageGroupPolicy, `"arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn-model"`) ||
		!strings.Contains(g.ModelPackageGroupPolicy, `"arn:aws:sagemaker:eu-west-1:444333666777:model-package/churn-model/*"`) {
		t.Errorf("group policy %s lacks the lower-case group and package ARNs", g.ModelPackageGroupPolicy)
	}
	// The event detail carries the name as created.
	if !strings.Contains(g.EventRule.EventPattern, `"ModelPackageGroupName":["Churn-Model"]`) {
		t.Errorf("event pattern %s lacks the group name", g.EventRule.EventPattern)
	}
}

func TestForwardRuleName(t *testing.T) {
	long := strings.Repeat("a", 63)
	tests := []struct{ group, want string }{
		{"churn", "smcd-forward-churn"},
		{strings.Repeat("b", 51), "smcd-forward-" + strings.Repeat("b", 51)}, // exactly 64
	}
	for _, tc := range tests {
		if got := promotion.ForwardRuleName(tc.group); got != tc.want {
			t.Errorf("ForwardRuleName(%q) = %q, want %q", tc.group, got, tc.want)
		}
	}
	a, b := promotion.ForwardRuleName(long), promotion.ForwardRuleName(long[:62]+"b")
	for _, n := range []string{a, b} {
		if len(n) > promotion.MaxRuleNameLength || !strings.HasPrefix(n, "smcd-forward-aaaa") {
			t.Errorf("ForwardRuleName of a 63-character group = %q (%d characters), want at most 64", n, len(n))
		}
	}
	if a == b {
		t.Errorf("two long group names share the rule name %q", a)
	}
	g, err := promotion.BuildGrants(promotion.GrantsInput{SourceGroupARN: "arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/" + long, TargetAccountID: "111222333444"})
	if err != nil || len(g.EventRule.Name) > 64 {
		t.Fatalf("BuildGrants: %v, rule name %q", err, g.EventRule.Name)
	}
}

// TestGrantsSourceRole: the role given as --source-role-arn reads the registry (with ListTags),
// the objects, and decrypts SSE-KMS sources through S3 (HeadObject's checksums need it).
func TestGrantsSourceRole(t *testing.T) {
	g, err := promotion.BuildGrants(promotion.GrantsInput{SourceGroupARN: "arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn",
		TargetAccountID: "111222333444", Buckets: []string{"models-a"}, KMSKeyARN: "arn:aws:kms:eu-west-1:444333666777:key/abcd-1234"})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Sid       string
			Action    any
			Resource  any
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(g.SourceRolePolicy), &doc); err != nil {
		t.Fatal(err)
	}
	bySid := map[string]int{}
	for i, s := range doc.Statement {
		bySid[s.Sid] = i
	}
	dec, ok := bySid["SmcdPromoteDecryptForChecksums"]
	if !ok || doc.Statement[dec].Action != "kms:Decrypt" || doc.Statement[dec].Resource != "arn:aws:kms:eu-west-1:444333666777:key/abcd-1234" ||
		doc.Statement[dec].Condition["StringEquals"]["kms:ViaService"] != "s3.eu-west-1.amazonaws.com" {
		t.Errorf("source role policy %s lacks kms:Decrypt on the key through S3", g.SourceRolePolicy)
	}
	reg := doc.Statement[bySid["SmcdPromoteReadRegistry"]]
	if !strings.Contains(g.SourceRolePolicy, "sagemaker:ListTags") || !reflect.DeepEqual(reg.Resource, []any{
		"arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn", "arn:aws:sagemaker:eu-west-1:444333666777:model-package/churn/*"}) {
		t.Errorf("registry statement %+v", reg)
	}
	noKey, _ := promotion.BuildGrants(promotion.GrantsInput{SourceGroupARN: "arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn", TargetAccountID: "111222333444"})
	if strings.Contains(noKey.SourceRolePolicy, "kms:") {
		t.Errorf("without a key the role policy grants KMS: %s", noKey.SourceRolePolicy)
	}
}

// TestGrantsECR: the target account may pull the images of the source account's private ECR.
func TestGrantsECR(t *testing.T) {
	g, err := promotion.BuildGrants(promotion.GrantsInput{SourceGroupARN: "arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn",
		TargetAccountID: "111222333444", ImageRepositories: []string{"team/churn", "444333666777.dkr.ecr.eu-west-1.amazonaws.com/team/churn@sha256:abcd", "xgb"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.ECRRepositoryPolicies) != 2 {
		t.Fatalf("ECR policies %v, want team/churn and xgb", g.ECRRepositoryPolicies)
	}
	want := `{"Statement":[{"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"],"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111222333444:root"},"Sid":"SmcdPromotePullImages"}],"Version":"2012-10-17"}`
	if got := g.ECRRepositoryPolicies["team/churn"]; got != want {
		t.Errorf("ECR policy = %s, want %s", got, want)
	}
	if len(g.Notes) != 2 || g.Notes[1] != promotion.ECRNote {
		t.Errorf("notes %q lack the ECR note", g.Notes)
	}
	for _, bad := range []string{"111222333444.dkr.ecr.eu-west-1.amazonaws.com/other:1", "Team/Churn"} {
		if _, err := promotion.BuildGrants(promotion.GrantsInput{SourceGroupARN: "arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn",
			TargetAccountID: "111222333444", ImageRepositories: []string{bad}}); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("image repository %q: err = %v, want it refused by name", bad, err)
		}
	}
}

func TestForeignImages(t *testing.T) {
	got := promotion.ForeignImages([]string{
		"444333666777.dkr.ecr.eu-west-1.amazonaws.com/churn:1",
		"111222333444.dkr.ecr.eu-west-1.amazonaws.com/own:1",
		"444333666777.dkr.ecr.eu-west-1.amazonaws.com/churn:2",
		"public.ecr.aws/x/y:1",
		"763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.1-cpu",
	}, "111222333444")
	want := []promotion.ImageRepository{{AccountID: "444333666777", Region: "eu-west-1", Name: "churn"}, {AccountID: "763104351884", Region: "eu-west-1", Name: "pytorch-inference"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ForeignImages = %+v, want %+v", got, want)
	}
}

// TestImageWarnings: only images in a private ECR repository of the source account are warned
// about, once per repository, and only when the target group is in another account (or not
// created yet); AWS's own images and the target account's are not.
func TestImageWarnings(t *testing.T) {
	const (
		source = "444333666777"
		churn  = "444333666777.dkr.ecr.eu-west-1.amazonaws.com/churn:1"
		dlc    = "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.1-cpu"
		own    = "111222333444.dkr.ecr.eu-west-1.amazonaws.com/own:1"
	)
	pkg := func(main []string, extra ...string) *sagemaker.DescribeModelPackageOutput {
		d := &sagemaker.DescribeModelPackageOutput{InferenceSpecification: &types.InferenceSpecification{}}
		for _, i := range main {
			d.InferenceSpecification.Containers = append(d.InferenceSpecification.Containers, types.ModelPackageContainerDefinition{Image: aws.String(i)})
		}
		for _, i := range extra {
			d.AdditionalInferenceSpecifications = append(d.AdditionalInferenceSpecifications, types.AdditionalInferenceSpecificationDefinition{
				Name: aws.String("extra"), Containers: []types.ModelPackageContainerDefinition{{Image: aws.String(i)}}})
		}
		return d
	}
	for _, tc := range []struct {
		name   string
		pkg    *sagemaker.DescribeModelPackageOutput
		target string
		want   []string // repository ARNs warned about
	}{
		{"source-account image, target group not created yet", pkg([]string{churn}), "", []string{"arn:aws:ecr:eu-west-1:444333666777:repository/churn"}},
		{"source-account image, target group in another account", pkg([]string{dlc, churn}),
			"arn:aws:sagemaker:eu-west-1:111222333444:model-package-group/churn", []string{"arn:aws:ecr:eu-west-1:444333666777:repository/churn"}},
		{"same image in an additional specification is warned once", pkg([]string{churn}, churn), "", []string{"arn:aws:ecr:eu-west-1:444333666777:repository/churn"}},
		{"AWS images and the target's own are not warned", pkg([]string{dlc, own}), "", nil},
		{"promotion within one account", pkg([]string{churn}), "arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn-prod", nil},
		{"no inference specification", &sagemaker.DescribeModelPackageOutput{}, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := promotion.ImageWarnings(tc.pkg, source, tc.target)
			if len(got) != len(tc.want) {
				t.Fatalf("ImageWarnings = %q, want %d warnings about %q", got, len(tc.want), tc.want)
			}
			for i, w := range got {
				if !strings.Contains(w, tc.want[i]) || !strings.Contains(w, "smcd promote grants --image-repository churn") {
					t.Errorf("warning %q does not name %s and the grants command", w, tc.want[i])
				}
			}
		})
	}
}
