package promotion

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
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

// Copier defaults, used when an option is zero.
const (
	DefaultPartSize           int64 = 64 * 1024 * 1024
	DefaultPartConcurrency          = 5
	DefaultObjectConcurrency        = 8
	DefaultMultipartThreshold       = MaxSingleCopySize
)

// CopyAPI is what the Copier needs from the target account's S3 client.
type CopyAPI interface {
	CopyObject(ctx context.Context, params *s3.CopyObjectInput, optFns ...func(*s3.Options)) (*s3.CopyObjectOutput, error)
	CreateMultipartUpload(ctx context.Context, params *s3.CreateMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPartCopy(ctx context.Context, params *s3.UploadPartCopyInput, optFns ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error)
	CompleteMultipartUpload(ctx context.Context, params *s3.CompleteMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, params *s3.AbortMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
	HeadObject(ctx context.Context, params *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

var _ CopyAPI = (*s3.Client)(nil)

// CopierOptions tune the Copier like the S3 upload manager: zero means default.
type CopierOptions struct {
	// MultipartThreshold: objects larger than this are copied with UploadPartCopy (default and
	// maximum MaxSingleCopySize). Lower it to exercise multipart on small objects.
	MultipartThreshold int64
	// PartSize of a multipart copy (default DefaultPartSize, at least MinPartSize). It grows
	// when an object would need more than MaxParts parts.
	PartSize int64
	// PartConcurrency is the number of parts copied in parallel per object (default 5).
	PartConcurrency int
	// ObjectConcurrency is the number of objects copied in parallel (default 8).
	ObjectConcurrency int
	// KMSKeyARN, when set, encrypts every copy with SSE-KMS under this key.
	KMSKeyARN string
}

func (o CopierOptions) withDefaults() (CopierOptions, error) {
	if o.MultipartThreshold == 0 {
		o.MultipartThreshold = DefaultMultipartThreshold
	}
	if o.PartSize == 0 {
		o.PartSize = DefaultPartSize
	}
	if o.PartConcurrency == 0 {
		o.PartConcurrency = DefaultPartConcurrency
	}
	if o.ObjectConcurrency == 0 {
		o.ObjectConcurrency = DefaultObjectConcurrency
	}
	switch {
	case o.MultipartThreshold < 0 || o.MultipartThreshold > MaxSingleCopySize:
		return o, fmt.Errorf("copier: multipart threshold %d: want 1..%d bytes", o.MultipartThreshold, MaxSingleCopySize)
	case o.PartSize < MinPartSize || o.PartSize > MaxSingleCopySize:
		return o, fmt.Errorf("copier: part size %d: want %d..%d bytes", o.PartSize, MinPartSize, MaxSingleCopySize)
	case o.PartConcurrency < 0 || o.ObjectConcurrency < 0:
		return o, errors.New("copier: concurrency must not be negative")
	}
	return o, nil
}

// Checksum is an S3 additional checksum as HeadObject reports it.
type Checksum struct {
	Algorithm types.ChecksumAlgorithm
	Value     string
	Type      types.ChecksumType
}

// FullObject reports whether the checksum covers the whole object (not a checksum of parts).
func (c Checksum) FullObject() bool {
	return c.Value != "" && c.Type != types.ChecksumTypeComposite && !strings.Contains(c.Value, "-")
}

// Object is one source object to copy, as observed with HeadObject, and where it goes.
type Object struct {
	Source    S3Location
	Target    S3Location
	Size      int64
	ETag      string
	VersionID string
	Checksum  Checksum
	// SSE is the source's server-side encryption (aws:kms changes what an ETag means).
	SSE types.ServerSideEncryption
}

// Copied is an object copied and verified.
type Copied struct {
	Object
	TargetETag string
	// Parts is 0 for a single CopyObject, else the number of UploadPartCopy parts.
	Parts int
	// Verified says how the copy was checked, such as "size + CRC32".
	Verified string
}

// IntegrityError reports a copy that does not match its source, or that cannot be verified.
type IntegrityError struct {
	Source, Target S3Location
	Reason         string
}

func (e *IntegrityError) Error() string {
	return fmt.Sprintf("integrity check %s -> %s: %s", e.Source.URI(), e.Target.URI(), e.Reason)
}

// EventKind is the kind of a progress event.
type EventKind string

// Progress event kinds.
const (
	EventStart      EventKind = "start"
	EventBytes      EventKind = "bytes"
	EventObjectDone EventKind = "object-done"
	EventDone       EventKind = "done"
	EventFailed     EventKind = "failed"
)

// Event reports copy progress. Bytes counts bytes S3 copied server-side (none pass through us).
type Event struct {
	Kind EventKind
	// TotalObjects and TotalBytes are set on EventStart.
	TotalObjects int
	TotalBytes   int64
	// Bytes is set on EventBytes (bytes just copied).
	Bytes int64
	// Copied is set on EventObjectDone.
	Copied *Copied
	// Err is set on EventFailed.
	Err error
}

// Copier copies objects server-side (CopyObject, or UploadPartCopy in parallel above the
// threshold) and verifies each copy before reporting it done.
type Copier struct {
	S3      CopyAPI
	Options CopierOptions
	// Progress, when set, receives events; calls are serialized.
	Progress func(Event)

	mu sync.Mutex
}

func (c *Copier) emit(e Event) {
	if c.Progress == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Progress(e)
}

// Verification says how an object will be verified after the copy, or returns an
// *IntegrityError when it cannot be verified at all (checked before anything is copied).
func Verification(o Object, opts CopierOptions) (string, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return "", err
	}
	multipart := o.Size > opts.MultipartThreshold
	if o.Checksum.FullObject() {
		switch o.Checksum.Algorithm {
		case types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmCrc64nvme:
			return "size + " + string(o.Checksum.Algorithm), nil
		default:
			if !multipart {
				return "size + " + string(o.Checksum.Algorithm), nil
			}
		}
	}
	if !multipart && opts.KMSKeyARN == "" && o.SSE != types.ServerSideEncryptionAwsKms && o.SSE != types.ServerSideEncryptionAwsKmsDsse &&
		o.ETag != "" && !strings.Contains(o.ETag, "-") {
		return "size + ETag (MD5)", nil
	}
	return "", &IntegrityError{Source: o.Source, Target: o.Target,
		Reason: "cannot be verified: the source has no full-object CRC checksum and its ETag is not comparable (multipart copy, SSE-KMS or multipart source); re-upload it with a checksum (aws s3 cp --checksum-algorithm CRC32)"}
}

// CopyAll copies objects with ObjectConcurrency workers, stops at the first error and returns
// the copies in the order of objs.
func (c *Copier) CopyAll(ctx context.Context, objs []Object) ([]Copied, error) {
	opts, err := c.Options.withDefaults()
	if err != nil {
		return nil, err
	}
	var total int64
	for _, o := range objs {
		total += o.Size
		if _, err := Verification(o, opts); err != nil {
			return nil, err
		}
	}
	c.emit(Event{Kind: EventStart, TotalObjects: len(objs), TotalBytes: total})
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	out := make([]Copied, len(objs))
	next := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for range min(opts.ObjectConcurrency, max(len(objs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				cp, err := c.copy(ctx, objs[i], opts)
				if err != nil {
					once.Do(func() { firstErr = err; cancel(err) })
					continue
				}
				out[i] = cp
				c.emit(Event{Kind: EventObjectDone, Copied: &cp})
			}
		}()
	}
feed:
	for i := range objs {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = context.Cause(ctx)
	}
	if firstErr != nil {
		c.emit(Event{Kind: EventFailed, Err: firstErr})
		return nil, firstErr
	}
	c.emit(Event{Kind: EventDone, TotalObjects: len(objs), TotalBytes: total})
	return out, nil
}

// Copy copies and verifies one object.
func (c *Copier) Copy(ctx context.Context, o Object) (Copied, error) {
	opts, err := c.Options.withDefaults()
	if err != nil {
		return Copied{}, err
	}
	return c.copy(ctx, o, opts)
}

func (c *Copier) copy(ctx context.Context, o Object, opts CopierOptions) (Copied, error) {
	method, err := Verification(o, opts)
	if err != nil {
		return Copied{}, err
	}
	cp := Copied{Object: o, Verified: method}
	if o.Size > opts.MultipartThreshold {
		cp.Parts, err = c.multipart(ctx, o, opts)
	} else {
		err = c.single(ctx, o, opts)
	}
	if err != nil {
		return Copied{}, err
	}
	cp.TargetETag, err = c.verify(ctx, o, opts)
	return cp, err
}

func copySource(o Object) string {
	segs := strings.Split(o.Source.Key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	src := o.Source.Bucket + "/" + strings.Join(segs, "/")
	if o.VersionID != "" && o.VersionID != "null" {
		src += "?versionId=" + url.QueryEscape(o.VersionID)
	}
	return src
}

func (c *Copier) single(ctx context.Context, o Object, opts CopierOptions) error {
	in := &s3.CopyObjectInput{
		Bucket:            aws.String(o.Target.Bucket),
		Key:               aws.String(o.Target.Key),
		CopySource:        aws.String(copySource(o)),
		MetadataDirective: types.MetadataDirectiveCopy,
	}
	if o.Checksum.FullObject() {
		in.ChecksumAlgorithm = o.Checksum.Algorithm
	}
	if opts.KMSKeyARN != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(opts.KMSKeyARN)
	}
	if _, err := c.S3.CopyObject(ctx, in); err != nil {
		return fmt.Errorf("copy object %s to %s: %w", o.Source.URI(), o.Target.URI(), err)
	}
	c.emit(Event{Kind: EventBytes, Bytes: o.Size})
	return nil
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

func (c *Copier) multipart(ctx context.Context, o Object, opts CopierOptions) (int, error) {
	partSize := PartSizeFor(o.Size, opts.PartSize)
	n := int((o.Size + partSize - 1) / partSize)
	if n == 0 {
		n = 1
	}
	create := &s3.CreateMultipartUploadInput{Bucket: aws.String(o.Target.Bucket), Key: aws.String(o.Target.Key)}
	fullCRC := o.Checksum.FullObject() && o.Checksum.Algorithm != types.ChecksumAlgorithmSha1 && o.Checksum.Algorithm != types.ChecksumAlgorithmSha256
	if fullCRC {
		create.ChecksumAlgorithm, create.ChecksumType = o.Checksum.Algorithm, types.ChecksumTypeFullObject
	}
	if opts.KMSKeyARN != "" {
		create.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		create.SSEKMSKeyId = aws.String(opts.KMSKeyARN)
	}
	up, err := c.S3.CreateMultipartUpload(ctx, create)
	if err != nil {
		return 0, fmt.Errorf("create multipart upload %s: %w", o.Target.URI(), err)
	}
	abort := func(cause error) error {
		// The upload must not linger (it would be billed and invisible): abort even when ctx is done.
		_, aerr := c.S3.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{
			Bucket: create.Bucket, Key: create.Key, UploadId: up.UploadId})
		if aerr != nil {
			return errors.Join(cause, fmt.Errorf("abort multipart upload %s: %w", o.Target.URI(), aerr))
		}
		return cause
	}

	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		parts    []types.CompletedPart
		firstErr error
		wg       sync.WaitGroup
	)
	next := make(chan int32)
	for range min(opts.PartConcurrency, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pn := range next {
				start := int64(pn-1) * partSize
				end := min(start+partSize, o.Size) - 1
				res, err := c.S3.UploadPartCopy(pctx, &s3.UploadPartCopyInput{
					Bucket: create.Bucket, Key: create.Key, UploadId: up.UploadId, PartNumber: aws.Int32(pn),
					CopySource: aws.String(copySource(o)), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", start, end)),
				})
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = fmt.Errorf("upload part copy %d of %s to %s: %w", pn, o.Source.URI(), o.Target.URI(), err)
						cancel()
					}
					mu.Unlock()
					continue
				}
				part := types.CompletedPart{PartNumber: aws.Int32(pn)}
				if r := res.CopyPartResult; r != nil {
					part.ETag, part.ChecksumCRC32, part.ChecksumCRC32C, part.ChecksumCRC64NVME = r.ETag, r.ChecksumCRC32, r.ChecksumCRC32C, r.ChecksumCRC64NVME
				}
				parts = append(parts, part)
				mu.Unlock()
				c.emit(Event{Kind: EventBytes, Bytes: end - start + 1})
			}
		}()
	}
