package promoter_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/internal/faultproxy"
	"github.com/sagemaker-cd/sagemaker-cd/promotion"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter/promotertest"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

// newProxiedEnv is newEnv with a fault proxy between every client and the emulator.
func newProxiedEnv(t *testing.T) (context.Context, *promotertest.Env, *faultproxy.Proxy) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	p, err := faultproxy.Start(moto.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	env, err := promotertest.New(ctx, moto.Via(p.URL))
	if err != nil {
		t.Fatal(err)
	}
	return ctx, env, p
}

// TestLostAnswers: each non-idempotent call of a promotion reaches the emulator, which applies it,
// and the connection is reset before the answer arrives. The SDK retries the call (a reset
// connection is retryable); the promotion must still end with exactly one correct package whose
// objects are all in the target, and nothing else.
func TestLostAnswers(t *testing.T) {
	tests := []struct {
		operation string
		// orphanUploads is how many multipart uploads a lost answer may leave: none (the upload
		// whose CreateMultipartUpload answer was lost is found on its key and aborted).
		orphanUploads int
	}{
		{"CreateModelPackage", 0},
		{"CopyObject", 0},
		{"CreateMultipartUpload", 0},
		{"UploadPartCopy", 0},
		{"CompleteMultipartUpload", 0},
	}
	for _, tc := range tests {
		t.Run(tc.operation, func(t *testing.T) {
			ctx, env, proxy := newProxiedEnv(t)
			want, cfg := registerForLostAnswers(t, ctx, env)
			proxy.Add(faultproxy.Rule{Operation: tc.operation, Calls: []int{1}, Fault: faultproxy.ResetAfter})
			opts := multipartOpts
			opts.Concurrency = 1
			res, err := env.Promoter(cfg, opts, false).Promote(ctx)
			if err != nil {
				t.Fatalf("promote with the answer of the first %s lost: %v", tc.operation, err)
			}
			if n := proxy.Count(tc.operation); n < 2 {
				t.Fatalf("%s called %d times, want a retry after the lost answer", tc.operation, n)
			}
			if res.SourceARN != want {
				t.Fatalf("promoted %s, want %s", res.SourceARN, want)
			}
			assertConverged(t, ctx, env, want, tc.orphanUploads)
		})
	}
}

func registerForLostAnswers(t *testing.T, ctx context.Context, env *promotertest.Env) (string, promotion.Config) {
	t.Helper()
	groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
	in := &sagemaker.CreateModelPackageInput{InferenceSpecification: &types.InferenceSpecification{
		Containers: []types.ModelPackageContainerDefinition{
			{Image: aws.String("img-a"), ModelDataUrl: aws.String(must[string](t)(env.Put(ctx, "c/a.tar.gz", promotertest.Data(1, 300))))},
			{Image: aws.String("img-big"), ModelDataUrl: aws.String(must[string](t)(env.Put(ctx, "c/big.tar.gz", promotertest.Data(3, 7*mib))))},
		},
		SupportedContentTypes: []string{"text/csv"}, SupportedResponseMIMETypes: []string{"text/csv"}}}
	want := must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, "", in))
	return want, promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket}
}

// promoteThenReject registers v1 and v2 (Approved), promotes v2, then rejects v2 at the source:
// the next pass must reject v2's copy and converge on v1.
func promoteThenReject(t *testing.T, ctx context.Context, env *promotertest.Env) (v1, v2 string, cfg promotion.Config) {
	t.Helper()
	groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
	v1 = must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, must[string](t)(env.Put(ctx, "1/m.tar.gz", promotertest.Data(1, 10))), nil))
	v2 = must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, must[string](t)(env.Put(ctx, "2/m.tar.gz", promotertest.Data(2, 10))), nil))
	cfg = promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket}
	if _, err := env.Promoter(cfg, s3copy.Options{}, false).Promote(ctx); err != nil {
		t.Fatal(err)
	}
	must[string](t)("", env.Reject(ctx, v2))
	return v1, v2, cfg
}

// targetStatuses returns the approval status of each package of the target group "churn", by
// the source package it was promoted from.
func targetStatuses(t *testing.T, ctx context.Context, env *promotertest.Env) map[string]types.ModelApprovalStatus {
	t.Helper()
	status := map[string]types.ModelApprovalStatus{}
	for _, d := range must[[]*sagemaker.DescribeModelPackageOutput](t)(env.TargetPackages(ctx, "churn")) {
		status[d.CustomerMetadataProperties[promotion.LineageKey]] = d.ModelApprovalStatus
	}
	return status
}

