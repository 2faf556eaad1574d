// Package s3copytest is an in-process S3 for the copy engine's schedule: every request waits a
// latency, a copy request also its bytes at a per-request copy rate (S3 copies one request's
// bytes at tens of MiB/s, and scales across requests), and the answers carry what the engine
// verifies. No bytes move, so a 5 GiB copy or 500 copies cost only their modelled time, divided
// by Scale. The benchmark models copies with it; tests check the engine's bound on requests in
// flight.
package s3copytest

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

// The answers' ETag (an MD5 of "a") and CRC32: every modelled object has them, so the engine's
// verification of a copy from its answer holds.
const (
	ETag  = `"0cc175b9c0f1b6a831c399e269772661"`
	CRC32 = "6Jvmxw=="
)

// Model is the modelled S3 (source and target). Its methods are safe for concurrent use.
type Model struct {
	// Latency is every request's duration.
	Latency time.Duration
	// Rate is the bytes per second one copy request (CopyObject, UploadPartCopy) copies; 0 means
	// copies take no time beyond Latency.
	Rate float64
	// Scale divides every modelled duration (0 or 1: real time); Run scales the wall time back.
	Scale float64

	mu          sync.Mutex
	sizes       map[string]int64 // source key -> size
	counts      map[string]int
	inFlight    int
	maxInFlight int
}

var (
	_ s3copy.API       = (*Model)(nil)
	_ s3copy.SourceAPI = (*Model)(nil)
)

// Objects adds n source objects whose sizes size gives (i from 0) and returns them planned as
// ListObjectsV2 would describe them (full-object CRC32, ETag), with their target locations.
func (m *Model) Objects(n int, size func(i int) int64) []s3copy.Object {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sizes == nil {
		m.sizes = map[string]int64{}
	}
	objs := make([]s3copy.Object, n)
	for i := range objs {
		key := fmt.Sprintf("model/part-%05d.bin", len(m.sizes))
		m.sizes[key] = size(i)
		o := s3copy.FromListing("source", types.Object{Key: aws.String(key), Size: aws.Int64(size(i)), ETag: aws.String(ETag),
			ChecksumAlgorithm: []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32}, ChecksumType: types.ChecksumTypeFullObject})
		o.Target = s3copy.Location{Bucket: "target", Key: "promoted/" + key}
		objs[i] = o
	}
	return objs
}

// Run prepares and copies objs with a copier of opts, as the promoter does, and returns the
// modelled wall time (measured, times Scale).
func (m *Model) Run(ctx context.Context, opts s3copy.Options, objs []s3copy.Object) (time.Duration, error) {
	c := s3copy.New(m, func(o *s3copy.Options) { *o = opts })
	start := time.Now()
	if err := c.Prepare(ctx, m, objs); err != nil {
		return 0, err
	}
	if _, err := c.CopyAll(ctx, objs); err != nil {
		return 0, err
	}
	return time.Duration(float64(time.Since(start)) * m.scale()), nil
}

// Requests returns the number of requests made, and Counts them by operation.
func (m *Model) Requests() int {
	n := 0
	for _, v := range m.Counts() {
		n += v
	}
	return n
}

// Counts returns the requests made by operation, such as "CopyObject".
func (m *Model) Counts() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int, len(m.counts))
	for k, v := range m.counts {
		out[k] = v
	}
	return out
}

// MaxInFlight returns the most requests that were in flight at once.
func (m *Model) MaxInFlight() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.maxInFlight
}

func (m *Model) scale() float64 {
	if m.Scale <= 0 {
		return 1
	}
	return m.Scale
}

func (m *Model) size(key string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sizes[key]
}

