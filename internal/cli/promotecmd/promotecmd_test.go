package promotecmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/internal/cli"
	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/cmdutil"
	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/promotecmd"
	"github.com/sagemaker-cd/sagemaker-cd/internal/faultproxy"
	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
	"github.com/sagemaker-cd/sagemaker-cd/promotion"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter/promotertest"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { testkit.RunWithMoto(m, &moto, testkit.Options{}) }

// smcd runs the command line with the emulator's environment plus env, and returns the exit
// code, stdout and stderr.
func smcd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	return smcdVia(t, moto, env, args...)
}

// smcdVia is smcd with the AWS environment of m (such as the emulator through a fault proxy).
// Every SMCD_* variable of the promote contract is set from env, empty when env lacks it.
func smcdVia(t *testing.T, m *testkit.Moto, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	for _, kv := range m.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	for _, st := range promotion.Settings() {
		t.Setenv(st.Env, env[st.Env])
	}
	t.Setenv(promotion.EnvEvent, env[promotion.EnvEvent])
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := cli.Main(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

const goodARN = "arn:aws:sagemaker:us-east-1:444333666777:model-package-group/churn"

type source struct {
	env      *promotertest.Env
	groupARN string
	v2       string
}

// newSource builds the source registry: v1 Approved, v2 Approved, v3 Rejected.
func newSource(t *testing.T) source {
	t.Helper()
	ctx := context.Background()
	env, err := promotertest.New(ctx, moto)
	if err != nil {
		t.Fatal(err)
	}
	arn, err := env.CreateGroup(ctx, "churn")
	if err != nil {
		t.Fatal(err)
	}
	s := source{env: env, groupARN: arn}
	for i, st := range []types.ModelApprovalStatus{"Approved", "Approved", "Rejected"} {
		u, err := env.Put(ctx, "churn/v"+string(rune('1'+i))+"/model.tar.gz", promotertest.Data(uint64(i), 2048))
		if err != nil {
			t.Fatal(err)
		}
		a, err := env.Register(ctx, "churn", st, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			s.v2 = a
		}
	}
	return s
}

// Bad input and flag parsing are tested without the emulator in package cli.

func TestPromoteFromEnvironmentJSONAndIdempotent(t *testing.T) {
	s := newSource(t)
	env := map[string]string{
		"SMCD_SOURCE_GROUP_ARN": s.groupARN, "SMCD_TARGET_BUCKET": s.env.TargetBucket, "SMCD_SOURCE_ROLE_ARN": s.env.SourceRoleARN,
		"SMCD_TARGET_GROUP": "churn-prod", "SMCD_TARGET_PREFIX": "promoted", "SMCD_PROJECT_ID": "p-1", "SMCD_PROJECT_NAME": "churn",
	}
	code, out, errOut := smcd(t, env, "promote", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var sum promotecmd.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("summary %q: %v", out, err)
	}
	if sum.Result != "promote" || sum.SourceARN != s.v2 || sum.Objects != 1 || sum.Bytes != 2048 || !sum.Verified || sum.Verify != "checksum" ||
		!strings.HasPrefix(sum.TargetARN, "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-prod/") {
		t.Errorf("summary %+v", sum)
	}
	want := "promoted/churn/2/" + s.env.SourceBucket + "/churn/v2/model.tar.gz"
	if _, err := s.env.TargetS3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(s.env.TargetBucket), Key: aws.String(want)}); err != nil {
		t.Errorf("target object %s: %v", want, err)
	}
	if !strings.Contains(errOut, "copied s3://") || !strings.Contains(errOut, "verified: size + CRC32") {
		t.Errorf("not a terminal: want plain log lines on stderr, got %q", errOut)
	}
	code, out, _ = smcd(t, env, "promote")
	if code != 0 || !strings.HasPrefix(out, "already up to date: "+s.v2) {
		t.Errorf("second run: exit %d, %q", code, out)
	}
}

