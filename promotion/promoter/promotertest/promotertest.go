// Package promotertest builds source and target model registries in the local emulator for the
// promotion tests, the demo and the benchmark: two accounts, buckets, artifact objects and model
// packages in a given approval status. It talks to moto over HTTP through the real SDK.
package promotertest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
	"github.com/sagemaker-cd/sagemaker-cd/promotion"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

// SourceAccount is the account the source registry lives in; the target is testkit.DefaultAccountID.
const SourceAccount = "444333666777"

// Env is a source account and a target account in the emulator.
type Env struct {
	Moto          *testkit.Moto
	SourceCfg     aws.Config
	TargetCfg     aws.Config
	SourceSM      *sagemaker.Client
	TargetSM      *sagemaker.Client
	SourceS3      *s3.Client
	TargetS3      *s3.Client
	SourceRoleARN string
	SourceBucket  string
	TargetBucket  string
}

// New resets the emulator and creates the source bucket (in SourceAccount) and the target bucket.
func New(ctx context.Context, m *testkit.Moto) (*Env, error) {
	if err := m.Reset(ctx); err != nil {
		return nil, err
	}
	src, err := m.AccountConfig(ctx, SourceAccount)
	if err != nil {
		return nil, err
	}
	tgt, err := m.Config(ctx)
	if err != nil {
		return nil, err
	}
	e := &Env{Moto: m, SourceCfg: src, TargetCfg: tgt,
		SourceSM: sagemaker.NewFromConfig(src), TargetSM: sagemaker.NewFromConfig(tgt),
		SourceS3:      s3.NewFromConfig(src, func(o *s3.Options) { o.UsePathStyle = true }),
		TargetS3:      s3.NewFromConfig(tgt, func(o *s3.Options) { o.UsePathStyle = true }),
		SourceRoleARN: "arn:aws:iam::" + SourceAccount + ":role/smcd-promote-read",
		SourceBucket:  "mlops-source-444333666777", TargetBucket: "mlops-target-123456789012"}
	for _, b := range []struct {
		c    *s3.Client
		name string
	}{{e.SourceS3, e.SourceBucket}, {e.TargetS3, e.TargetBucket}} {
		if _, err := b.c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b.name)}); err != nil {
			return nil, fmt.Errorf("create bucket %s: %w", b.name, err)
		}
	}
	return e, nil
}

// Put writes an object into the source bucket with a CRC32 checksum (what current SDKs and
// S3 store by default) and returns its s3:// URI.
func (e *Env) Put(ctx context.Context, key string, data []byte) (string, error) {
	if _, err := e.SourceS3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(e.SourceBucket), Key: aws.String(key), Body: bytes.NewReader(data),
		ChecksumAlgorithm: s3types.ChecksumAlgorithmCrc32}); err != nil {
		return "", fmt.Errorf("put s3://%s/%s: %w", e.SourceBucket, key, err)
	}
	return "s3://" + e.SourceBucket + "/" + key, nil
}

// PutLegacy writes an object into the source bucket the way clients did before S3's default
// checksums (late 2024): no additional checksum, so HeadObject reports only size and ETag. It
// returns the object's s3:// URI.
func (e *Env) PutLegacy(ctx context.Context, key string, data []byte) (string, error) {
	if _, err := e.SourceS3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(e.SourceBucket), Key: aws.String(key), Body: bytes.NewReader(data)},
		func(o *s3.Options) { o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired }); err != nil {
		return "", fmt.Errorf("put s3://%s/%s: %w", e.SourceBucket, key, err)
	}
	return "s3://" + e.SourceBucket + "/" + key, nil
}

