package promoter_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/internal/faultproxy"
	"github.com/sagemaker-cd/sagemaker-cd/promotion"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter/promotertest"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

// TestLostCreateModelPackageGroupAnswer: the target group is created, the answer is lost, and the
// SDK's retry is told the group already exists. The promotion must still register the package
// (before, it failed after copying every artifact).
func TestLostCreateModelPackageGroupAnswer(t *testing.T) {
	ctx, env, proxy := newProxiedEnv(t)
	want, cfg := registerForLostAnswers(t, ctx, env)
	proxy.Add(faultproxy.Rule{Operation: "CreateModelPackageGroup", Calls: []int{1}, Fault: faultproxy.ResetAfter})
	opts := multipartOpts
	opts.Concurrency = 1
	res, err := env.Promoter(cfg, opts, false).Promote(ctx)
	if err != nil {
		t.Fatalf("promote with the answer of CreateModelPackageGroup lost: %v", err)
	}
	if n := proxy.Count("CreateModelPackageGroup"); n < 2 {
		t.Fatalf("CreateModelPackageGroup called %d times, want a retry after the lost answer", n)
	}
	if res.SourceARN != want {
		t.Fatalf("promoted %s, want %s", res.SourceARN, want)
	}
	assertConverged(t, ctx, env, want, 0)
}

// registryCalls counts the SageMaker calls the proxy saw (S3 calls have S3 operation names).
func registryCalls(p *faultproxy.Proxy) map[string]int {
	out := map[string]int{}
	for _, c := range p.Calls() {
		switch c.Operation {
		case "DescribeModelPackageGroup", "ListModelPackages", "DescribeModelPackage", "Search", "ListTags",
			"CreateModelPackage", "CreateModelPackageGroup", "UpdateModelPackage":
			out[c.Operation]++
		}
	}
	return out
}

// TestNothingToPromoteCostsTheSameWhateverTheTargetHolds: a run that promotes nothing makes the
// same registry requests with 0 or 40 more packages in the target group (promoted from other
// sources, or registered by hand): the copy is found by its lineage tag, not by describing every
// package.
func TestNothingToPromoteCostsTheSameWhateverTheTargetHolds(t *testing.T) {
	ctx, env, proxy := newProxiedEnv(t)
	groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
	v1 := must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, must[string](t)(env.Put(ctx, "1/m.tar.gz", promotertest.Data(1, 10))), nil))
	cfg := promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket}
	if _, err := env.Promoter(cfg, s3copy.Options{}, false).Promote(ctx); err != nil {
		t.Fatal(err)
	}
	run := func() map[string]int {
		t.Helper()
		proxy.Reset()
		res, err := env.Promoter(cfg, s3copy.Options{}, false).Promote(ctx)
		if err != nil || res.Action != promotion.ActionUpToDate || res.SourceARN != v1 {
			t.Fatalf("no-op run: %+v, %v", res, err)
		}
		return registryCalls(proxy)
	}
	before := run()
	for i := range 40 {
		in := &sagemaker.CreateModelPackageInput{
			ModelPackageGroupName: aws.String("churn"), ModelApprovalStatus: types.ModelApprovalStatusApproved,
			InferenceSpecification: &types.InferenceSpecification{
				Containers:            []types.ModelPackageContainerDefinition{{Image: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"), ModelDataUrl: aws.String("s3://" + env.TargetBucket + "/other.tar.gz")}},
				SupportedContentTypes: []string{"text/csv"}, SupportedResponseMIMETypes: []string{"text/csv"}},
		}
		if i%2 == 0 {
			other := fmt.Sprintf("arn:aws:sagemaker:us-east-1:%s:model-package/other/%d", promotertest.SourceAccount, i+1)
			in.CustomerMetadataProperties = map[string]string{promotion.LineageKey: other}
			in.Tags = []types.Tag{{Key: aws.String(promotion.LineageKey), Value: aws.String(other)}}
		}
		must[*sagemaker.CreateModelPackageOutput](t)(env.TargetSM.CreateModelPackage(ctx, in))
	}
	after := run()
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("registry calls with 40 more target packages %v, want the same as without %v", after, before)
	}
	total := 0
	for _, n := range after {
		total += n
	}
	if after["DescribeModelPackage"] != 0 || total > 5 {
		t.Errorf("registry calls %v (%d), want at most 5 and no DescribeModelPackage", after, total)
	}
	t.Logf("registry calls of a no-op run: %v", after)
}

