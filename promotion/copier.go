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
	"github.com/aws/smithy-go"
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
	// Verify is how strictly copies are verified (default VerifyChecksum).
	Verify VerifyMode
}

// VerifyMode is how strictly the Copier verifies copies.
type VerifyMode string

// Verify modes.
const (
	// VerifyChecksum (the default) verifies each copy by size and the source's full-object
	// checksum, or by size and MD5 ETag where the ETag is comparable. An object that neither can
	// verify is refused before anything is copied.
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

// TargetChecksumAlgorithm is the checksum a VerifySize copy asks S3 to compute for the target.
// CRC64NVME would be S3's own default, but the emulator the tests run against (moto without
// awscrt) stores a CRC32 labelled CRC64NVME; CRC32 is computed correctly by both and is a
// full-object checksum that a later strict promotion of the copy can compare.
const TargetChecksumAlgorithm = types.ChecksumAlgorithmCrc32

// VerifiedSizePinned is Copied.Verified (and PlannedObject.Verification) for a VerifySize copy
// of an object that has no checksum to compare.
const VerifiedSizePinned = "size + source ETag pinned (no checksum to compare)"

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
		return o, fmt.Errorf("copier: multipart threshold %d: expected 1..%d bytes", o.MultipartThreshold, MaxSingleCopySize)
	case o.PartSize < MinPartSize || o.PartSize > MaxSingleCopySize:
		return o, fmt.Errorf("copier: part size %d: expected %d..%d bytes", o.PartSize, MinPartSize, MaxSingleCopySize)
	case o.PartConcurrency < 0 || o.ObjectConcurrency < 0:
		return o, errors.New("copier: concurrency must not be negative")
	}
	mode, err := ParseVerifyMode(string(o.Verify))
	if err != nil {
		return o, fmt.Errorf("copier: %w", err)
	}
	o.Verify = mode
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
	// Meta is what the copy must keep besides the bytes.
	Meta ObjectMeta
}

// ObjectMeta is what S3 keeps with an object besides its bytes. A single CopyObject carries all
// of it (MetadataDirective COPY; tags are copied by default). A multipart copy creates a new
// object, so CreateMultipartUpload sets it from here: the planner fills the headers from the
// source's HeadObject and, for objects copied in parts, Tags from GetObjectTagging of the
// planned version.
type ObjectMeta struct {
	ContentType, ContentEncoding, ContentDisposition, ContentLanguage, CacheControl string
	// Metadata is the user metadata (x-amz-meta-*).
	Metadata map[string]string
	// Tags are the object's tags (read only for objects copied in parts).
	Tags []types.Tag
}

// MetaFromHead reads the headers a copy keeps from a HeadObject answer (Tags are not in it).
func MetaFromHead(h *s3.HeadObjectOutput) ObjectMeta {
	return ObjectMeta{
		ContentType: aws.ToString(h.ContentType), ContentEncoding: aws.ToString(h.ContentEncoding),
		ContentDisposition: aws.ToString(h.ContentDisposition), ContentLanguage: aws.ToString(h.ContentLanguage),
		CacheControl: aws.ToString(h.CacheControl), Metadata: h.Metadata,
	}
}

// taggingHeader encodes tags as the x-amz-tagging header wants them: URL query parameters.
func taggingHeader(tags []types.Tag) *string {
	if len(tags) == 0 {
		return nil
	}
	esc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	parts := make([]string, len(tags))
	for i, t := range tags {
		parts[i] = esc(aws.ToString(t.Key)) + "=" + esc(aws.ToString(t.Value))
	}
	return aws.String(strings.Join(parts, "&"))
}

// nonEmpty is s as a pointer, nil when empty.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
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
	// Err is ErrUnverifiable, ErrSourceChanged (joined with S3's answer) or nil (a mismatch).
	Err error
}

func (e *IntegrityError) Error() string {
	return fmt.Sprintf("integrity check %s -> %s: %s", e.Source.URI(), e.Target.URI(), e.Reason)
}