// serve models one request of op that copies bytes.
func (m *Model) serve(ctx context.Context, op string, bytes int64) error {
	m.mu.Lock()
	if m.counts == nil {
		m.counts = map[string]int{}
	}
	m.counts[op]++
	m.inFlight++
	m.maxInFlight = max(m.maxInFlight, m.inFlight)
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.inFlight--
		m.mu.Unlock()
	}()
	d := m.Latency
	if m.Rate > 0 {
		d += time.Duration(float64(bytes) / m.Rate * float64(time.Second))
	}
	select {
	case <-time.After(time.Duration(float64(d) / m.scale())):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sourceKey is the key of a copy source "bucket/key" (URL-escaped, maybe with ?versionId=).
func sourceKey(copySource string) string {
	src, _, _ := strings.Cut(copySource, "?")
	if u, err := url.PathUnescape(src); err == nil {
		src = u
	}
	_, key, _ := strings.Cut(src, "/")
	return key
}

// CopyObject implements s3copy.API.
func (m *Model) CopyObject(ctx context.Context, in *s3.CopyObjectInput, _ ...func(*s3.Options)) (*s3.CopyObjectOutput, error) {
	if err := m.serve(ctx, "CopyObject", m.size(sourceKey(aws.ToString(in.CopySource)))); err != nil {
		return nil, err
	}
	return &s3.CopyObjectOutput{CopyObjectResult: &types.CopyObjectResult{ETag: aws.String(ETag), ChecksumCRC32: aws.String(CRC32)}}, nil
}

// CreateMultipartUpload implements s3copy.API.
func (m *Model) CreateMultipartUpload(ctx context.Context, in *s3.CreateMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	if err := m.serve(ctx, "CreateMultipartUpload", 0); err != nil {
		return nil, err
	}
	return &s3.CreateMultipartUploadOutput{UploadId: aws.String("upload-" + aws.ToString(in.Key))}, nil
}

// UploadPartCopy implements s3copy.API.
func (m *Model) UploadPartCopy(ctx context.Context, in *s3.UploadPartCopyInput, _ ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error) {
	first, last, _ := strings.Cut(strings.TrimPrefix(aws.ToString(in.CopySourceRange), "bytes="), "-")
	a, err1 := strconv.ParseInt(first, 10, 64)
	b, err2 := strconv.ParseInt(last, 10, 64)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("model: copy source range %q", aws.ToString(in.CopySourceRange))
	}
	if err := m.serve(ctx, "UploadPartCopy", b-a+1); err != nil {
		return nil, err
	}
	return &s3.UploadPartCopyOutput{CopyPartResult: &types.CopyPartResult{ETag: aws.String(`"part"`)}}, nil
}

// CompleteMultipartUpload implements s3copy.API.
func (m *Model) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	if err := m.serve(ctx, "CompleteMultipartUpload", 0); err != nil {
		return nil, err
	}
	return &s3.CompleteMultipartUploadOutput{ETag: aws.String(fmt.Sprintf(`"x-%d"`, len(in.MultipartUpload.Parts))),
		ChecksumCRC32: aws.String(CRC32), ChecksumType: types.ChecksumTypeFullObject}, nil
}

// AbortMultipartUpload implements s3copy.API.
func (m *Model) AbortMultipartUpload(ctx context.Context, _ *s3.AbortMultipartUploadInput, _ ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	return &s3.AbortMultipartUploadOutput{}, m.serve(ctx, "AbortMultipartUpload", 0)
}

// ListMultipartUploads implements s3copy.API: no upload is ever left.
func (m *Model) ListMultipartUploads(ctx context.Context, _ *s3.ListMultipartUploadsInput, _ ...func(*s3.Options)) (*s3.ListMultipartUploadsOutput, error) {
	return &s3.ListMultipartUploadsOutput{}, m.serve(ctx, "ListMultipartUploads", 0)
}

// HeadObject implements s3copy.API and s3copy.SourceAPI.
func (m *Model) HeadObject(ctx context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	if err := m.serve(ctx, "HeadObject", 0); err != nil {
		return nil, err
	}
	return &s3.HeadObjectOutput{ContentLength: aws.Int64(m.size(aws.ToString(in.Key))), ETag: aws.String(ETag), ChecksumCRC32: aws.String(CRC32),
		ChecksumType: types.ChecksumTypeFullObject, ContentType: aws.String("application/octet-stream")}, nil
}

// GetObjectTagging implements s3copy.SourceAPI.
func (m *Model) GetObjectTagging(ctx context.Context, _ *s3.GetObjectTaggingInput, _ ...func(*s3.Options)) (*s3.GetObjectTaggingOutput, error) {
	return &s3.GetObjectTaggingOutput{}, m.serve(ctx, "GetObjectTagging", 0)
}
