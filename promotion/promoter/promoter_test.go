package promoter_test

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"

	"github.com/sagemaker-cd/sagemaker-cd/promotion"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter/promotertest"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

const mib = 1 << 20

// multipartOpts makes objects above 6 MiB go through UploadPartCopy in 5 MiB parts.
var multipartOpts = s3copy.Options{MultipartThreshold: 6 * mib, PartSize: 5 * mib, Concurrency: 3}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// shape registers v1 (Approved, small) and returns the ARN of the package the test expects to
// be promoted, registered by the shape with its artifacts.
type shape func(t *testing.T, ctx context.Context, env *promotertest.Env) string

func TestPromotePackageShapes(t *testing.T) {
	put := func(t *testing.T, ctx context.Context, env *promotertest.Env, key string, n int) string {
		return must[string](t)(env.Put(ctx, key, promotertest.Data(uint64(len(key)*31+n), n)))
	}
	tests := []struct {
		name      string
		opts      s3copy.Options
		kms       bool
		build     shape
		wantKeys  []string // target keys (below churn/<version>/<source bucket>/)
		wantParts bool
	}{
		{
			name: "single container model.tar.gz",
			build: func(t *testing.T, ctx context.Context, env *promotertest.Env) string {
				return must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, put(t, ctx, env, "m/model.tar.gz", 4096), nil))
			},
			wantKeys: []string{"m/model.tar.gz"},
		},
		{
			name: "multi-container with model metrics, drift baselines and sample payload",
			build: func(t *testing.T, ctx context.Context, env *promotertest.Env) string {
				in := &sagemaker.CreateModelPackageInput{
					InferenceSpecification: &types.InferenceSpecification{
						Containers: []types.ModelPackageContainerDefinition{
							{Image: aws.String("img-pre"), ModelDataUrl: aws.String(put(t, ctx, env, "mc/pre/model.tar.gz", 2000))},
							{Image: aws.String("img-xgb"), ModelDataUrl: aws.String(put(t, ctx, env, "mc/xgb/model.tar.gz", 3000)), Environment: map[string]string{"A": "1"}},
						},
						SupportedContentTypes: []string{"text/csv"}, SupportedResponseMIMETypes: []string{"text/csv"},
					},
					ModelMetrics: &types.ModelMetrics{
						ModelQuality: &types.ModelQuality{Statistics: &types.MetricsSource{ContentType: aws.String("application/json"), S3Uri: aws.String(put(t, ctx, env, "mc/metrics/stats.json", 100))}},
						Bias:         &types.Bias{Report: &types.MetricsSource{ContentType: aws.String("application/json"), S3Uri: aws.String(put(t, ctx, env, "mc/metrics/bias.json", 120))}},
					},
					DriftCheckBaselines: &types.DriftCheckBaselines{
						ModelDataQuality: &types.DriftCheckModelDataQuality{Constraints: &types.MetricsSource{ContentType: aws.String("application/json"), S3Uri: aws.String(put(t, ctx, env, "mc/drift/constraints.json", 90))}},
						Bias:             &types.DriftCheckBias{ConfigFile: &types.FileSource{S3Uri: aws.String(put(t, ctx, env, "mc/drift/bias-config.json", 80))}},
					},
					SamplePayloadUrl:           aws.String(put(t, ctx, env, "mc/sample.tar.gz", 50)),
					Domain:                     aws.String("MACHINE_LEARNING"),
					Task:                       aws.String("CLASSIFICATION"),
					CustomerMetadataProperties: map[string]string{"team": "risk"},
					MetadataProperties:         &types.MetadataProperties{CommitId: aws.String("abc123")},
					AdditionalInferenceSpecifications: []types.AdditionalInferenceSpecificationDefinition{{
						Name:       aws.String("batch"),
						Containers: []types.ModelPackageContainerDefinition{{Image: aws.String("img-batch"), ModelDataUrl: aws.String(put(t, ctx, env, "mc/batch/model.tar.gz", 700))}},
					}},
					SkipModelValidation: types.SkipModelValidationAll,
				}
				return must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, "", in))
			},
			wantKeys: []string{"mc/batch/model.tar.gz", "mc/drift/bias-config.json", "mc/drift/constraints.json", "mc/metrics/bias.json",
				"mc/metrics/stats.json", "mc/pre/model.tar.gz", "mc/sample.tar.gz", "mc/xgb/model.tar.gz"},
		},
		{
			name: "ModelDataSource S3Prefix with nested keys",
			build: func(t *testing.T, ctx context.Context, env *promotertest.Env) string {
				for _, k := range []string{"llm/weights/config.json", "llm/weights/shards/part-0001.safetensors", "llm/weights/shards/part-0002.safetensors", "llm/weights/tokenizer/vocab.json"} {
					put(t, ctx, env, k, 1500)
				}
				put(t, ctx, env, "llm/other/not-included.bin", 10)
				in := &sagemaker.CreateModelPackageInput{InferenceSpecification: &types.InferenceSpecification{
					Containers: []types.ModelPackageContainerDefinition{{Image: aws.String("img-llm"), ModelDataSource: &types.ModelDataSource{S3DataSource: &types.S3ModelDataSource{
						S3Uri: aws.String("s3://" + env.SourceBucket + "/llm/weights/"), S3DataType: types.S3ModelDataTypeS3Prefix, CompressionType: types.ModelCompressionTypeNone}}}},
					SupportedContentTypes: []string{"application/json"}, SupportedResponseMIMETypes: []string{"application/json"},
				}}
				return must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, "", in))
			},
			wantKeys: []string{"llm/weights/config.json", "llm/weights/shards/part-0001.safetensors", "llm/weights/shards/part-0002.safetensors", "llm/weights/tokenizer/vocab.json"},
		},
		{
			name: "multipart copy above a lowered threshold",
			opts: multipartOpts,
			build: func(t *testing.T, ctx context.Context, env *promotertest.Env) string {
				return must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, put(t, ctx, env, "big/model.tar.gz", 13*mib), nil))
			},
			wantKeys:  []string{"big/model.tar.gz"},
			wantParts: true,
		},
		{
			name: "SSE-KMS with a key, single and multipart",
			opts: multipartOpts,
			kms:  true,
			build: func(t *testing.T, ctx context.Context, env *promotertest.Env) string {
				in := &sagemaker.CreateModelPackageInput{InferenceSpecification: &types.InferenceSpecification{
					Containers: []types.ModelPackageContainerDefinition{
						{Image: aws.String("a"), ModelDataUrl: aws.String(put(t, ctx, env, "k/big.tar.gz", 11*mib))},
						{Image: aws.String("b"), ModelDataUrl: aws.String(put(t, ctx, env, "k/small.tar.gz", 1000))},
					},
					SupportedContentTypes: []string{"text/csv"}, SupportedResponseMIMETypes: []string{"text/csv"},
				}}
				return must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, "", in))
			},
			wantKeys:  []string{"k/big.tar.gz", "k/small.tar.gz"},
			wantParts: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, env := newEnv(t)
			groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
			must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, put(t, ctx, env, "old/model.tar.gz", 10), nil))
			want := tc.build(t, ctx, env)
			opts := tc.opts
			if tc.kms {
				key := must[*kms.CreateKeyOutput](t)(kms.NewFromConfig(env.TargetCfg).CreateKey(ctx, &kms.CreateKeyInput{}))
				opts.KMSKeyARN = aws.ToString(key.KeyMetadata.Arn)
			}
			p := env.Promoter(promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket, ProjectID: "p-123", ProjectName: "churn-prod"}, opts, false)
			res := must[*promoter.Result](t)(p.Promote(ctx))
			if res.Action != promotion.ActionPromote || res.SourceARN != want || !res.Verified {
				t.Fatalf("result %+v, want promote of %s", res, want)
			}
			sawParts := false
			for _, c := range res.Objects {
				sawParts = sawParts || c.Parts > 1
			}
			if sawParts != tc.wantParts {
				t.Errorf("multipart used = %v, want %v", sawParts, tc.wantParts)
			}
			// Target keys follow the documented layout and nothing else is in the bucket.
			var wantKeys []string
			for _, k := range tc.wantKeys {
				wantKeys = append(wantKeys, "churn/2/"+env.SourceBucket+"/"+k)
			}
			gotKeys := must[[]string](t)(env.TargetKeys(ctx))
			slices.Sort(gotKeys)
			if !slices.Equal(gotKeys, wantKeys) {
				t.Errorf("target keys\n got %q\nwant %q", gotKeys, wantKeys)
			}
			for _, k := range gotKeys {
				h := must[*s3.HeadObjectOutput](t)(env.TargetS3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(env.TargetBucket), Key: aws.String(k)}))
				if tc.kms && (h.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || aws.ToString(h.SSEKMSKeyId) != opts.KMSKeyARN) {
					t.Errorf("%s: SSE %q key %q, want aws:kms %s", k, h.ServerSideEncryption, aws.ToString(h.SSEKMSKeyId), opts.KMSKeyARN)
				}
			}
			// The registered package points only at copies, keeps the source fields and lineage.
			pkgs := must[[]*sagemaker.DescribeModelPackageOutput](t)(env.TargetPackages(ctx, "churn"))
			if len(pkgs) != 1 {
				t.Fatalf("target packages = %d, want 1", len(pkgs))
			}
			got := pkgs[0]
			src := must[*sagemaker.DescribeModelPackageOutput](t)(env.SourceSM.DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: aws.String(want)}))
			if got.CustomerMetadataProperties[promotion.LineageKey] != want {
				t.Errorf("lineage = %q, want %q", got.CustomerMetadataProperties[promotion.LineageKey], want)
			}
			for k, v := range src.CustomerMetadataProperties {
				if got.CustomerMetadataProperties[k] != v {
					t.Errorf("customer metadata %s = %q, want %q", k, got.CustomerMetadataProperties[k], v)
				}
			}
			if aws.ToString(got.Domain) != aws.ToString(src.Domain) || aws.ToString(got.Task) != aws.ToString(src.Task) ||
				got.SkipModelValidation != src.SkipModelValidation || len(got.AdditionalInferenceSpecifications) != len(src.AdditionalInferenceSpecifications) {
				t.Errorf("fields not kept: got domain %v task %v skip %q additional %d", got.Domain, got.Task, got.SkipModelValidation, len(got.AdditionalInferenceSpecifications))
			}
			if len(got.InferenceSpecification.Containers) != len(src.InferenceSpecification.Containers) {
				t.Errorf("containers = %d, want %d", len(got.InferenceSpecification.Containers), len(src.InferenceSpecification.Containers))
			}
			_, refs, _ := promotion.BuildTarget(got, "x", types.ModelApprovalStatusApproved)
			if len(refs) == 0 {
				t.Fatal("target package has no S3 references")
			}
			for _, r := range refs {
				if uri := aws.ToString(*r.URI); !strings.HasPrefix(uri, "s3://"+env.TargetBucket+"/churn/2/") {
					t.Errorf("%s = %s, want a copy in the target bucket", r.Field, uri)
				}
			}
			tags := must[*sagemaker.ListTagsOutput](t)(env.TargetSM.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: got.ModelPackageArn}))
			if !hasTag(tags.Tags, promotion.LineageKey, want) {
				t.Errorf("tags %v lack lineage %s", tags.Tags, want)
			}
			gtags := must[*sagemaker.ListTagsOutput](t)(env.TargetSM.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String("arn:aws:sagemaker:us-east-1:123456789012:model-package-group/churn")}))
			if !hasTag(gtags.Tags, promotion.ProjectIDTag, "p-123") || !hasTag(gtags.Tags, promotion.ProjectNameTag, "churn-prod") {
				t.Errorf("group tags %v lack the project id/name", gtags.Tags)
			}
			// Idempotency: the second run changes nothing.
			again := must[*promoter.Result](t)(p.Promote(ctx))
			if again.Action != promotion.ActionUpToDate || again.TargetARN != aws.ToString(got.ModelPackageArn) {
				t.Errorf("second run = %+v, want up-to-date with %s", again, aws.ToString(got.ModelPackageArn))
			}
			if n := len(must[[]*sagemaker.DescribeModelPackageOutput](t)(env.TargetPackages(ctx, "churn"))); n != 1 {
				t.Errorf("target packages after second run = %d, want 1", n)
			}
		})
	}
}

