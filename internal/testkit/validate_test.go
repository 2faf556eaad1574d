package testkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// withoutClientValidation removes the SDK's own check of required members, so the request
// reaches the emulator as a client without that check would send it.
func withoutClientValidation(stack *middleware.Stack) error {
	_, err := stack.Initialize.Remove("OperationInputValidation")
	return err
}

func wantAPIError(t *testing.T, what string, err error, code string, parts ...string) {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != code {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
	for _, p := range parts {
		if !strings.Contains(api.ErrorMessage(), p) {
			t.Fatalf("%s: message %q does not contain %q", what, api.ErrorMessage(), p)
		}
	}
}

// Requests that break the AWS service model are refused as AWS refuses them, for every class of
// constraint and every protocol the project uses.
func TestServiceModelValidation(t *testing.T) {
	ctx := context.Background()
	cfg := moto.Fresh(t)
	sm := sagemaker.NewFromConfig(cfg)
	noCheck := sagemaker.NewFromConfig(cfg, func(o *sagemaker.Options) {
		o.APIOptions = append(o.APIOptions, withoutClientValidation)
	})
	if _, err := sm.CreateModelPackageGroup(ctx, &sagemaker.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	spec := func(mime string) *types.InferenceSpecification {
		return &types.InferenceSpecification{
			Containers:                 []types.ModelPackageContainerDefinition{{Image: aws.String("img"), ModelDataUrl: aws.String("s3://b/model.tar.gz")}},
			SupportedContentTypes:      []string{"text/csv"},
			SupportedResponseMIMETypes: []string{mime},
		}
	}
	tests := []struct {
		name  string
		call  func() error
		code  string
		parts []string
	}{
		{"over-long name", func() error {
			_, err := sm.CreateModelPackageGroup(ctx, &sagemaker.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String(strings.Repeat("a", 64))})
			return err
		}, "ValidationException", []string{"at 'modelPackageGroupName'", "length less than or equal to 63"}},
		{"bad pattern", func() error {
			_, err := sm.CreateModelPackage(ctx, &sagemaker.CreateModelPackageInput{ModelPackageGroupName: aws.String("g"), InferenceSpecification: spec("a")})
			return err
		}, "ValidationException", []string{"Value 'a' at 'inferenceSpecification.supportedResponseMIMETypes.1.member'", "regular expression pattern"}},
		{"bad enum", func() error {
			_, err := sm.CreateModelPackage(ctx, &sagemaker.CreateModelPackageInput{ModelPackageGroupName: aws.String("g"), InferenceSpecification: spec("text/csv"), ModelApprovalStatus: "Maybe"})
			return err
		}, "ValidationException", []string{"Value 'Maybe' at 'modelApprovalStatus'", "enum value set: [Approved, Rejected, PendingManualApproval]"}},
		{"missing required", func() error {
			_, err := noCheck.CreateModelPackageGroup(ctx, &sagemaker.CreateModelPackageGroupInput{})
			return err
		}, "ValidationException", []string{"Value null at 'modelPackageGroupName'", "must not be null"}},
		{"policy with newlines", func() error {
			_, err := sm.PutModelPackageGroupPolicy(ctx, &sagemaker.PutModelPackageGroupPolicyInput{ModelPackageGroupName: aws.String("g"), ResourcePolicy: aws.String("{\n  \"Version\": \"2012-10-17\"\n}")})
			return err
		}, "ValidationException", []string{"at 'resourcePolicy'"}},
		{"numeric range", func() error {
			_, err := sm.ListModelPackageGroups(ctx, &sagemaker.ListModelPackageGroupsInput{MaxResults: aws.Int32(101)})
			return err
		}, "ValidationException", []string{"at 'maxResults'", "less than or equal to 100"}},
		{"query protocol (STS)", func() error {
			_, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/r"), RoleSessionName: aws.String("a")})
			return err
		}, "ValidationError", []string{"at 'roleSessionName'", "length greater than or equal to 2"}},
		{"JSON 1.0 protocol (DynamoDB)", func() error {
			_, err := dynamodb.NewFromConfig(cfg).PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("t"), ReturnValues: "EVERYTHING", Item: map[string]ddbtypes.AttributeValue{"k": &ddbtypes.AttributeValueMemberS{Value: "v"}}})
			return err
		}, "ValidationException", []string{"Value 'EVERYTHING' at 'returnValues'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.name, tt.call(), tt.code, tt.parts...) })
	}
	// What was refused left nothing behind.
	out, err := sm.ListModelPackages(ctx, &sagemaker.ListModelPackagesInput{ModelPackageGroupName: aws.String("g")})
	if err != nil || len(out.ModelPackageSummaryList) != 0 {
		t.Fatalf("after the refused calls: %d packages (%v), want none", len(out.ModelPackageSummaryList), err)
	}
}

// S3 answers its own error codes for keys, bucket names, header enums, part numbers and copy
// ranges; parts below 5 MiB are refused at CompleteMultipartUpload.
func TestS3Validation(t *testing.T) {
	ctx := context.Background()
	cfg := moto.Fresh(t)
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bucket-1")}); err != nil {
		t.Fatal(err)
	}
	put := func(key string, size int) error {
		_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bucket-1"), Key: aws.String(key), Body: bytes.NewReader(make([]byte, size))})
		return err
	}
	if err := put("src", 10); err != nil {
		t.Fatal(err)
	}
	upload, err := s3c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("bucket-1"), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	copyPart := func(part int32, rng string) error {
		_, err := s3c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
			Bucket: aws.String("bucket-1"), Key: aws.String("big"), UploadId: upload.UploadId, PartNumber: aws.Int32(part),
			CopySource: aws.String("bucket-1/src"), CopySourceRange: aws.String(rng),
		})
		return err
	}
	copyObject := func(in *s3.CopyObjectInput) error {
		in.Bucket, in.Key, in.CopySource = aws.String("bucket-1"), aws.String("dst"), aws.String("bucket-1/src")
		_, err := s3c.CopyObject(ctx, in)
		return err
	}
	tests := []struct {
		name  string
		call  func() error
		code  string
		parts []string
	}{
		{"key of 1025 bytes", func() error { return put(strings.Repeat("é", 512)+"k", 1) }, "KeyTooLongError", nil},
		{"bucket name with capitals", func() error {
			_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("Bucket-Caps")})
			return err
		}, "InvalidBucketName", nil},
		{"bucket name like an IP address", func() error {
			_, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("192.168.5.4")})
			return err
		}, "InvalidBucketName", nil},
		{"metadata directive", func() error { return copyObject(&s3.CopyObjectInput{MetadataDirective: "KEEP"}) }, "InvalidArgument", []string{"metadata directive"}},
		{"tagging directive", func() error { return copyObject(&s3.CopyObjectInput{TaggingDirective: "KEEP"}) }, "InvalidArgument", []string{"tagging directive"}},
		{"storage class", func() error { return copyObject(&s3.CopyObjectInput{StorageClass: "FAST"}) }, "InvalidStorageClass", nil},
		{"checksum algorithm", func() error { return copyObject(&s3.CopyObjectInput{ChecksumAlgorithm: "MD4"}) }, "InvalidArgument", []string{"x-amz-checksum-algorithm"}},
		{"part number 0", func() error { return copyPart(0, "bytes=0-9") }, "InvalidArgument", []string{"between 1 and 10000"}},
		{"part number 10001", func() error { return copyPart(10001, "bytes=0-9") }, "InvalidArgument", []string{"between 1 and 10000"}},
		{"copy range over 5 GiB", func() error { return copyPart(1, fmt.Sprintf("bytes=0-%d", 5<<30)) }, "InvalidRequest", []string{"5368709120"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.name, tt.call(), tt.code, tt.parts...) })
	}

	// What AWS accepts passes: a required member sent as the raw body (PutBucketPolicy's Policy)
	// is read from the body, not looked for in a header.
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-1/*"}]}`
	if _, err := s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("bucket-1"), Policy: aws.String(policy)}); err != nil {
		t.Errorf("PutBucketPolicy with a valid policy refused: %v", err)
	}

	// Parts below 5 MiB pass UploadPartCopy; S3 refuses them when the upload completes, unless
	// the small part is the last one.
	const mib = 1 << 20
	if err := put("src", 6*mib); err != nil {
		t.Fatal(err)
	}
	var parts []s3types.CompletedPart
	for i, rng := range []string{"bytes=0-1048575", "bytes=1048576-6291455"} {
		out, err := s3c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
			Bucket: aws.String("bucket-1"), Key: aws.String("big"), UploadId: upload.UploadId, PartNumber: aws.Int32(int32(i + 1)),
			CopySource: aws.String("bucket-1/src"), CopySourceRange: aws.String(rng),
		})
		if err != nil {
			t.Fatalf("UploadPartCopy %s: %v", rng, err)
		}
		parts = append(parts, s3types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.CopyPartResult.ETag})
	}
	_, err = s3c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String("bucket-1"), Key: aws.String("big"), UploadId: upload.UploadId,
		MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts},
	})
	wantAPIError(t, "CompleteMultipartUpload with a 1 MiB first part", err, "EntityTooSmall")
}

// SageMaker's model registry: a retried CreateModelPackage with the same ClientToken creates
// nothing new, and CreateModelPackageGroup on an existing name fails.
func TestModelRegistryIdempotency(t *testing.T) {
	ctx := context.Background()
	cfg := moto.Fresh(t)
	sm := sagemaker.NewFromConfig(cfg)
	group := &sagemaker.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String("Churn-Models")}
	if _, err := sm.CreateModelPackageGroup(ctx, group); err != nil {
		t.Fatal(err)
	}
	_, err := sm.CreateModelPackageGroup(ctx, group)
	wantAPIError(t, "CreateModelPackageGroup on an existing name", err, "ValidationException", "Model Package Group already exists", "model-package-group/")

	create := func(token string) string {
		t.Helper()
		out, err := sm.CreateModelPackage(ctx, &sagemaker.CreateModelPackageInput{
			ModelPackageGroupName: aws.String("Churn-Models"),
			ClientToken:           aws.String(token),
			InferenceSpecification: &types.InferenceSpecification{
				Containers:                 []types.ModelPackageContainerDefinition{{Image: aws.String("img")}},
				SupportedContentTypes:      []string{"text/csv"},
				SupportedResponseMIMETypes: []string{"text/csv"},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ModelPackageArn)
	}
	first, again, other := create("token-1"), create("token-1"), create("token-2")
	if first != again || first == other {
		t.Fatalf("ARNs %s, %s (same token), %s (new token): want the same token to answer the same package", first, again, other)
	}
	out, err := sm.ListModelPackages(ctx, &sagemaker.ListModelPackagesInput{ModelPackageGroupName: aws.String("Churn-Models")})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.ModelPackageSummaryList); n != 2 {
		t.Fatalf("%d packages after three calls with two tokens, want 2", n)
	}
}
