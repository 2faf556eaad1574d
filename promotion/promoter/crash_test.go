package promoter_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/promotion"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter/promotertest"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

var errCrash = errors.New("injected crash")

// faultyS3 wraps the target S3 client: the call named in failOn fails (after reaching S3 when
// after is true) on its nth use.
type faultyS3 struct {
	s3copy.API
	failOn string
	nth    int32
	after  bool
	calls  atomic.Int32
}

func (f *faultyS3) hit(op string) bool { return op == f.failOn && f.calls.Add(1) == f.nth }

func (f *faultyS3) CopyObject(ctx context.Context, in *s3.CopyObjectInput, o ...func(*s3.Options)) (*s3.CopyObjectOutput, error) {
	if f.hit("CopyObject") {
		if f.after {
			f.API.CopyObject(ctx, in, o...)
		}
		return nil, errCrash
	}
	return f.API.CopyObject(ctx, in, o...)
}

func (f *faultyS3) UploadPartCopy(ctx context.Context, in *s3.UploadPartCopyInput, o ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error) {
	if f.hit("UploadPartCopy") {
		return nil, errCrash
	}
	return f.API.UploadPartCopy(ctx, in, o...)
}

func (f *faultyS3) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, o ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	if f.hit("CompleteMultipartUpload") {
		return nil, errCrash
	}
	return f.API.CompleteMultipartUpload(ctx, in, o...)
}

func (f *faultyS3) HeadObject(ctx context.Context, in *s3.HeadObjectInput, o ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	if f.hit("HeadObject") {
		return nil, errCrash
	}
	return f.API.HeadObject(ctx, in, o...)
}

// faultyRegistry wraps the target registry the same way.
type faultyRegistry struct {
	promoter.TargetRegistry
	failOn string
	after  bool
}

func (f *faultyRegistry) CreateModelPackageGroup(ctx context.Context, in *sagemaker.CreateModelPackageGroupInput, o ...func(*sagemaker.Options)) (*sagemaker.CreateModelPackageGroupOutput, error) {
	if f.failOn == "CreateModelPackageGroup" {
		if f.after {
			f.TargetRegistry.CreateModelPackageGroup(ctx, in, o...)
		}
		return nil, errCrash
	}
	return f.TargetRegistry.CreateModelPackageGroup(ctx, in, o...)
}

func (f *faultyRegistry) CreateModelPackage(ctx context.Context, in *sagemaker.CreateModelPackageInput, o ...func(*sagemaker.Options)) (*sagemaker.CreateModelPackageOutput, error) {
	if f.failOn == "CreateModelPackage" {
		if f.after {
			f.TargetRegistry.CreateModelPackage(ctx, in, o...)
		}
		return nil, errCrash
	}
	return f.TargetRegistry.CreateModelPackage(ctx, in, o...)
}

func (f *faultyRegistry) UpdateModelPackage(ctx context.Context, in *sagemaker.UpdateModelPackageInput, o ...func(*sagemaker.Options)) (*sagemaker.UpdateModelPackageOutput, error) {
	if f.failOn == "UpdateModelPackage" {
		if f.after {
			f.TargetRegistry.UpdateModelPackage(ctx, in, o...)
		}
		return nil, errCrash
	}
	return f.TargetRegistry.UpdateModelPackage(ctx, in, o...)
}