func hasTag(tags []types.Tag, k, v string) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == k && aws.ToString(t.Value) == v {
			return true
		}
	}
	return false
}

func TestLatestSelection(t *testing.T) {
	tests := []struct {
		name     string
		statuses []types.ModelApprovalStatus
		pageSize int32
		want     int // version promoted; 0 = nothing approved
	}{
		{"v1 Approved, v2 Approved, v3 Rejected: v2 wins", []types.ModelApprovalStatus{"Approved", "Approved", "Rejected"}, 0, 2},
		{"more than one page (page size 2)", []types.ModelApprovalStatus{"Approved", "Rejected", "Approved", "PendingManualApproval", "Approved", "Rejected", "PendingManualApproval"}, 2, 5},
		{"nothing approved is a clean no-op", []types.ModelApprovalStatus{"PendingManualApproval", "Rejected"}, 0, 0},
		{"empty group", nil, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, env := newEnv(t)
			groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
			var arns []string
			for i, s := range tc.statuses {
				u := must[string](t)(env.Put(ctx, "v/"+string(rune('1'+i))+"/model.tar.gz", promotertest.Data(uint64(i), 100)))
				arns = append(arns, must[string](t)(env.Register(ctx, "churn", s, u, nil)))
			}
			p := env.Promoter(promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket, PageSize: tc.pageSize}, s3copy.Options{}, false)
			res := must[*promoter.Result](t)(p.Promote(ctx))
			if tc.want == 0 {
				if res.Action != promotion.ActionNothingApproved || !strings.Contains(res.Reason, "no Approved") {
					t.Fatalf("result %+v, want nothing-approved", res)
				}
				if keys := must[[]string](t)(env.TargetKeys(ctx)); len(keys) != 0 {
					t.Errorf("nothing approved copied %v", keys)
				}
				return
			}
			if res.Action != promotion.ActionPromote || res.SourceARN != arns[tc.want-1] {
				t.Fatalf("promoted %s (%s), want %s", res.SourceARN, res.Action, arns[tc.want-1])
			}
		})
	}
}