// Unwrap returns Err.
func (e *IntegrityError) Unwrap() error { return e.Err }

// Causes of an IntegrityError, for errors.Is.
var (
	// ErrUnverifiable: VerifyChecksum cannot verify the object (refused before copying).
	ErrUnverifiable = errors.New("copy cannot be verified")
	// ErrSourceChanged: the source's ETag is no longer the one observed at planning, so S3
	// refused the pinned copy (x-amz-copy-source-if-match) and nothing was copied.
	ErrSourceChanged = errors.New("source object changed after planning")
)

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

// verifyKind is how verify checks a copy.
type verifyKind int

const (
	byChecksum   verifyKind = iota + 1 // size + the source's full-object checksum
	byETag                             // size + MD5 ETag
	bySizePinned                       // size (+ KMS key), source pinned by ETag (VerifySize)
)

// Verification says how an object will be verified after the copy, or returns an
// *IntegrityError (ErrUnverifiable) when it cannot be verified in opts.Verify mode (checked
// before anything is copied).
func Verification(o Object, opts CopierOptions) (string, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return "", err
	}
	_, method, err := verification(o, opts)
	return method, err
}

// verification expects opts with defaults applied.
func verification(o Object, opts CopierOptions) (verifyKind, string, error) {
	multipart := o.Size > opts.MultipartThreshold
	if o.Checksum.FullObject() {
		switch o.Checksum.Algorithm {
		case types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmCrc64nvme:
			return byChecksum, "size + " + string(o.Checksum.Algorithm), nil
		default:
			if !multipart {
				return byChecksum, "size + " + string(o.Checksum.Algorithm), nil
			}
		}
	}
	if !multipart && opts.KMSKeyARN == "" && o.SSE != types.ServerSideEncryptionAwsKms && o.SSE != types.ServerSideEncryptionAwsKmsDsse &&
		o.ETag != "" && !strings.Contains(o.ETag, "-") {
		return byETag, "size + ETag (MD5)", nil
	}
	if opts.Verify == VerifySize {
		if o.ETag == "" {
			return 0, "", &IntegrityError{Source: o.Source, Target: o.Target, Err: ErrUnverifiable,
				Reason: "cannot be verified: the source has no full-object CRC checksum and no ETag to pin the copy to"}
		}
		return bySizePinned, VerifiedSizePinned, nil
	}
	return 0, "", &IntegrityError{Source: o.Source, Target: o.Target, Err: ErrUnverifiable,
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
		if _, _, err := verification(o, opts); err != nil {
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
	kind, method, err := verification(o, opts)
	if err != nil {
		return Copied{}, err
	}
	cp := Copied{Object: o, Verified: method}
	if o.Size > opts.MultipartThreshold {
		cp.Parts, err = c.multipart(ctx, o, opts, kind)
	} else {
		err = c.single(ctx, o, opts, kind)
	}
	if err != nil {
		return Copied{}, err
	}
	cp.TargetETag, err = c.verify(ctx, o, opts, kind)
	return cp, err
}

// pin is the copy's x-amz-copy-source-if-match: the source ETag observed at planning. Every
// copy is pinned, so a source overwritten since planning is refused by S3 (412) rather than
// copied; a versioned source is pinned by version ID as well.
func pin(o Object) *string {
	if o.ETag == "" {
		return nil
	}
	return aws.String(o.ETag)
}

// targetChecksum is the checksum algorithm the copy asks S3 for ("" for none): the source's
// full-object CRC (so verify can compare it), the source's SHA on a single copy, or
// TargetChecksumAlgorithm for a VerifySize copy that has nothing to compare.
func targetChecksum(o Object, kind verifyKind, multipart bool) types.ChecksumAlgorithm {
	switch {
	case kind == bySizePinned:
		return TargetChecksumAlgorithm
	case !o.Checksum.FullObject():
		return ""
	case multipart && (o.Checksum.Algorithm == types.ChecksumAlgorithmSha1 || o.Checksum.Algorithm == types.ChecksumAlgorithmSha256):
		return ""
	}
	return o.Checksum.Algorithm
}

// copyFailed wraps a failed copy call; a failed pin is an integrity error.
func copyFailed(o Object, op string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "PreconditionFailed" && o.ETag != "" {
		return &IntegrityError{Source: o.Source, Target: o.Target, Err: errors.Join(ErrSourceChanged, err),
			Reason: fmt.Sprintf("the source changed after planning: its ETag is no longer %s, so S3 refused the pinned copy (%s); re-run to promote the current object", o.ETag, op)}
	}
	return fmt.Errorf("%s %s to %s: %w", op, o.Source.URI(), o.Target.URI(), err)
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

func (c *Copier) single(ctx context.Context, o Object, opts CopierOptions, kind verifyKind) error {
	in := &s3.CopyObjectInput{
		Bucket:            aws.String(o.Target.Bucket),
		Key:               aws.String(o.Target.Key),
		CopySource:        aws.String(copySource(o)),
		CopySourceIfMatch: pin(o),
		MetadataDirective: types.MetadataDirectiveCopy,
		ChecksumAlgorithm: targetChecksum(o, kind, false),
	}
	if opts.KMSKeyARN != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(opts.KMSKeyARN)
	}
	if _, err := c.S3.CopyObject(ctx, in); err != nil {
		return copyFailed(o, "copy object", err)
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

func (c *Copier) multipart(ctx context.Context, o Object, opts CopierOptions, kind verifyKind) (int, error) {
	partSize := PartSizeFor(o.Size, opts.PartSize)
	n := int((o.Size + partSize - 1) / partSize)
	if n == 0 {
		n = 1
	}
	// A multipart copy is a new object: set what a single CopyObject would have copied.
	create := &s3.CreateMultipartUploadInput{Bucket: aws.String(o.Target.Bucket), Key: aws.String(o.Target.Key),
		ContentType: nonEmpty(o.Meta.ContentType), ContentEncoding: nonEmpty(o.Meta.ContentEncoding),
		ContentDisposition: nonEmpty(o.Meta.ContentDisposition), ContentLanguage: nonEmpty(o.Meta.ContentLanguage),
		CacheControl: nonEmpty(o.Meta.CacheControl), Metadata: o.Meta.Metadata, Tagging: taggingHeader(o.Meta.Tags)}
	alg := targetChecksum(o, kind, true)
	if alg != "" {
		create.ChecksumAlgorithm, create.ChecksumType = alg, types.ChecksumTypeFullObject
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
					CopySourceIfMatch: pin(o),
				})
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = copyFailed(o, fmt.Sprintf("upload part copy %d of", pn), err)
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
	if alg != "" {
		complete.ChecksumType = types.ChecksumTypeFullObject
	}
	if _, err := c.S3.CompleteMultipartUpload(ctx, complete); err != nil {
		return 0, abort(fmt.Errorf("complete multipart upload %s: %w", o.Target.URI(), err))
	}
	return n, nil
}

// verify compares the target with what was observed at the source, by the method Verification
// chose, and returns the target's ETag.
func (c *Copier) verify(ctx context.Context, o Object, opts CopierOptions, kind verifyKind) (string, error) {
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
	switch kind {
	case byChecksum:
		if got := checksumOf(h, o.Checksum.Algorithm); got != o.Checksum.Value {
			return "", fail("%s %q, source has %q", o.Checksum.Algorithm, got, o.Checksum.Value)
		}
	case byETag:
		if etag != o.ETag {
			return "", fail("ETag %s, source has %s", etag, o.ETag)
		}
	case bySizePinned:
		// Size and key were checked above; the bytes are the pinned source's (S3 refused the
		// copy otherwise), and there is no source checksum to compare.
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