// assertConverged checks the target holds one package promoted from want, its objects and no
// others, and exactly orphans unfinished multipart uploads.
func assertConverged(t *testing.T, ctx context.Context, env *promotertest.Env, want string, orphans int) {
	t.Helper()
	pkgs := must[[]*sagemaker.DescribeModelPackageOutput](t)(env.TargetPackages(ctx, "churn"))
	if len(pkgs) != 1 || pkgs[0].CustomerMetadataProperties[promotion.LineageKey] != want {
		t.Fatalf("target holds %d packages, want exactly one promoted from %s", len(pkgs), want)
	}
	_, refs, _ := promotion.BuildTarget(pkgs[0], "x", types.ModelApprovalStatusApproved)
	var referenced []string
	for _, r := range refs {
		referenced = append(referenced, strings.TrimPrefix(aws.ToString(*r.URI), "s3://"+env.TargetBucket+"/"))
	}
	keys := must[[]string](t)(env.TargetKeys(ctx))
	slices.Sort(keys)
	slices.Sort(referenced)
	if !slices.Equal(keys, referenced) {
		t.Errorf("target objects %v, package references %v", keys, referenced)
	}
	ups := must[*s3.ListMultipartUploadsOutput](t)(env.TargetS3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(env.TargetBucket)}))
	if len(ups.Uploads) != orphans {
		t.Errorf("%d unfinished multipart uploads in the target, want %d", len(ups.Uploads), orphans)
	}
}

// TestLostAbortAnswer: a part copy fails for good, the copier aborts the upload, and the abort's
// answer is lost; the SDK retries the abort, which S3 answers NoSuchUpload. The promotion fails
// naming the part copy, no upload is left, and a re-run converges.
func TestLostAbortAnswer(t *testing.T) {
	ctx, env, proxy := newProxiedEnv(t)
	want, cfg := registerForLostAnswers(t, ctx, env)
	proxy.Add(faultproxy.Rule{Operation: "UploadPartCopy", Fault: faultproxy.InternalError},
		faultproxy.Rule{Operation: "AbortMultipartUpload", Calls: []int{1}, Fault: faultproxy.ResetAfter})
	opts := multipartOpts
	opts.Concurrency = 1
	_, err := env.Promoter(cfg, opts, false).Promote(ctx)
	if err == nil || !strings.Contains(err.Error(), "upload part copy") {
		t.Fatalf("promote with every part copy failing: %v, want the part copy's error", err)
	}
	if n := proxy.Count("AbortMultipartUpload"); n < 2 {
		t.Fatalf("AbortMultipartUpload called %d times, want a retry after the lost answer", n)
	}
	proxy.Reset()
	if _, err := env.Promoter(cfg, opts, false).Promote(ctx); err != nil {
		t.Fatalf("re-run: %v", err)
	}
	assertConverged(t, ctx, env, want, 0)
	t.Logf("error of the faulty run: %v", err)
}

// TestLostUpdateModelPackageAnswer: the source rejects the promoted version; the promoter rejects
// its copy with UpdateModelPackage, whose answer is lost. The retry sets the same status again and
// the promotion converges on the previous approved version.
func TestLostUpdateModelPackageAnswer(t *testing.T) {
	ctx, env, proxy := newProxiedEnv(t)
	v1, v2, cfg := promoteThenReject(t, ctx, env)
	proxy.Add(faultproxy.Rule{Operation: "UpdateModelPackage", Calls: []int{1}, Fault: faultproxy.ResetAfter})
	res, err := env.Promoter(cfg, s3copy.Options{}, false).Promote(ctx)
	if err != nil {
		t.Fatalf("promote with the answer of UpdateModelPackage lost: %v", err)
	}
	if n := proxy.Count("UpdateModelPackage"); n < 2 {
		t.Fatalf("UpdateModelPackage called %d times, want a retry after the lost answer", n)
	}
	if res.SourceARN != v1 {
		t.Fatalf("promoted %s, want v1 %s", res.SourceARN, v1)
	}
	status := targetStatuses(t, ctx, env)
	if status[v1] != types.ModelApprovalStatusApproved || status[v2] != types.ModelApprovalStatusRejected || len(status) != 2 {
		t.Fatalf("target statuses %v, want v1 Approved and v2 Rejected", status)
	}
}