func TestRejectionFlow(t *testing.T) {
	ctx, env := newEnv(t)
	groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
	u1 := must[string](t)(env.Put(ctx, "v1/model.tar.gz", promotertest.Data(1, 100)))
	u2 := must[string](t)(env.Put(ctx, "v2/model.tar.gz", promotertest.Data(2, 100)))
	v1 := must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, u1, nil))
	p := env.Promoter(promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket, PageSize: 1}, s3copy.Options{}, false)
	first := must[*promoter.Result](t)(p.Promote(ctx))
	v2 := must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, u2, nil))
	second := must[*promoter.Result](t)(p.Promote(ctx))
	if first.SourceARN != v1 || second.SourceARN != v2 || second.Action != promotion.ActionPromote {
		t.Fatalf("promotions %s then %s, want %s then %s", first.SourceARN, second.SourceARN, v1, v2)
	}
	// v2 is rejected at the source: its copy becomes Rejected and the target converges to v1,
	// which is already there.
	if err := env.Reject(ctx, v2); err != nil {
		t.Fatal(err)
	}
	third := must[*promoter.Result](t)(p.Promote(ctx))
	if len(third.Rejected) != 1 || third.Rejected[0].ARN != second.TargetARN || third.Action != promotion.ActionUpToDate || third.TargetARN != first.TargetARN {
		t.Fatalf("after rejection: %+v", third)
	}
	pkgs := must[[]*sagemaker.DescribeModelPackageOutput](t)(env.TargetPackages(ctx, "churn"))
	status := map[string]types.ModelApprovalStatus{}
	for _, d := range pkgs {
		status[d.CustomerMetadataProperties[promotion.LineageKey]] = d.ModelApprovalStatus
	}
	if status[v1] != types.ModelApprovalStatusApproved || status[v2] != types.ModelApprovalStatusRejected || len(pkgs) != 2 {
		t.Errorf("target statuses %v (%d packages), want v1 Approved, v2 Rejected", status, len(pkgs))
	}
	// A fourth pass has nothing left to do.
	fourth := must[*promoter.Result](t)(p.Promote(ctx))
	if len(fourth.Rejected) != 0 || fourth.Action != promotion.ActionUpToDate {
		t.Errorf("fourth pass %+v, want up to date with no rejections", fourth)
	}
}