// Data returns n deterministic pseudo-random bytes.
func Data(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// CreateGroup creates a source model package group and returns its ARN.
func (e *Env) CreateGroup(ctx context.Context, name string) (string, error) {
	out, err := e.SourceSM.CreateModelPackageGroup(ctx, &sagemaker.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("create model package group %s: %w", name, err)
	}
	return aws.ToString(out.ModelPackageGroupArn), nil
}

// Register creates a package version in the source group. in may be nil (a single container
// pointing at modelDataURL).
func (e *Env) Register(ctx context.Context, group string, status types.ModelApprovalStatus, modelDataURL string, in *sagemaker.CreateModelPackageInput) (string, error) {
	if in == nil {
		in = &sagemaker.CreateModelPackageInput{InferenceSpecification: &types.InferenceSpecification{
			Containers: []types.ModelPackageContainerDefinition{{
				Image:        aws.String("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"),
				ModelDataUrl: aws.String(modelDataURL),
			}},
			SupportedContentTypes:      []string{"text/csv"},
			SupportedResponseMIMETypes: []string{"text/csv"},
		}}
	}
	in.ModelPackageGroupName = aws.String(group)
	in.ModelApprovalStatus = status
	out, err := e.SourceSM.CreateModelPackage(ctx, in)
	if err != nil {
		return "", fmt.Errorf("create model package in %s: %w", group, err)
	}
	// CreationTime orders packages: keep versions distinct even on a fast machine.
	time.Sleep(2 * time.Millisecond)
	return aws.ToString(out.ModelPackageArn), nil
}

// Reject sets a source package to Rejected.
func (e *Env) Reject(ctx context.Context, arn string) error {
	_, err := e.SourceSM.UpdateModelPackage(ctx, &sagemaker.UpdateModelPackageInput{ModelPackageArn: aws.String(arn), ModelApprovalStatus: types.ModelApprovalStatusRejected})
	if err != nil {
		return fmt.Errorf("reject %s: %w", arn, err)
	}
	return nil
}

// AllowTarget applies the model package group resource policy that `smcd promote grants` prints,
// so the target account can read the source group by ARN without assuming a role.
func (e *Env) AllowTarget(ctx context.Context, groupARN string) error {
	g, err := promotion.BuildGrants(promotion.GrantsInput{SourceGroupARN: groupARN, TargetAccountID: testkit.DefaultAccountID, Buckets: []string{e.SourceBucket}})
	if err != nil {
		return err
	}
	arn, _ := promotion.ParseGroupARN(groupARN)
	// Exactly what grants prints: compact JSON (SageMaker's PolicyString pattern forbids newlines).
	_, err = e.SourceSM.PutModelPackageGroupPolicy(ctx, &sagemaker.PutModelPackageGroupPolicyInput{
		ModelPackageGroupName: aws.String(arn.Name), ResourcePolicy: aws.String(g.ModelPackageGroupPolicy)})
	if err != nil {
		return fmt.Errorf("put model package group policy on %s: %w", groupARN, err)
	}
	return nil
}

// Promoter returns a promoter reading the source through the role in SourceAccount (as
// --source-role-arn does) or, when byARN is true, with the target account's credentials.
func (e *Env) Promoter(cfg promotion.Config, opts s3copy.Options, byARN bool) *promoter.Promoter {
	srcCfg := e.SourceCfg
	if byARN {
		srcCfg = e.TargetCfg
	}
	return &promoter.Promoter{
		Config:         cfg,
		SourceRegistry: sagemaker.NewFromConfig(srcCfg),
		SourceStorage:  s3.NewFromConfig(srcCfg, func(o *s3.Options) { o.UsePathStyle = true }),
		TargetRegistry: e.TargetSM,
		TargetStorage:  e.TargetS3,
		Copier:         s3copy.New(e.TargetS3, func(o *s3copy.Options) { *o = opts }),
	}
}

// TargetKeys lists every key in the target bucket.
func (e *Env) TargetKeys(ctx context.Context) ([]string, error) {
	var keys []string
	pager := s3.NewListObjectsV2Paginator(e.TargetS3, &s3.ListObjectsV2Input{Bucket: aws.String(e.TargetBucket)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s: %w", e.TargetBucket, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys, nil
}

// TargetPackages lists the target group's packages, described, oldest first.
func (e *Env) TargetPackages(ctx context.Context, group string) ([]*sagemaker.DescribeModelPackageOutput, error) {
	var out []*sagemaker.DescribeModelPackageOutput
	pager := sagemaker.NewListModelPackagesPaginator(e.TargetSM, &sagemaker.ListModelPackagesInput{
		ModelPackageGroupName: aws.String(group), SortBy: types.ModelPackageSortByCreationTime, SortOrder: types.SortOrderAscending})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list model packages of %s: %w", group, err)
		}
		for _, s := range page.ModelPackageSummaryList {
			d, err := e.TargetSM.DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: s.ModelPackageArn})
			if err != nil {
				return nil, err
			}
			out = append(out, d)
		}
	}
	return out, nil
}
