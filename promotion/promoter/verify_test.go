package promoter_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/promotion"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter/promotertest"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

func crc32Base64(b []byte) string {
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.ChecksumIEEE(b))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func targetKMSKey(t *testing.T, ctx context.Context, env *promotertest.Env) string {
	t.Helper()
	key := must[*kms.CreateKeyOutput](t)(kms.NewFromConfig(env.TargetCfg).CreateKey(ctx, &kms.CreateKeyInput{}))
	return aws.ToString(key.KeyMetadata.Arn)
}

// TestLegacyArtifactToKMSTarget promotes an artifact uploaded without a checksum into an SSE-KMS
// target: checksum mode refuses before copying, size mode copies it pinned, verifies size and key,
// and leaves a CRC32 on the target that a later strict promotion can compare.
func TestLegacyArtifactToKMSTarget(t *testing.T) {
	for _, tc := range copyShapes() {
		t.Run(tc.name, func(t *testing.T) {
			ctx, env := newEnv(t)
			groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
			data := promotertest.Data(7, tc.size)
			uri := must[string](t)(env.PutLegacy(ctx, "legacy/model.tar.gz", data))
			h := must[*s3.HeadObjectOutput](t)(env.SourceS3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(env.SourceBucket),
				Key: aws.String("legacy/model.tar.gz"), ChecksumMode: s3types.ChecksumModeEnabled}))
			if c := s3copy.ChecksumFromHead(h); c.Value != "" {
				t.Fatalf("precondition: the legacy upload has a %s checksum", c.Algorithm)
			}
			want := must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, uri, nil))
			opts := multipartOpts
			opts.KMSKeyARN = targetKMSKey(t, ctx, env)
			cfg := promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket}

			// Strict (the default): refused before anything is copied or registered.
			_, err := env.Promoter(cfg, opts, false).Promote(ctx)
			var ie *s3copy.IntegrityError
			if !errors.As(err, &ie) || !errors.Is(err, s3copy.ErrUnverifiable) {
				t.Fatalf("checksum mode: err %v, want *IntegrityError (ErrUnverifiable)", err)
			}
			if keys := must[[]string](t)(env.TargetKeys(ctx)); len(keys) != 0 {
				t.Fatalf("checksum mode copied %v before refusing", keys)
			}

			// Size mode: the plan says how, the copy is made and verified by size and key.
			opts.Verify = s3copy.VerifySize
			p := env.Promoter(cfg, opts, false)
			plan := must[*promoter.Plan](t)(p.Plan(ctx))
			if len(plan.Objects) != 1 || plan.Objects[0].Verification != s3copy.VerifiedSizePinned {
				t.Fatalf("plan objects %+v, want one verified by %q", plan.Objects, s3copy.VerifiedSizePinned)
			}
			res := must[*promoter.Result](t)(p.Promote(ctx))
			if res.Action != promotion.ActionPromote || res.SourceARN != want || len(res.Objects) != 1 {
				t.Fatalf("size mode: %+v, want %s promoted", res, want)
			}
			c := res.Objects[0]
			if c.Verified != s3copy.VerifiedSizePinned || (c.Parts > 1) != tc.wantParts {
				t.Errorf("copied %+v: want verified %q, multipart %v", c, s3copy.VerifiedSizePinned, tc.wantParts)
			}
			th := must[*s3.HeadObjectOutput](t)(env.TargetS3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(c.Target.Bucket),
				Key: aws.String(c.Target.Key), ChecksumMode: s3types.ChecksumModeEnabled}))
			if th.ServerSideEncryption != s3types.ServerSideEncryptionAwsKms || aws.ToString(th.SSEKMSKeyId) != opts.KMSKeyARN {
				t.Errorf("target SSE %q key %q, want aws:kms %s", th.ServerSideEncryption, aws.ToString(th.SSEKMSKeyId), opts.KMSKeyARN)
			}
			// The target got a checksum of the right bytes, so promoting it further is strict.
			if got := aws.ToString(th.ChecksumCRC32); got != crc32Base64(data) {
				t.Errorf("target CRC32 %q, want %q (computed here)", got, crc32Base64(data))
			}
			next := s3copy.FromHead(c.Target, th)
			if v, err := s3copy.Verification(next, opts); v != "size + CRC32" || err != nil {
				t.Errorf("verification of the copy for a further promotion: %q, %v; want size + CRC32", v, err)
			}
			body := must[*s3.GetObjectOutput](t)(env.TargetS3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.Target.Bucket), Key: aws.String(c.Target.Key)}))
			got := must[[]byte](t)(io.ReadAll(body.Body))
			body.Body.Close()
			if !bytes.Equal(got, data) {
				t.Errorf("target bytes differ from the source (%d vs %d bytes)", len(got), len(data))
			}
			if pkgs := must[[]*sagemaker.DescribeModelPackageOutput](t)(env.TargetPackages(ctx, "churn")); len(pkgs) != 1 {
				t.Errorf("target packages = %d, want 1", len(pkgs))
			}
		})
	}
}