// copyShape is an object copied in one CopyObject or, above multipartOpts' threshold, in parts.
type copyShape struct {
	name      string
	size      int
	wantParts bool
}

func copyShapes() []copyShape {
	return []copyShape{{"single CopyObject", 4096, false}, {"multipart UploadPartCopy", 13 * mib, true}}
}

// TestCopyKeepsObjectMetadata: a single CopyObject and a multipart copy (lowered threshold)
// both keep the source's content headers, user metadata and tags, on a versioned source.
func TestCopyKeepsObjectMetadata(t *testing.T) {
	for _, tc := range copyShapes() {
		t.Run(tc.name, func(t *testing.T) {
			ctx, env := newEnv(t)
			must[*s3.PutBucketVersioningOutput](t)(env.SourceS3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(env.SourceBucket),
				VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}))
			groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
			const key = "meta/model.tar.gz"
			put := func(tagging string, seed uint64) {
				must[*s3.PutObjectOutput](t)(env.SourceS3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(env.SourceBucket), Key: aws.String(key),
					Body: bytes.NewReader(promotertest.Data(seed, tc.size)), ChecksumAlgorithm: s3types.ChecksumAlgorithmCrc32,
					ContentType: aws.String("application/x-tar"), ContentEncoding: aws.String("gzip"), CacheControl: aws.String("no-cache"),
					Metadata: map[string]string{"trained-by": "pipeline-7", "dataset": "churn 2026-05"}, Tagging: aws.String(tagging)}))
			}
			// An older version with other tags: the copy must carry the planned (newest) version's.
			put("stage=old", 1)
			put("team=risk%20models&classification=internal", 2)
			must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, "s3://"+env.SourceBucket+"/"+key, nil))
			res := must[*promoter.Result](t)(env.Promoter(promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket}, multipartOpts, false).Promote(ctx))
			if len(res.Objects) != 1 || (res.Objects[0].Parts > 1) != tc.wantParts {
				t.Fatalf("copied %+v, want multipart %v", res.Objects, tc.wantParts)
			}
			target := res.Objects[0].Target
			h := must[*s3.HeadObjectOutput](t)(env.TargetS3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(target.Bucket), Key: aws.String(target.Key)}))
			if aws.ToString(h.ContentType) != "application/x-tar" || aws.ToString(h.ContentEncoding) != "gzip" || aws.ToString(h.CacheControl) != "no-cache" {
				t.Errorf("content headers %q %q %q, want application/x-tar gzip no-cache", aws.ToString(h.ContentType), aws.ToString(h.ContentEncoding), aws.ToString(h.CacheControl))
			}
			if h.Metadata["trained-by"] != "pipeline-7" || h.Metadata["dataset"] != "churn 2026-05" {
				t.Errorf("user metadata %v", h.Metadata)
			}
			tags := must[*s3.GetObjectTaggingOutput](t)(env.TargetS3.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String(target.Bucket), Key: aws.String(target.Key)}))
			got := map[string]string{}
			for _, tag := range tags.TagSet {
				got[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
			}
			if len(got) != 2 || got["team"] != "risk models" || got["classification"] != "internal" {
				t.Errorf("target tags %v, want team=risk models, classification=internal", got)
			}
		})
	}
}

