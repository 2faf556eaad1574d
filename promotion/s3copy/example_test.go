package s3copy_test

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

func ExampleVerification() {
	// An artifact uploaded before S3's default checksums, promoted into an SSE-KMS bucket: its
	// ETag says nothing about the copy, so the default (checksum) mode refuses it.
	legacy := s3copy.Object{Observed: s3copy.Headed, Size: 4096, ETag: `"9b2cf535f27731c974343645a3985328"`}
	opts := s3copy.Options{KMSKeyARN: "arn:aws:kms:eu-west-1:111222333444:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
	_, err := s3copy.Verification(legacy, opts)
	fmt.Println(errors.Is(err, s3copy.ErrUnverifiable))
	opts.Verify = s3copy.VerifySize
	fmt.Println(s3copy.Verification(legacy, opts))
	// Output:
	// true
	// size + source ETag pinned (no checksum to compare) <nil>
}

func ExampleNew() {
	// The client's HTTP pool keeps a connection per request in flight.
	client := s3.New(s3.Options{Region: "eu-west-1", HTTPClient: s3copy.HTTPClient(s3copy.DefaultConcurrency)})
	c := s3copy.New(client, func(o *s3copy.Options) {
		o.KMSKeyARN = "arn:aws:kms:eu-west-1:111222333444:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	})
	opts, _ := c.Options.WithDefaults()
	fmt.Println(opts.Concurrency, opts.MultipartThreshold>>20, opts.PartSize>>20, opts.Verify)
	// Output: 64 16 8 checksum
}

func ExampleFromListing() {
	// A ListObjectsV2 entry: a single copy of it into a bucket without a KMS key is verified by
	// the CopyObject answer's ETag, so it needs no HeadObject.
	listed := s3copy.FromListing("models", types.Object{Key: aws.String("llm/config.json"), Size: aws.Int64(4096),
		ETag: aws.String(`"9b2cf535f27731c974343645a3985328"`), ChecksumAlgorithm: []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc64nvme}})
	fmt.Println(s3copy.Verification(listed, s3copy.Options{}))
	// Output: size + ETag (MD5) <nil>
}