// TestSourceTagsAnyFailureIsNotFatal: ListTags failing for any reason (here the service keeps
// answering 500) promotes without the tags and says why; before, only AccessDenied was tolerated.
func TestSourceTagsAnyFailureIsNotFatal(t *testing.T) {
	ctx, env, proxy := newProxiedEnv(t)
	groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
	v1 := must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, must[string](t)(env.Put(ctx, "1/m.tar.gz", promotertest.Data(1, 10))), nil))
	proxy.Add(faultproxy.Rule{Operation: "ListTags", Fault: faultproxy.InternalError})
	res, err := env.Promoter(promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket}, s3copy.Options{}, false).Promote(ctx)
	if err != nil {
		t.Fatalf("promote with ListTags failing: %v", err)
	}
	if res.SourceARN != v1 || res.TargetARN == "" {
		t.Fatalf("result %+v, want v1 promoted", res)
	}
	var reason string
	for _, d := range res.Dropped {
		if d.Field == "Tags" {
			reason = d.Reason
		}
	}
	if !strings.Contains(reason, "source tags not readable") || !strings.Contains(reason, "InternalFailure") {
		t.Errorf("dropped %+v, want the tags left out naming the failure", res.Dropped)
	}
}

// TestTargetBucketCustomerKey: a target bucket whose default encryption is a customer managed KMS
// key, and no key configured: the promotion fails before copying, naming the key and what to
// grant; with the key configured it promotes.
func TestTargetBucketCustomerKey(t *testing.T) {
	ctx, env := newEnv(t)
	groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
	must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, must[string](t)(env.Put(ctx, "1/m.tar.gz", promotertest.Data(1, 10))), nil))
	key := targetKMSKey(t, ctx, env)
	must[*s3.PutBucketEncryptionOutput](t)(env.TargetS3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
		Bucket: aws.String(env.TargetBucket),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(key)},
		}}},
	}))
	cfg := promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket}
	_, err := env.Promoter(cfg, s3copy.Options{}, false).Promote(ctx)
	var keyErr *promoter.TargetKeyError
	if !errors.As(err, &keyErr) || keyErr.KeyID != key || !strings.Contains(err.Error(), "--kms-key-arn") || !strings.Contains(err.Error(), "kms:GenerateDataKey") {
		t.Fatalf("promote into a bucket with a customer managed default key: %v, want a TargetKeyError naming %s and what to grant", err, key)
	}
	if keys := must[[]string](t)(env.TargetKeys(ctx)); len(keys) != 0 {
		t.Errorf("objects copied before failing: %v", keys)
	}
	cfg.KMSKeyARN = key
	if _, err := env.Promoter(cfg, s3copy.Options{}, false).Promote(ctx); err != nil {
		t.Fatalf("promote with the bucket's key configured: %v", err)
	}
}

// TestImageInSourceAccountECRIsWarned: a package whose image is in the source account's private
// ECR is promoted with a warning naming the repository and how to grant the pull.
func TestImageInSourceAccountECRIsWarned(t *testing.T) {
	ctx, env := newEnv(t)
	groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
	u := must[string](t)(env.Put(ctx, "1/m.tar.gz", promotertest.Data(1, 10)))
	image := promotertest.SourceAccount + ".dkr.ecr.us-east-1.amazonaws.com/team/churn:1"
	must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, "", &sagemaker.CreateModelPackageInput{InferenceSpecification: &types.InferenceSpecification{
		Containers:            []types.ModelPackageContainerDefinition{{Image: aws.String(image), ModelDataUrl: aws.String(u)}},
		SupportedContentTypes: []string{"text/csv"}, SupportedResponseMIMETypes: []string{"text/csv"}}}))
	res, err := env.Promoter(promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket}, s3copy.Options{}, false).Promote(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "arn:aws:ecr:us-east-1:"+promotertest.SourceAccount+":repository/team/churn") ||
		!strings.Contains(res.Warnings[0], "--image-repository team/churn") {
		t.Errorf("warnings %q, want one naming the repository and the grants command", res.Warnings)
	}
}