// TestLeftoverUploadThatCannotBeAborted: an earlier run left an incomplete multipart upload on
// a planned target key, and aborting it fails (after the SDK's retries). The promotion still
// succeeds, and says which upload stays, by its ID and with the command that aborts it, on
// stderr (once) and in the JSON summary's warnings.
func TestLeftoverUploadThatCannotBeAborted(t *testing.T) {
	s := newSource(t)
	ctx := context.Background()
	key := promotion.TargetKey("", "churn", 2, promotion.S3Location{Bucket: s.env.SourceBucket, Key: "churn/v2/model.tar.gz"})
	up, err := s.env.TargetS3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(s.env.TargetBucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(up.UploadId)
	proxy, err := faultproxy.Start(moto.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	proxy.Add(faultproxy.Rule{Operation: "AbortMultipartUpload", Fault: faultproxy.InternalError})

	code, out, errOut := smcdVia(t, moto.Via(proxy.URL), nil, "promote", "--source-group-arn", s.groupARN, "--target-bucket", s.env.TargetBucket,
		"--source-role-arn", s.env.SourceRoleARN, "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d, want 0 (the copy does not need the leftover gone): %s", code, errOut)
	}
	if proxy.Count("AbortMultipartUpload") == 0 {
		t.Fatalf("the leftover upload was never aborted; stderr: %s", errOut)
	}
	var sum promotecmd.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("summary %q: %v", out, err)
	}
	wantWarning := "upload ID " + id
	var found int
	for _, w := range sum.Warnings {
		if strings.Contains(w, wantWarning) && strings.Contains(w, "abort-multipart-upload") {
			found++
		}
	}
	if sum.Result != "promote" || found != 1 {
		t.Errorf("summary result %q, warnings %q: want promote and one warning naming %s and how to abort it", sum.Result, sum.Warnings, wantWarning)
	}
	if n := strings.Count(errOut, wantWarning); n != 1 || !strings.Contains(errOut, "warning: ") {
		t.Errorf("stderr names %s %d times, want once in a warning:\n%s", wantWarning, n, errOut)
	}
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	s := newSource(t)
	env := map[string]string{"SMCD_SOURCE_GROUP_ARN": "arn:aws:sagemaker:us-east-1:444333666777:model-package-group/other", "SMCD_TARGET_BUCKET": "Not_Valid"}
	code, out, errOut := smcd(t, env, "promote", "--source-group-arn", s.groupARN, "--target-bucket", s.env.TargetBucket, "--source-role-arn", s.env.SourceRoleARN)
	if code != 0 || !strings.HasPrefix(out, "promoted "+s.v2) {
		t.Errorf("exit %d, %q %q", code, out, errOut)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	s := newSource(t)
	code, out, errOut := smcd(t, nil, "promote", "--source-group-arn", s.groupARN, "--target-bucket", s.env.TargetBucket, "--source-role-arn", s.env.SourceRoleARN, "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"dry run: nothing will be changed", "decision: promote", s.v2 + " is the newest Approved package",
		"would create target group churn", "would copy 1 objects (2.0 KiB)", "s3://" + s.env.SourceBucket + "/churn/v2/model.tar.gz -> s3://" + s.env.TargetBucket + "/churn/2/",
		`"ModelDataUrl": "s3://` + s.env.TargetBucket, `"smcd:source-model-package-arn": "` + s.v2} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	keys, err := s.env.TargetKeys(context.Background())
	if err != nil || len(keys) != 0 {
		t.Errorf("dry run wrote %v (%v)", keys, err)
	}
	if pkgs, err := s.env.TargetPackages(context.Background(), "churn"); err != nil || len(pkgs) != 0 {
		t.Errorf("dry run registered %d packages (%v)", len(pkgs), err)
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, s source) []string
		code  int
		want  string
	}{
		{"nothing approved", func(t *testing.T, s source) []string {
			if _, err := s.env.SourceSM.CreateModelPackageGroup(context.Background(), newGroup("empty")); err != nil {
				t.Fatal(err)
			}
			return []string{"--source-group-arn", "arn:aws:sagemaker:us-east-1:444333666777:model-package-group/empty", "--source-role-arn", s.env.SourceRoleARN}
		}, 0, "nothing approved: the source group has no Approved model package"},
		{"source group not found", func(t *testing.T, s source) []string {
			return []string{"--source-group-arn", "arn:aws:sagemaker:us-east-1:444333666777:model-package-group/missing", "--source-role-arn", s.env.SourceRoleARN}
		}, cmdutil.ExitNotFound, "source model package group arn:aws:sagemaker:us-east-1:444333666777:model-package-group/missing not found"},
		{"access denied by ARN without a group policy", func(t *testing.T, s source) []string {
			return []string{"--source-group-arn", s.groupARN}
		}, cmdutil.ExitDenied, "AccessDeniedException"},
		{"unsafe key", func(t *testing.T, s source) []string {
			ctx := context.Background()
			s.env.Put(ctx, "llm/w/a.bin", []byte("x"))
			s.env.Put(ctx, "llm/w/sub/", nil)
			in := prefixPackage("s3://" + s.env.SourceBucket + "/llm/w/")
			if _, err := s.env.Register(ctx, "churn", "Approved", "", in); err != nil {
				t.Fatal(err)
			}
			return []string{"--source-group-arn", s.groupARN, "--source-role-arn", s.env.SourceRoleARN}
		}, cmdutil.ExitBadInput, "unsafe source key s3://" + "mlops-source-444333666777/llm/w/sub/: 0-byte folder marker"},
		{"integrity: copy cannot be verified", func(t *testing.T, s source) []string {
			ctx := context.Background()
			// No checksum and an SSE-KMS target: the ETag is not comparable, so the promoter refuses.
			if _, err := s.env.SourceS3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.env.SourceBucket), Key: aws.String("nock/model.tar.gz"), Body: strings.NewReader("data")}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.env.Register(ctx, "churn", "Approved", "s3://"+s.env.SourceBucket+"/nock/model.tar.gz", nil); err != nil {
				t.Fatal(err)
			}
			return []string{"--source-group-arn", s.groupARN, "--source-role-arn", s.env.SourceRoleARN, "--kms-key-arn", "arn:aws:kms:us-east-1:123456789012:key/0000-1111"}
		}, cmdutil.ExitIntegrity, "cannot be verified: the source has no full-object CRC checksum and its ETag is not comparable (multipart copy, SSE-KMS or multipart source); " +
			"re-upload it with a checksum (aws s3 cp --checksum-algorithm CRC32), or pass --verify size (SMCD_VERIFY=size) to accept size + pinned ETag"},
		{"source object missing", func(t *testing.T, s source) []string {
			if _, err := s.env.Register(context.Background(), "churn", "Approved", "s3://"+s.env.SourceBucket+"/gone/model.tar.gz", nil); err != nil {
				t.Fatal(err)
			}
			return []string{"--source-group-arn", s.groupARN, "--source-role-arn", s.env.SourceRoleARN}
		}, cmdutil.ExitNotFound, "source object s3://mlops-source-444333666777/gone/model.tar.gz not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSource(t)
			args := append([]string{"promote", "--target-bucket", s.env.TargetBucket}, tc.setup(t, s)...)
			code, out, errOut := smcd(t, nil, args...)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d with %q", code, out, errOut, tc.code, tc.want)
			}
			if tc.code != 0 {
				if keys, _ := s.env.TargetKeys(context.Background()); len(keys) != 0 {
					t.Errorf("failed run copied %v", keys)
				}
			}
		})
	}
}

