package s3copy

import (
	"errors"
	"fmt"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Limits of S3 server-side copies.
const (
	// MinPartSize is the smallest part S3 accepts (all but the last part).
	MinPartSize int64 = 5 * 1024 * 1024
	// MaxParts is the most parts one multipart upload may have.
	MaxParts = 10000
	// MaxSingleCopySize is the largest object one CopyObject can copy.
	MaxSingleCopySize int64 = 5 * 1024 * 1024 * 1024
)

// Defaults, used when an option is zero. The package comment explains the choices.
const (
	// DefaultConcurrency is the number of S3 requests in flight at once. S3 serves thousands of
	// requests per second per prefix, so the limit is the client's, not the bucket's.
	DefaultConcurrency = 64
	// DefaultMultipartThreshold: objects larger than this are copied in parts.
	DefaultMultipartThreshold int64 = 16 * 1024 * 1024
	// DefaultPartSize is the size of each part of a multipart copy (the last may be smaller).
	DefaultPartSize int64 = 8 * 1024 * 1024
)

// Options tune a Copier like the S3 upload manager: zero means default.
type Options struct {
	// Concurrency is the number of S3 requests in flight at once, shared by whole-object copies
	// and part copies (default DefaultConcurrency).
	Concurrency int
	// MultipartThreshold: objects larger than this are copied with UploadPartCopy in parallel
	// (default DefaultMultipartThreshold, at most MaxSingleCopySize).
	MultipartThreshold int64
	// PartSize of a multipart copy (default DefaultPartSize, at least MinPartSize). It grows
	// when an object would need more than MaxParts parts.
	PartSize int64
	// KMSKeyARN, when set, encrypts every copy with SSE-KMS under this key.
	KMSKeyARN string
	// Verify is how strictly copies are verified (default VerifyChecksum).
	Verify VerifyMode
	// Progress, when set, receives events; calls are serialized.
	Progress func(Event)
}

// VerifyMode is how strictly the Copier verifies copies.
type VerifyMode string

// Verify modes.
const (
	// VerifyChecksum (the default) verifies each copy by the source's MD5 ETag where it is
	// comparable, else by its full-object checksum. An object that neither can verify is
	// refused (before copying when the planning HEAD shows it, see the package comment).
	VerifyChecksum VerifyMode = "checksum"
	// VerifySize verifies like VerifyChecksum where it can. An object VerifyChecksum would refuse
	// (no full-object checksum and an ETag that is not comparable: SSE-KMS target or source,
	// multipart source, multipart copy) is copied pinned to the source ETag observed at planning
	// (and to its version when known), then verified by size and, with KMSKeyARN, by key. The
	// copy asks S3 for a TargetChecksumAlgorithm checksum, so the target can be verified strictly
	// when it is promoted further.
	VerifySize VerifyMode = "size"
)

// ParseVerifyMode checks a verify mode given as text; "" is the default, VerifyChecksum.
func ParseVerifyMode(s string) (VerifyMode, error) {
	switch m := VerifyMode(s); m {
	case "":
		return VerifyChecksum, nil
	case VerifyChecksum, VerifySize:
		return m, nil
	}
	return "", fmt.Errorf("verify mode %q: expected %s or %s", s, VerifyChecksum, VerifySize)
}

// TargetChecksumAlgorithm is the checksum a copy asks S3 to compute for the target when the
// source has none to keep. CRC64NVME would be S3's own default, but the emulator the tests run
// against (moto without awscrt) stores a CRC32 labelled CRC64NVME; CRC32 is computed correctly
// by both and is a full-object checksum that a later strict promotion of the copy can compare.
const TargetChecksumAlgorithm = types.ChecksumAlgorithmCrc32

// VerifiedSizePinned is Copied.Verified (and the planned verification) for a VerifySize copy
// of an object that has no checksum to compare.
const VerifiedSizePinned = "size + source ETag pinned (no checksum to compare)"

// WithDefaults returns o with zero fields set to their defaults, or an error naming the first
// field out of range.
func (o Options) WithDefaults() (Options, error) {
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.MultipartThreshold == 0 {
		o.MultipartThreshold = DefaultMultipartThreshold
	}
	if o.PartSize == 0 {
		o.PartSize = DefaultPartSize
	}
	switch {
	case o.Concurrency < 0:
		return o, errors.New("copier: concurrency must not be negative")
	case o.MultipartThreshold < 0 || o.MultipartThreshold > MaxSingleCopySize:
		return o, fmt.Errorf("copier: multipart threshold %d: expected 1..%d bytes", o.MultipartThreshold, MaxSingleCopySize)
	case o.PartSize < MinPartSize || o.PartSize > MaxSingleCopySize:
		return o, fmt.Errorf("copier: part size %d: expected %d..%d bytes", o.PartSize, MinPartSize, MaxSingleCopySize)
	}
	mode, err := ParseVerifyMode(string(o.Verify))
	if err != nil {
		return o, fmt.Errorf("copier: %w", err)
	}
	o.Verify = mode
	return o, nil
}

// HTTPClient returns an SDK HTTP client that keeps enough idle connections for concurrency
// requests in flight (the SDK's default keeps 10 per host, so a copy at 64 would keep opening
// and closing connections). Pass it as s3.Options.HTTPClient of the copier's client.
func HTTPClient(concurrency int) *awshttp.BuildableClient {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	return awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = max(t.MaxIdleConns, concurrency)
		t.MaxIdleConnsPerHost = concurrency
	})
}

// PartSizeFor returns the part size for an object: the configured size, grown so that the
// object fits in MaxParts parts.
func PartSizeFor(size, partSize int64) int64 {
	if need := (size + MaxParts - 1) / MaxParts; need > partSize {
		const mib = 1024 * 1024
		partSize = (need + mib - 1) / mib * mib
	}
	return partSize
}