// TestCrashResume injects a fault after each step, then re-runs without faults: the target ends
// with exactly one correct package for the source, and every target object belongs to it.
func TestCrashResume(t *testing.T) {
	tests := []struct {
		name string
		s3   *faultyS3
		reg  *faultyRegistry
	}{
		{"first copy fails", &faultyS3{failOn: "CopyObject", nth: 1}, nil},
		{"second copy lands but the answer is lost", &faultyS3{failOn: "CopyObject", nth: 2, after: true}, nil},
		{"a part copy fails (multipart aborted)", &faultyS3{failOn: "UploadPartCopy", nth: 2}, nil},
		{"multipart completion fails", &faultyS3{failOn: "CompleteMultipartUpload", nth: 1}, nil},
		{"verification read fails (target HEAD: the emulator answers CompleteMultipartUpload without a checksum)", &faultyS3{failOn: "HeadObject", nth: 1}, nil},
		{"group created, answer lost", nil, &faultyRegistry{failOn: "CreateModelPackageGroup", after: true}},
		{"group creation fails", nil, &faultyRegistry{failOn: "CreateModelPackageGroup"}},
		{"package registered, answer lost", nil, &faultyRegistry{failOn: "CreateModelPackage", after: true}},
		{"registration fails", nil, &faultyRegistry{failOn: "CreateModelPackage"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, env := newEnv(t)
			groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
			in := &sagemaker.CreateModelPackageInput{InferenceSpecification: &types.InferenceSpecification{
				Containers: []types.ModelPackageContainerDefinition{
					{Image: aws.String("a"), ModelDataUrl: aws.String(must[string](t)(env.Put(ctx, "c/a.tar.gz", promotertest.Data(1, 300))))},
					{Image: aws.String("b"), ModelDataUrl: aws.String(must[string](t)(env.Put(ctx, "c/b.tar.gz", promotertest.Data(2, 400))))},
					{Image: aws.String("c"), ModelDataUrl: aws.String(must[string](t)(env.Put(ctx, "c/big.tar.gz", promotertest.Data(3, 12*mib))))},
				},
				SupportedContentTypes: []string{"text/csv"}, SupportedResponseMIMETypes: []string{"text/csv"}}}
			want := must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, "", in))
			cfg := promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket}
			opts := multipartOpts
			opts.Concurrency = 1
			p := env.Promoter(cfg, opts, false)
			if tc.s3 != nil {
				tc.s3.API = p.Copier.S3
				p.Copier.S3 = tc.s3
			}
			if tc.reg != nil {
				tc.reg.TargetRegistry = p.TargetRegistry
				p.TargetRegistry = tc.reg
			}
			if _, err := p.Promote(ctx); !errors.Is(err, errCrash) {
				t.Fatalf("faulty run: err %v, want the injected crash", err)
			}
			// No multipart upload is left behind by a failed copy.
			ups := must[*s3.ListMultipartUploadsOutput](t)(env.TargetS3.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(env.TargetBucket)}))
			if len(ups.Uploads) != 0 {
				t.Errorf("%d multipart uploads left after the crash", len(ups.Uploads))
			}
			res := must[*promoter.Result](t)(env.Promoter(cfg, opts, false).Promote(ctx))
			if res.SourceARN != want {
				t.Fatalf("re-run %+v", res)
			}
			assertConverged(t, ctx, env, want, 0)
		})
	}
}

// TestCrashDuringRejection: UpdateModelPackage fails (before or after it lands); the re-run
// rejects the copy and converges to the latest approved package.
func TestCrashDuringRejection(t *testing.T) {
	for _, after := range []bool{false, true} {
		t.Run(map[bool]string{false: "update fails", true: "update lands, answer lost"}[after], func(t *testing.T) {
			ctx, env := newEnv(t)
			v1, v2, cfg := promoteThenReject(t, ctx, env)
			p := env.Promoter(cfg, s3copy.Options{}, false)
			p.TargetRegistry = &faultyRegistry{TargetRegistry: p.TargetRegistry, failOn: "UpdateModelPackage", after: after}
			if _, err := p.Promote(ctx); !errors.Is(err, errCrash) {
				t.Fatalf("faulty run: %v", err)
			}
			res := must[*promoter.Result](t)(env.Promoter(cfg, s3copy.Options{}, false).Promote(ctx))
			if res.Action != promotion.ActionPromote || res.SourceARN != v1 {
				t.Fatalf("re-run %+v, want v1 promoted", res)
			}
			status := targetStatuses(t, ctx, env)
			if len(status) != 2 || status[v2] != types.ModelApprovalStatusRejected || status[v1] != types.ModelApprovalStatusApproved {
				t.Errorf("target statuses %v", status)
			}
		})
	}
}