func TestEventIsLoggedButStateWins(t *testing.T) {
	s := newSource(t)
	ev := `{"id":"e-1","source":"aws.sagemaker","detail-type":"SageMaker Model Package State Change","account":"444333666777","region":"us-east-1",
"detail":{"ModelPackageGroupName":"churn","ModelPackageVersion":1,"ModelPackageArn":"arn:aws:sagemaker:us-east-1:444333666777:model-package/churn/1","ModelApprovalStatus":"Approved"}}`
	file := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(file, []byte(ev), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := smcd(t, map[string]string{"SMCD_EVENT": file}, "promote", "--source-group-arn", s.groupARN, "--target-bucket", s.env.TargetBucket, "--source-role-arn", s.env.SourceRoleARN)
	if code != 0 || !strings.Contains(errOut, "triggered by e-1: arn:aws:sagemaker:us-east-1:444333666777:model-package/churn/1 is Approved") || !strings.HasPrefix(out, "promoted "+s.v2) {
		t.Errorf("exit %d, stdout %q, stderr %q: want the event logged and v2 promoted", code, out, errOut)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"source":"aws.s3"}`), 0o600)
	if code, _, errOut := smcd(t, nil, "promote", "--source-group-arn", s.groupARN, "--target-bucket", s.env.TargetBucket, "--event", bad); code != cmdutil.ExitBadInput {
		t.Errorf("bad event: exit %d %q, want 2", code, errOut)
	}
}

func TestProgressBarOnTerminal(t *testing.T) {
	s := newSource(t)
	for _, kv := range moto.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	var out, errOut bytes.Buffer
	f := &cmdutil.Factory{Stdout: &out, Stderr: &errOut, IsTerminal: true}
	root := cli.NewRoot(f)
	root.SetArgs([]string{"promote", "--source-group-arn", s.groupARN, "--target-bucket", s.env.TargetBucket, "--source-role-arn", s.env.SourceRoleARN})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "copying 1 objects") || strings.Contains(errOut.String(), "copied s3://") {
		t.Errorf("terminal stderr %q: want a progress bar, not log lines", errOut.String())
	}
}

func TestGrantsJSON(t *testing.T) {
	code, out, errOut := smcd(t, nil, "promote", "grants", "--source-group-arn", goodARN, "--target-account", "111222333444", "--bucket", "models-a", "--bucket", "models-b",
		"--kms-key-arn", "arn:aws:kms:us-east-1:444333666777:key/abcd")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var raw struct {
		ModelPackageGroupPolicy string            `json:"modelPackageGroupPolicy"`
		BucketPolicies          map[string]string `json:"bucketPolicies"`
		KMSKeyPolicyStatements  string            `json:"kmsKeyPolicyStatements"`
		EventRule               struct {
			EventPattern string `json:"eventPattern"`
			TargetARN    string `json:"targetArn"`
		} `json:"eventRule"`
		TargetEventBusPolicy string   `json:"targetEventBusPolicy"`
		Notes                []string `json:"notes"`
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var g struct {
		ModelPackageGroupPolicy map[string]any
		BucketPolicies          map[string]map[string]any
		KMSKeyPolicyStatements  []map[string]any
		EventRule               struct{ TargetARN string }
		TargetEventBusPolicy    map[string]any
		Notes                   []string
	}
	g.BucketPolicies = map[string]map[string]any{}
	// Every policy is a one-line JSON string, pasteable into the API call.
	for name, p := range map[string]string{"group": raw.ModelPackageGroupPolicy, "key": raw.KMSKeyPolicyStatements, "bus": raw.TargetEventBusPolicy,
		"pattern": raw.EventRule.EventPattern, "bucket a": raw.BucketPolicies["models-a"], "bucket b": raw.BucketPolicies["models-b"]} {
		if strings.ContainsAny(p, "\n\r") || !json.Valid([]byte(p)) {
			t.Errorf("%s policy is not one line of JSON: %q", name, p)
		}
	}
	must := func(s string, v any) {
		if err := json.Unmarshal([]byte(s), v); err != nil {
			t.Fatalf("%v: %s", err, s)
		}
	}
	must(raw.ModelPackageGroupPolicy, &g.ModelPackageGroupPolicy)
	must(raw.KMSKeyPolicyStatements, &g.KMSKeyPolicyStatements)
	must(raw.TargetEventBusPolicy, &g.TargetEventBusPolicy)
	for b, p := range raw.BucketPolicies {
		var m map[string]any
		must(p, &m)
		g.BucketPolicies[b] = m
	}
	g.EventRule.TargetARN, g.Notes = raw.EventRule.TargetARN, raw.Notes
	if g.ModelPackageGroupPolicy["Version"] != "2012-10-17" || len(g.BucketPolicies) != 2 || len(g.KMSKeyPolicyStatements) != 1 ||
		g.EventRule.TargetARN != "arn:aws:events:us-east-1:111222333444:event-bus/default" || g.TargetEventBusPolicy["Statement"] == nil ||
		len(g.Notes) != 1 || !strings.Contains(g.Notes[0], "always run as the target account") {
		t.Errorf("grants %s", out)
	}
	cond, _ := g.KMSKeyPolicyStatements[0]["Condition"].(map[string]any)
	if eq, _ := cond["StringEquals"].(map[string]any); eq["kms:ViaService"] != "s3.us-east-1.amazonaws.com" || eq["kms:CallerAccount"] != "111222333444" {
		t.Errorf("KMS statement condition %v, want decrypt only via S3 in us-east-1 for 111222333444", cond)
	}
	_, help, _ := smcd(t, nil, "promote", "grants", "--help")
	if !strings.Contains(help, "CopyObject and UploadPartCopy are always issued with the target account's\ncredentials") {
		t.Errorf("grants help does not say who copies:\n%s", help)
	}
}

// TestReapprovedAfterRejection: v2 promoted, rejected at the source (its copy is rejected and v1
// promoted), approved again: the dry run and the run say the copy is set back, not "up to date".
func TestReapprovedAfterRejection(t *testing.T) {
	s := newSource(t)
	ctx := context.Background()
	args := []string{"promote", "--source-group-arn", s.groupARN, "--target-bucket", s.env.TargetBucket, "--source-role-arn", s.env.SourceRoleARN}
	if code, out, errOut := smcd(t, nil, args...); code != 0 || !strings.HasPrefix(out, "promoted "+s.v2) {
		t.Fatalf("first run: exit %d, %q %q", code, out, errOut)
	}
	if err := s.env.Reject(ctx, s.v2); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := smcd(t, nil, args...)
	if code != 0 || !strings.HasPrefix(out, "rejected ") {
		t.Fatalf("after rejection: exit %d, %q %q", code, out, errOut)
	}
	if _, err := s.env.SourceSM.UpdateModelPackage(ctx, &sagemaker.UpdateModelPackageInput{ModelPackageArn: aws.String(s.v2), ModelApprovalStatus: types.ModelApprovalStatusApproved}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = smcd(t, nil, append(args, "--dry-run")...)
	if code != 0 || !strings.Contains(out, "decision: re-approve") || !strings.Contains(out, "back to Approved (its source "+s.v2+" is Approved again); nothing to copy") {
		t.Fatalf("dry run: exit %d, %q %q", code, out, errOut)
	}
	code, out, errOut = smcd(t, nil, append(args, "--output", "json")...)
	var sum promotecmd.Summary
	if err := json.Unmarshal([]byte(out), &sum); code != 0 || err != nil || sum.Result != "re-approve" || sum.SourceARN != s.v2 || sum.Objects != 0 ||
		!strings.HasPrefix(sum.Message, "re-approved arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/") || !strings.Contains(sum.Message, "nothing copied") {
		t.Fatalf("re-approval run: exit %d, %q %q (%v)", code, out, errOut, err)
	}
	if code, out, _ := smcd(t, nil, args...); code != 0 || !strings.HasPrefix(out, "already up to date: "+s.v2) {
		t.Errorf("after re-approval: exit %d, %q", code, out)
	}
}

// TestValidationSpecificationLeftOut: a package validated in the source account (its
// ValidationRole is a source role) is promoted without ValidationSpecification, and both the
// dry run and the run say so with the reason.
func TestValidationSpecificationLeftOut(t *testing.T) {
	s := newSource(t)
	ctx := context.Background()
	const role = "arn:aws:iam::444333666777:role/validation"
	u, err := s.env.Put(ctx, "churn/v4/model.tar.gz", promotertest.Data(4, 1024))
	if err != nil {
		t.Fatal(err)
	}
	in := &sagemaker.CreateModelPackageInput{
		InferenceSpecification: &types.InferenceSpecification{Containers: []types.ModelPackageContainerDefinition{{Image: aws.String("img"), ModelDataUrl: aws.String(u)}},
			SupportedContentTypes: []string{"text/csv"}, SupportedResponseMIMETypes: []string{"text/csv"}, SupportedTransformInstanceTypes: []types.TransformInstanceType{types.TransformInstanceTypeMlM5Large}},
		ValidationSpecification: &types.ModelPackageValidationSpecification{ValidationRole: aws.String(role), ValidationProfiles: []types.ModelPackageValidationProfile{{
			ProfileName: aws.String("batch"),
			TransformJobDefinition: &types.TransformJobDefinition{
				TransformInput:     &types.TransformInput{DataSource: &types.TransformDataSource{S3DataSource: &types.TransformS3DataSource{S3Uri: aws.String("s3://" + s.env.SourceBucket + "/validation/in/"), S3DataType: types.S3DataTypeS3Prefix}}},
				TransformOutput:    &types.TransformOutput{S3OutputPath: aws.String("s3://" + s.env.SourceBucket + "/validation/out/")},
				TransformResources: &types.TransformResources{InstanceType: types.TransformInstanceTypeMlM5Large, InstanceCount: aws.Int32(1)}}}}},
	}
	v4, err := s.env.Register(ctx, "churn", types.ModelApprovalStatusApproved, "", in)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"promote", "--source-group-arn", s.groupARN, "--target-bucket", s.env.TargetBucket, "--source-role-arn", s.env.SourceRoleARN}
	code, out, errOut := smcd(t, nil, append(args, "--dry-run")...)
	if code != 0 || !strings.Contains(out, "would leave out ValidationSpecification: its ValidationRole "+role+" belongs to the source account") ||
		strings.Contains(out, `"ValidationSpecification": {`) {
		t.Fatalf("dry run: exit %d, %q %q", code, out, errOut)
	}
	code, out, errOut = smcd(t, nil, append(args, "--output", "json")...)
	var sum promotecmd.Summary
	if err := json.Unmarshal([]byte(out), &sum); code != 0 || err != nil || sum.SourceARN != v4 || len(sum.Dropped) != 1 ||
		sum.Dropped[0].Field != "ValidationSpecification" || !strings.Contains(sum.Dropped[0].Reason, "cannot be passed by the target account") {
		t.Fatalf("run: exit %d, %q %q (%v)", code, out, errOut, err)
	}
	pkgs, err := s.env.TargetPackages(ctx, "churn")
	if err != nil || len(pkgs) != 1 || pkgs[0].ValidationSpecification != nil {
		t.Fatalf("target packages %d (%v), want one without ValidationSpecification", len(pkgs), err)
	}
}

// TestByARNSaysTagsNotReadable: reading the source by ARN (the group policy grants no ListTags)
// promotes the package and says its tags were not copied.
func TestByARNSaysTagsNotReadable(t *testing.T) {
	s := newSource(t)
	if err := s.env.AllowTarget(context.Background(), s.groupARN); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := smcd(t, nil, "promote", "--source-group-arn", s.groupARN, "--target-bucket", s.env.TargetBucket)
	if code != 0 || !strings.Contains(out, "left out Tags: source tags not readable (grant sagemaker:ListTags on "+s.v2) ||
		!strings.Contains(out, "); not copied\npromoted "+s.v2) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