// deniedTags is a source registry that may not read tags, as when the target account reads by
// ARN or the source role lacks sagemaker:ListTags.
type deniedTags struct{ promoter.SourceRegistry }

func (deniedTags) ListTags(context.Context, *sagemaker.ListTagsInput, ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: sagemaker:ListTags"}
}

// TestSourcePackageTags: the source package's tags are copied to the target package (our
// lineage wins, source-account project tags are left out); when they cannot be read, the
// package is promoted without them and the result says why.
func TestSourcePackageTags(t *testing.T) {
	tests := []struct {
		name        string
		denied      func(p *promoter.Promoter)
		wantTags    map[string]string // besides the lineage tag
		wantDropped map[string]string // field -> words of the reason
	}{
		{"copied through the source role", nil, map[string]string{"team": "risk", "cost-center": "42"},
			map[string]string{"Tags.sagemaker:project-name": "project of the source account"}},
		{"ListTags denied on the narrow interface", func(p *promoter.Promoter) { p.SourceRegistry = deniedTags{p.SourceRegistry} }, map[string]string{},
			map[string]string{"Tags": "source tags not readable (grant sagemaker:ListTags on "}},
		{"read by ARN: cross-account ListTags is denied", nil, map[string]string{},
			map[string]string{"Tags": "source tags not readable (grant sagemaker:ListTags on "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, env := newEnv(t)
			groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
			u := must[string](t)(env.Put(ctx, "v1/model.tar.gz", promotertest.Data(1, 100)))
			in := &sagemaker.CreateModelPackageInput{
				InferenceSpecification: &types.InferenceSpecification{Containers: []types.ModelPackageContainerDefinition{{Image: aws.String("img"), ModelDataUrl: aws.String(u)}},
					SupportedContentTypes: []string{"text/csv"}, SupportedResponseMIMETypes: []string{"text/csv"}},
				Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("risk")}, {Key: aws.String("cost-center"), Value: aws.String("42")},
					{Key: aws.String(promotion.LineageKey), Value: aws.String("arn:aws:sagemaker:us-east-1:111111111111:model-package/older/1")},
					{Key: aws.String(promotion.ProjectNameTag), Value: aws.String("source-project")}},
			}
			want := must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, "", in))
			byARN := strings.HasPrefix(tc.name, "read by ARN")
			if byARN {
				if err := env.AllowTarget(ctx, groupARN); err != nil {
					t.Fatal(err)
				}
			}
			p := env.Promoter(promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket}, s3copy.Options{}, byARN)
			if tc.denied != nil {
				tc.denied(p)
			}
			res := must[*promoter.Result](t)(p.Promote(ctx))
			if res.Action != promotion.ActionPromote || res.SourceARN != want {
				t.Fatalf("result %+v", res)
			}
			tags := must[*sagemaker.ListTagsOutput](t)(env.TargetSM.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String(res.TargetARN)}))
			got := map[string]string{}
			for _, tag := range tags.Tags {
				got[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
			}
			wantTags := maps.Clone(tc.wantTags)
			wantTags[promotion.LineageKey] = want
			if !maps.Equal(got, wantTags) {
				t.Errorf("target tags %v, want %v", got, wantTags)
			}
			dropped := map[string]string{}
			for _, d := range res.Dropped {
				dropped[d.Field] = d.Reason
			}
			if len(dropped) != len(tc.wantDropped) {
				t.Errorf("dropped %v, want %v", dropped, tc.wantDropped)
			}
			for f, words := range tc.wantDropped {
				if !strings.Contains(dropped[f], words) {
					t.Errorf("dropped %s = %q, want %q", f, dropped[f], words)
				}
			}
		})
	}
}