// overwriteOnFirstCopy overwrites the source object (same size, other bytes) right before the
// first copy call reaches S3: the race between planning and copying, made deterministic.
type overwriteOnFirstCopy struct {
	s3copy.API
	env  *promotertest.Env
	key  string
	data []byte
	once sync.Once
	err  error
}

func (o *overwriteOnFirstCopy) overwrite(ctx context.Context) {
	o.once.Do(func() {
		_, o.err = o.env.PutLegacy(ctx, o.key, o.data)
	})
}

func (o *overwriteOnFirstCopy) CopyObject(ctx context.Context, in *s3.CopyObjectInput, opts ...func(*s3.Options)) (*s3.CopyObjectOutput, error) {
	o.overwrite(ctx)
	return o.API.CopyObject(ctx, in, opts...)
}

func (o *overwriteOnFirstCopy) UploadPartCopy(ctx context.Context, in *s3.UploadPartCopyInput, opts ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error) {
	o.overwrite(ctx)
	return o.API.UploadPartCopy(ctx, in, opts...)
}

// TestSourceOverwrittenAfterPlanning: every copy is pinned to the ETag seen while planning, so
// a source overwritten in between fails with an integrity error, copies nothing (a multipart
// upload is aborted) and registers nothing, in size mode and in checksum mode.
func TestSourceOverwrittenAfterPlanning(t *testing.T) {
	tests := []struct {
		name   string
		size   int
		legacy bool // uploaded without a checksum
		mode   s3copy.VerifyMode
		kms    bool
		op     string
	}{
		{"size mode, KMS target, CopyObject", 4096, true, s3copy.VerifySize, true, "copy object"},
		{"size mode, KMS target, UploadPartCopy", 13 * mib, true, s3copy.VerifySize, true, "upload part copy"},
		{"checksum mode, CRC32 source, CopyObject", 4096, false, s3copy.VerifyChecksum, false, "copy object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, env := newEnv(t)
			groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
			put := env.Put
			if tc.legacy {
				put = env.PutLegacy
			}
			uri := must[string](t)(put(ctx, "race/model.tar.gz", promotertest.Data(1, tc.size)))
			must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, uri, nil))
			opts := multipartOpts
			opts.Verify = tc.mode
			if tc.kms {
				opts.KMSKeyARN = targetKMSKey(t, ctx, env)
			}
			p := env.Promoter(promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket}, opts, false)
			race := &overwriteOnFirstCopy{API: p.Copier.S3, env: env, key: "race/model.tar.gz", data: promotertest.Data(2, tc.size)}
			p.Copier.S3 = race

			res, err := p.Promote(ctx)
			if race.err != nil {
				t.Fatalf("overwrite the source: %v", race.err)
			}
			var ie *s3copy.IntegrityError
			if !errors.As(err, &ie) || !errors.Is(err, s3copy.ErrSourceChanged) || !strings.Contains(err.Error(), "the source changed after planning") ||
				!strings.Contains(err.Error(), tc.op) {
				t.Fatalf("Promote = %+v, %v; want an integrity error (ErrSourceChanged) from %s", res, err, tc.op)
			}
			if keys := must[[]string](t)(env.TargetKeys(ctx)); len(keys) != 0 {
				t.Errorf("copied %v from a changed source", keys)
			}
			ups := must[*s3.ListMultipartUploadsOutput](t)(env.TargetS3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(env.TargetBucket)}))
			if len(ups.Uploads) != 0 {
				t.Errorf("%d multipart uploads left behind", len(ups.Uploads))
			}
			if pkgs := must[[]*sagemaker.DescribeModelPackageOutput](t)(env.TargetPackages(ctx, "churn")); len(pkgs) != 0 {
				t.Errorf("registered %d packages from a changed source", len(pkgs))
			}
			// A re-run plans the current object and promotes it.
			p.Copier.S3 = env.TargetS3
			if res, err := p.Promote(ctx); err != nil || res.Action != promotion.ActionPromote {
				t.Errorf("re-run: %+v, %v; want the current object promoted", res, err)
			}
		})
	}
}