feed:
	for pn := int32(1); pn <= int32(n); pn++ {
		select {
		case next <- pn:
		case <-pctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = fmt.Errorf("copy %s: %w", o.Source.URI(), ctx.Err())
	}
	if firstErr != nil {
		return 0, abort(firstErr)
	}
	slices.SortFunc(parts, func(a, b types.CompletedPart) int { return int(*a.PartNumber - *b.PartNumber) })
	complete := &s3.CompleteMultipartUploadInput{
		Bucket: create.Bucket, Key: create.Key, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		MpuObjectSize:   aws.Int64(o.Size),
	}
	if fullCRC {
		complete.ChecksumType = types.ChecksumTypeFullObject
	}
	if _, err := c.S3.CompleteMultipartUpload(ctx, complete); err != nil {
		return 0, abort(fmt.Errorf("complete multipart upload %s: %w", o.Target.URI(), err))
	}
	return n, nil
}

// verify compares the target with what was observed at the source, by the method Verification
// chose, and returns the target's ETag.
func (c *Copier) verify(ctx context.Context, o Object, opts CopierOptions) (string, error) {
	h, err := c.S3.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(o.Target.Bucket), Key: aws.String(o.Target.Key), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		return "", fmt.Errorf("head object %s: %w", o.Target.URI(), err)
	}
	fail := func(format string, args ...any) error {
		return &IntegrityError{Source: o.Source, Target: o.Target, Reason: fmt.Sprintf(format, args...)}
	}
	if got := aws.ToInt64(h.ContentLength); got != o.Size {
		return "", fail("size %d, source has %d", got, o.Size)
	}
	if opts.KMSKeyARN != "" && (h.ServerSideEncryption != types.ServerSideEncryptionAwsKms || !sameKey(aws.ToString(h.SSEKMSKeyId), opts.KMSKeyARN)) {
		return "", fail("encrypted with %q key %q, want aws:kms key %s", h.ServerSideEncryption, aws.ToString(h.SSEKMSKeyId), opts.KMSKeyARN)
	}
	etag := aws.ToString(h.ETag)
	if o.Checksum.FullObject() {
		got := checksumOf(h, o.Checksum.Algorithm)
		if got != o.Checksum.Value {
			return "", fail("%s %q, source has %q", o.Checksum.Algorithm, got, o.Checksum.Value)
		}
		return etag, nil
	}
	if etag != o.ETag {
		return "", fail("ETag %s, source has %s", etag, o.ETag)
	}
	return etag, nil
}