// TestReapprovalFlow: Approved, promoted, rejected at the source (the copy is set to Rejected),
// approved again at the source: the copy is set back to the configured status without copying,
// and a copy rejected in the target by a person is left Rejected.
func TestReapprovalFlow(t *testing.T) {
	tests := []struct {
		name   string
		status types.ModelApprovalStatus
	}{
		{"back to Approved", ""},
		{"back to PendingManualApproval", types.ModelApprovalStatusPendingManualApproval},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, env := newEnv(t)
			groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
			u := must[string](t)(env.Put(ctx, "v1/model.tar.gz", promotertest.Data(1, 100)))
			v1 := must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, u, nil))
			p := env.Promoter(promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket, ApprovalStatus: tc.status}, s3copy.Options{}, false)
			want := tc.status
			if want == "" {
				want = types.ModelApprovalStatusApproved
			}
			targetStatus := func() (types.ModelApprovalStatus, string) {
				pkgs := must[[]*sagemaker.DescribeModelPackageOutput](t)(env.TargetPackages(ctx, "churn"))
				if len(pkgs) != 1 {
					t.Fatalf("%d target packages, want 1", len(pkgs))
				}
				return pkgs[0].ModelApprovalStatus, aws.ToString(pkgs[0].ApprovalDescription)
			}
			first := must[*promoter.Result](t)(p.Promote(ctx))
			if first.Action != promotion.ActionPromote {
				t.Fatalf("first pass %+v", first)
			}
			if err := env.Reject(ctx, v1); err != nil {
				t.Fatal(err)
			}
			second := must[*promoter.Result](t)(p.Promote(ctx))
			if second.Action != promotion.ActionNothingApproved || len(second.Rejected) != 1 {
				t.Fatalf("after rejection %+v", second)
			}
			if st, _ := targetStatus(); st != types.ModelApprovalStatusRejected {
				t.Fatalf("copy is %s after the source was rejected", st)
			}
			must[*sagemaker.UpdateModelPackageOutput](t)(env.SourceSM.UpdateModelPackage(ctx, &sagemaker.UpdateModelPackageInput{
				ModelPackageArn: aws.String(v1), ModelApprovalStatus: types.ModelApprovalStatusApproved}))
			third := must[*promoter.Result](t)(p.Promote(ctx))
			if third.Action != promotion.ActionReapprove || third.TargetARN != first.TargetARN || third.Status != want || len(third.Objects) != 0 {
				t.Fatalf("after re-approval %+v, want re-approve of %s to %s without copies", third, first.TargetARN, want)
			}
			if st, note := targetStatus(); st != want || note != promotion.ReapprovalNote(v1) {
				t.Fatalf("copy is %s (%q) after the source was approved again, want %s", st, note, want)
			}
			fourth := must[*promoter.Result](t)(p.Promote(ctx))
			if fourth.Action != promotion.ActionUpToDate {
				t.Fatalf("fourth pass %+v, want up to date", fourth)
			}
			// A person rejects the copy in the target: promotion passes leave it Rejected.
			must[*sagemaker.UpdateModelPackageOutput](t)(env.TargetSM.UpdateModelPackage(ctx, &sagemaker.UpdateModelPackageInput{
				ModelPackageArn: aws.String(first.TargetARN), ModelApprovalStatus: types.ModelApprovalStatusRejected, ApprovalDescription: aws.String("fails the target's review")}))
			fifth := must[*promoter.Result](t)(p.Promote(ctx))
			if st, _ := targetStatus(); fifth.Action != promotion.ActionUpToDate || st != types.ModelApprovalStatusRejected || !strings.Contains(fifth.Reason, "not by a promotion") {
				t.Fatalf("after a rejection in the target: %+v, copy %s; want it left Rejected", fifth, st)
			}
		})
	}
}

