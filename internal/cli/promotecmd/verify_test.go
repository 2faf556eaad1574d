package promotecmd_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/cmdutil"
	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/promotecmd"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter/promotertest"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

// legacySource adds v4 (Approved, the newest) whose artifact was uploaded without a checksum,
// and returns its ARN and a KMS key in the target account.
func legacySource(t *testing.T, s source) (v4, key string) {
	t.Helper()
	ctx := context.Background()
	u, err := s.env.PutLegacy(ctx, "churn/v4/model.tar.gz", promotertest.Data(4, 3000))
	if err != nil {
		t.Fatal(err)
	}
	if v4, err = s.env.Register(ctx, "churn", types.ModelApprovalStatusApproved, u, nil); err != nil {
		t.Fatal(err)
	}
	k, err := kms.NewFromConfig(s.env.TargetCfg).CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	return v4, aws.ToString(k.KeyMetadata.Arn)
}

func TestVerifySizeForLegacyArtifacts(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		code    int
		stdout  []string
		stderr  []string
		summary string // verify mode in the JSON summary ("" = text output)
		copied  bool
	}{
		{"strict refuses with the way out", nil, nil, cmdutil.ExitIntegrity, nil,
			[]string{"cannot be verified", "or pass --verify size (SMCD_VERIFY=size) to accept size + pinned ETag"}, "", false},
		{"--verify size promotes", []string{"--verify", "size", "--output", "json"}, nil, 0, nil,
			[]string{"verified: " + s3copy.VerifiedSizePinned}, "size", true},
		{"SMCD_VERIFY=size promotes", nil, map[string]string{"SMCD_VERIFY": "size"}, 0, []string{"promoted "}, nil, "", true},
		{"the flag wins over SMCD_VERIFY", []string{"--verify", "checksum"}, map[string]string{"SMCD_VERIFY": "size"}, cmdutil.ExitIntegrity, nil,
			[]string{"or pass --verify size"}, "", false},
		{"dry run shows the method per object", []string{"--verify", "size", "--dry-run"}, nil, 0,
			[]string{"would copy 1 objects (2.9 KiB), verify mode size:", "[" + s3copy.VerifiedSizePinned + "]"}, nil, "", false},
		{"dry run refuses in checksum mode", []string{"--dry-run"}, nil, cmdutil.ExitIntegrity, nil, []string{"or pass --verify size"}, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSource(t)
			v4, key := legacySource(t, s)
			args := append([]string{"promote", "--source-group-arn", s.groupARN, "--target-bucket", s.env.TargetBucket,
				"--source-role-arn", s.env.SourceRoleARN, "--kms-key-arn", key}, tc.args...)
			code, out, errOut := smcd(t, tc.env, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, tc.code, out, errOut)
			}
			for _, w := range tc.stdout {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.stderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if tc.summary != "" {
				var sum promotecmd.Summary
				if err := json.Unmarshal([]byte(out), &sum); err != nil {
					t.Fatalf("summary %q: %v", out, err)
				}
				if sum.Verify != tc.summary || sum.SourceARN != v4 || !sum.Verified || sum.Objects != 1 {
					t.Errorf("summary %+v, want verify %q and %s promoted", sum, tc.summary, v4)
				}
			}
			keys, err := s.env.TargetKeys(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tc.copied != (len(keys) == 1) || (!tc.copied && len(keys) != 0) {
				t.Errorf("target keys %v, want copied = %v", keys, tc.copied)
			}
		})
	}
}

func TestDryRunJSONShowsVerification(t *testing.T) {
	s := newSource(t)
	_, key := legacySource(t, s)
	code, out, errOut := smcd(t, map[string]string{"SMCD_VERIFY": "size"}, "promote", "--source-group-arn", s.groupARN, "--target-bucket", s.env.TargetBucket,
		"--source-role-arn", s.env.SourceRoleARN, "--kms-key-arn", key, "--dry-run", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var sum promotecmd.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("summary %q: %v", out, err)
	}
	if sum.Verify != "size" || sum.Plan == nil || len(sum.Plan.Objects) != 1 || sum.Plan.Objects[0].Verification != s3copy.VerifiedSizePinned {
		t.Errorf("dry-run summary %s", out)
	}
}
