package s3copy_test

import (
	"errors"
	"fmt"

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