func TestReadByARNWithResourcePolicy(t *testing.T) {
	ctx, env := newEnv(t)
	groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
	u := must[string](t)(env.Put(ctx, "v1/model.tar.gz", promotertest.Data(1, 100)))
	want := must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, u, nil))
	p := env.Promoter(promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket}, s3copy.Options{}, true)
	_, err := p.Promote(ctx)
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("without a group policy: err %v, want AccessDeniedException", err)
	}
	if err := env.AllowTarget(ctx, groupARN); err != nil {
		t.Fatal(err)
	}
	res := must[*promoter.Result](t)(p.Promote(ctx))
	if res.Action != promotion.ActionPromote || res.SourceARN != want {
		t.Fatalf("with the printed group policy: %+v", res)
	}
}

func TestUnsafeKeysRefusedBeforeCopying(t *testing.T) {
	tests := []struct{ name, key string }{
		{"folder marker", "llm/w/sub/"},
		{"dot-dot segment", "llm/w/../x.bin"},
		{"empty segment", "llm/w//x.bin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, env := newEnv(t)
			groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
			must[string](t)(env.Put(ctx, "llm/w/a.bin", promotertest.Data(1, 100)))
			size := 100
			if strings.HasSuffix(tc.key, "/") {
				size = 0
			}
			must[string](t)(env.Put(ctx, tc.key, promotertest.Data(2, size)))
			in := &sagemaker.CreateModelPackageInput{InferenceSpecification: &types.InferenceSpecification{
				Containers: []types.ModelPackageContainerDefinition{{Image: aws.String("i"), ModelDataSource: &types.ModelDataSource{S3DataSource: &types.S3ModelDataSource{
					S3Uri: aws.String("s3://" + env.SourceBucket + "/llm/w/"), S3DataType: types.S3ModelDataTypeS3Prefix, CompressionType: types.ModelCompressionTypeNone}}}},
				SupportedContentTypes: []string{"text/csv"}, SupportedResponseMIMETypes: []string{"text/csv"}}}
			must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, "", in))
			_, err := env.Promoter(promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket}, s3copy.Options{}, false).Promote(ctx)
			var unsafe *promotion.UnsafeKeyError
			if !errors.As(err, &unsafe) || unsafe.Key != tc.key {
				t.Fatalf("err %v, want *UnsafeKeyError for %q", err, tc.key)
			}
			if keys := must[[]string](t)(env.TargetKeys(ctx)); len(keys) != 0 {
				t.Errorf("copied %v before refusing", keys)
			}
		})
	}
}
