package faultproxy_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sagemaker-cd/sagemaker-cd/internal/faultproxy"
)

// A lost answer: the emulator stores the object, but the client's connection is reset before
// the answer arrives. The SDK retries (a reset connection is retryable), so the call succeeds on
// its second attempt and the proxy counts two PutObject calls. moto is the emulator that
// testkit.RunWithMoto started for this package.
func Example() {
	ctx := context.Background()
	_ = moto.Reset(ctx)
	p, err := faultproxy.Start(moto.URL)
	if err != nil {
		panic(err)
	}
	defer p.Close()
	p.Add(faultproxy.Rule{Operation: "PutObject", Calls: []int{1}, Fault: faultproxy.ResetAfter})

	cfg, _ := moto.Via(p.URL).Config(ctx) // every call goes through the proxy
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	_, _ = s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("models")})
	_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("models"), Key: aws.String("model.tar.gz"), Body: bytes.NewReader([]byte("x"))})
	fmt.Println("put error:", err)
	fmt.Println("PutObject calls:", p.Count("PutObject"))
	for _, c := range p.Calls() {
		fmt.Println(c.Operation, c.Fault)
	}
	// Output:
	// put error: <nil>
	// PutObject calls: 2
	// CreateBucket Pass
	// PutObject ResetAfter
	// PutObject Pass
}