func sameKey(got, want string) bool {
	// S3 reports the key ARN; accept a key id given as the suffix of the ARN either way.
	return got == want || strings.HasSuffix(got, "/"+want) || strings.HasSuffix(want, "/"+got)
}

func checksumOf(h *s3.HeadObjectOutput, alg types.ChecksumAlgorithm) string {
	switch alg {
	case types.ChecksumAlgorithmCrc32:
		return aws.ToString(h.ChecksumCRC32)
	case types.ChecksumAlgorithmCrc32c:
		return aws.ToString(h.ChecksumCRC32C)
	case types.ChecksumAlgorithmCrc64nvme:
		return aws.ToString(h.ChecksumCRC64NVME)
	case types.ChecksumAlgorithmSha1:
		return aws.ToString(h.ChecksumSHA1)
	case types.ChecksumAlgorithmSha256:
		return aws.ToString(h.ChecksumSHA256)
	}
	return ""
}

// ChecksumFromHead reads the additional checksum HeadObject returned (ChecksumMode enabled).
func ChecksumFromHead(h *s3.HeadObjectOutput) Checksum {
	for _, alg := range []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmCrc32c,
		types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmSha256, types.ChecksumAlgorithmSha1} {
		if v := checksumOf(h, alg); v != "" {
			return Checksum{Algorithm: alg, Value: v, Type: h.ChecksumType}
		}
	}
	return Checksum{}
}
