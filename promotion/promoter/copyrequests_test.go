package promoter_test

import (
	"context"
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

// s3Calls sums the proxy's counts of S3 operations.
func s3Calls(p *faultproxy.Proxy) (total int, by map[string]int) {
	by = map[string]int{}
	for _, c := range p.Calls() {
		if c.Operation == "" || strings.Contains(c.Operation, "ModelPackage") || c.Operation == "ListTags" || c.Operation == "AssumeRole" {
			continue
		}
		by[c.Operation]++
		total++
	}
	return total, by
}

// registerPrefix registers a package whose model is an S3 prefix of n small objects.
func registerPrefix(t *testing.T, ctx context.Context, env *promotertest.Env, n int) (groupARN string) {
	t.Helper()
	groupARN = must[string](t)(env.CreateGroup(ctx, "churn"))
	for i := range n {
		must[string](t)(env.Put(ctx, fmt.Sprintf("shards/part-%03d.bin", i), promotertest.Data(uint64(i), 4096+i*97)))
	}
	in := &sagemaker.CreateModelPackageInput{InferenceSpecification: &types.InferenceSpecification{
		Containers: []types.ModelPackageContainerDefinition{{Image: aws.String("img"), ModelDataSource: &types.ModelDataSource{S3DataSource: &types.S3ModelDataSource{
			S3Uri: aws.String("s3://" + env.SourceBucket + "/shards/"), S3DataType: types.S3ModelDataTypeS3Prefix, CompressionType: types.ModelCompressionTypeNone}}}},
		SupportedContentTypes: []string{"application/octet-stream"}, SupportedResponseMIMETypes: []string{"application/json"}}}
	must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, "", in))
	return groupARN
}

// TestOneRequestPerSmallObject: an S3-prefix model of small objects is planned from the listing
// and verified from the CopyObject answers: one CopyObject per object, no HeadObject, at most
// 1.05 S3 requests per object in all, and every copy has the source's bytes (CRC32 compared
// here) and a checksum. Each run also makes three requests whatever the object count (the
// listing, the sweep of incomplete uploads, the target bucket's default-encryption check), so
// 60 objects are enough for the 1.05 bound to hold.
func TestOneRequestPerSmallObject(t *testing.T) {
	const n = 60
	ctx, env, proxy := newProxiedEnv(t)
	groupARN := registerPrefix(t, ctx, env, n)
	p := env.Promoter(promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket}, s3copy.Options{}, false)
	proxy.Reset()
	res := must[*promoter.Result](t)(p.Promote(ctx))
	if res.Action != promotion.ActionPromote || len(res.Objects) != n {
		t.Fatalf("promote: %+v, want %d objects promoted", res, n)
	}
	total, by := s3Calls(proxy)
	if by["CopyObject"] != n || by["HeadObject"] != 0 || float64(total) > 1.05*n {
		t.Errorf("S3 requests %v (%d for %d objects), want %d CopyObject, no HeadObject, at most %.0f in all", by, total, n, n, 1.05*n)
	}
	for _, c := range res.Objects {
		if c.Verified != "size + ETag (MD5)" || c.TargetETag != c.ETag {
			t.Errorf("%s verified %q with target ETag %s, want by the MD5 ETag %s", c.Source.URI(), c.Verified, c.TargetETag, c.ETag)
		}
	}
	for _, c := range res.Objects[:3] {
		src := must[*s3.HeadObjectOutput](t)(env.SourceS3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(c.Source.Bucket), Key: aws.String(c.Source.Key), ChecksumMode: s3types.ChecksumModeEnabled}))
		dst := must[*s3.HeadObjectOutput](t)(env.TargetS3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(c.Target.Bucket), Key: aws.String(c.Target.Key), ChecksumMode: s3types.ChecksumModeEnabled}))
		if aws.ToString(dst.ChecksumCRC32) == "" || aws.ToString(dst.ChecksumCRC32) != aws.ToString(src.ChecksumCRC32) || aws.ToInt64(dst.ContentLength) != c.Size {
			t.Errorf("%s: target CRC32 %q size %d, source CRC32 %q size %d", c.Target.URI(), aws.ToString(dst.ChecksumCRC32), aws.ToInt64(dst.ContentLength), aws.ToString(src.ChecksumCRC32), c.Size)
		}
	}
}

// TestLostCreateMultipartUploadAnswer: the first CreateMultipartUpload reaches S3 but its answer
// is lost, so the SDK's retry opens a second upload. The copy completes on the second and aborts
// the first: no incomplete upload is left.
func TestLostCreateMultipartUploadAnswer(t *testing.T) {
	ctx, env, proxy := newProxiedEnv(t)
	groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
	uri := must[string](t)(env.Put(ctx, "big/model.tar.gz", promotertest.Data(5, 13*mib)))
	must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, uri, nil))
	proxy.Add(faultproxy.Rule{Operation: "CreateMultipartUpload", Calls: []int{1}, Fault: faultproxy.ResetAfter})
	res, err := env.Promoter(promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket}, multipartOpts, false).Promote(ctx)
	if err != nil || res.Action != promotion.ActionPromote {
		t.Fatalf("promote: %+v, %v", res, err)
	}
	if got := proxy.Count("CreateMultipartUpload"); got != 2 {
		t.Fatalf("CreateMultipartUpload calls %d, want 2 (the lost answer and the SDK's retry)", got)
	}
	ups := must[*s3.ListMultipartUploadsOutput](t)(env.TargetS3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(env.TargetBucket)}))
	if len(ups.Uploads) != 0 {
		t.Errorf("%d incomplete multipart uploads left, first %s", len(ups.Uploads), aws.ToString(ups.Uploads[0].UploadId))
	}
}

// TestAbortFailsThenNextRunAbortsIt: the completion and every abort attempt fail, so the upload
// (15 MiB of parts) stays; the error names its upload ID and how to abort it. The next run
// finds it on its planned key and aborts it before copying.
func TestAbortFailsThenNextRunAbortsIt(t *testing.T) {
	ctx, env, proxy := newProxiedEnv(t)
	groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
	uri := must[string](t)(env.Put(ctx, "big/model.tar.gz", promotertest.Data(6, 15*mib)))
	must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, uri, nil))
	proxy.Add(faultproxy.Rule{Operation: "CompleteMultipartUpload", Fault: faultproxy.InternalError},
		faultproxy.Rule{Operation: "AbortMultipartUpload", Fault: faultproxy.InternalError})
	cfg := promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket}
	_, err := env.Promoter(cfg, multipartOpts, false).Promote(ctx)
	ups := must[*s3.ListMultipartUploadsOutput](t)(env.TargetS3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(env.TargetBucket)}))
	if len(ups.Uploads) != 1 {
		t.Fatalf("%d incomplete uploads after the failed aborts, want the 1 the faults keep (err %v)", len(ups.Uploads), err)
	}
	id := aws.ToString(ups.Uploads[0].UploadId)
	var ue *s3copy.UploadError
	if !errors.As(err, &ue) || ue.UploadID != id || !strings.Contains(err.Error(), "upload ID "+id) || !strings.Contains(err.Error(), "abort-multipart-upload") {
		t.Fatalf("error %v; want an *s3copy.UploadError naming upload ID %s and how to abort it", err, id)
	}
	if proxy.Count("AbortMultipartUpload") < 2 {
		t.Errorf("AbortMultipartUpload calls %d, want the SDK's retries", proxy.Count("AbortMultipartUpload"))
	}

	proxy.Reset()
	res, err := env.Promoter(cfg, multipartOpts, false).Promote(ctx)
	if err != nil || res.Action != promotion.ActionPromote {
		t.Fatalf("next run: %+v, %v", res, err)
	}
	ups = must[*s3.ListMultipartUploadsOutput](t)(env.TargetS3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(env.TargetBucket)}))
	if len(ups.Uploads) != 0 {
		t.Errorf("next run left %d incomplete uploads (first %s), want the stale one aborted", len(ups.Uploads), aws.ToString(ups.Uploads[0].UploadId))
	}
}
