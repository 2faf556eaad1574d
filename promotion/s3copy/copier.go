package s3copy

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"

	"github.com/sagemaker-cd/sagemaker-cd/promotion/awserr"
)

// API is what the Copier needs from the target account's S3 client.
type API interface {
	CopyObject(ctx context.Context, params *s3.CopyObjectInput, optFns ...func(*s3.Options)) (*s3.CopyObjectOutput, error)
	CreateMultipartUpload(ctx context.Context, params *s3.CreateMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error)
	UploadPartCopy(ctx context.Context, params *s3.UploadPartCopyInput, optFns ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error)
	CompleteMultipartUpload(ctx context.Context, params *s3.CompleteMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error)
	AbortMultipartUpload(ctx context.Context, params *s3.AbortMultipartUploadInput, optFns ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error)
	ListMultipartUploads(ctx context.Context, params *s3.ListMultipartUploadsInput, optFns ...func(*s3.Options)) (*s3.ListMultipartUploadsOutput, error)
	HeadObject(ctx context.Context, params *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

// SourceAPI is what Prepare needs from the client that reads the source objects' metadata.
type SourceAPI interface {
	HeadObject(ctx context.Context, params *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObjectTagging(ctx context.Context, params *s3.GetObjectTaggingInput, optFns ...func(*s3.Options)) (*s3.GetObjectTaggingOutput, error)
}

var (
	_ API       = (*s3.Client)(nil)
	_ SourceAPI = (*s3.Client)(nil)
)

// Copier copies objects server-side (CopyObject, or UploadPartCopy in parallel above the
// threshold) and verifies each copy from S3's answer before reporting it done.
type Copier struct {
	// S3 is the target account's client.
	S3 API
	// Options tune the copy; zero means default.
	Options Options

	mu sync.Mutex // serializes Progress calls
}

// New returns a Copier that copies with client, with options set by optFns.
func New(client API, optFns ...func(*Options)) *Copier {
	c := &Copier{S3: client}
	for _, f := range optFns {
		f(&c.Options)
	}
	return c
}

func (c *Copier) emit(e Event) {
	if c.Options.Progress == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Options.Progress(e)
}

func (c *Copier) warn(err error, uploadID string) {
	c.emit(Event{Kind: EventWarning, Err: err, UploadID: uploadID})
}

// verifyKind is how verify checks a copy.
type verifyKind int

const (
	byChecksum   verifyKind = iota + 1 // the source's full-object checksum
	byETag                             // the MD5 ETag
	bySizePinned                       // size (+ KMS key), source pinned by ETag (VerifySize)
)

// etagIsMD5 reports whether a listed or headed ETag can be an MD5 of the bytes (not a
// multipart ETag). SSE-KMS also makes it something else, which only HeadObject tells.
func etagIsMD5(etag string) bool { return etag != "" && !strings.Contains(etag, "-") }

// listingProves reports whether a listed object's copy can be verified from the CopyObject
// answer alone: a single copy, an ETag that may be an MD5, no KMS key asked for.
func listingProves(o Object, opts Options) bool {
	return o.Size <= opts.MultipartThreshold && opts.KMSKeyARN == "" && etagIsMD5(o.ETag)
}

// needsHead reports whether Prepare must head the source object (see the package comment).
func needsHead(o Object, opts Options) bool {
	switch o.Observed {
	case Headed:
		return false
	case Listed:
		return !listingProves(o, opts)
	}
	return true
}

// Verification says how an object will be verified after the copy, or returns an
// *IntegrityError (ErrUnverifiable) when it cannot be verified in opts.Verify mode.
func Verification(o Object, opts Options) (string, error) {
	opts, err := opts.WithDefaults()
	if err != nil {
		return "", err
	}
	_, method, err := verification(o, opts)
	return method, err
}

// verification expects opts with defaults applied.
func verification(o Object, opts Options) (verifyKind, string, error) {
	multipart := o.Size > opts.MultipartThreshold
	if o.Observed != Headed {
		if o.Observed == Listed && listingProves(o, opts) {
			return byETag, "size + ETag (MD5)", nil
		}
		return 0, "", fmt.Errorf("copier: %s was not described by HeadObject: Prepare it first", o.Source.URI())
	}
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
	if !multipart && opts.KMSKeyARN == "" && o.SSE != types.ServerSideEncryptionAwsKms && o.SSE != types.ServerSideEncryptionAwsKmsDsse && etagIsMD5(o.ETag) {
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

// SourceError reports a failed read of a source object's metadata.
type SourceError struct {
	Source Location
	Op     string
	Err    error
}

func (e *SourceError) Error() string { return fmt.Sprintf("%s %s: %v", e.Op, e.Source.URI(), e.Err) }

// Unwrap returns Err.
func (e *SourceError) Unwrap() error { return e.Err }

// Prepare completes the description of objs in place, reading through src: it heads the objects
// whose listing cannot prove their copy (see the package comment), reads the tags of those
// copied in parts, and checks that every object can be verified in the Verify mode, all before
// anything is copied. The heads run Concurrency at a time.
func (c *Copier) Prepare(ctx context.Context, src SourceAPI, objs []Object) error {
	opts, err := c.Options.WithDefaults()
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Concurrency)
	for i := range objs {
		if !needsHead(objs[i], opts) {
			continue
		}
		g.Go(func() error {
			o := &objs[i]
			h, err := src.HeadObject(gctx, &s3.HeadObjectInput{Bucket: aws.String(o.Source.Bucket), Key: aws.String(o.Source.Key), ChecksumMode: types.ChecksumModeEnabled})
			if err != nil {
				return &SourceError{Source: o.Source, Op: "head source object", Err: err}
			}
			target := o.Target
			*o = FromHead(o.Source, h)
			o.Target = target
			if o.Size <= opts.MultipartThreshold {
				return nil
			}
			// A multipart copy starts a new object: read the tags of the planned version so that
			// CreateMultipartUpload can set them (a single CopyObject copies them itself).
			in := &s3.GetObjectTaggingInput{Bucket: aws.String(o.Source.Bucket), Key: aws.String(o.Source.Key)}
			if v := o.VersionID; v != "" && v != "null" {
				in.VersionId = aws.String(v)
			}
			t, err := src.GetObjectTagging(gctx, in)
			if err != nil {
				return &SourceError{Source: o.Source, Op: "get tags of source object", Err: err}
			}
			o.Meta.Tags = t.TagSet
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, o := range objs {
		if _, _, err := verification(o, opts); err != nil {
			return err
		}
	}
	return nil
}

// upload is one object copied in parts.
type upload struct {
	i        int // index in objs
	id       *string
	partSize int64
	parts    []types.CompletedPart
	left     atomic.Int32
	done     atomic.Bool // completed: nothing to abort
}

// CopyAll copies objs (described by Prepare or FromHead) with Concurrency requests in flight,
// shared by whole-object and part copies, stops at the first error and returns the copies in
// the order of objs. It aborts the multipart uploads it started when it fails, and the
// incomplete uploads it finds on the planned target keys (see the package comment).
func (c *Copier) CopyAll(ctx context.Context, objs []Object) ([]Copied, error) {
	opts, err := c.Options.WithDefaults()
	if err != nil {
		return nil, err
	}
	kinds := make([]verifyKind, len(objs))
	methods := make([]string, len(objs))
	var total int64
	for i, o := range objs {
		total += o.Size
		if kinds[i], methods[i], err = verification(o, opts); err != nil {
			return nil, err
		}
	}
	c.emit(Event{Kind: EventStart, TotalObjects: len(objs), TotalBytes: total})
	c.abortStale(ctx, objs)
	out := make([]Copied, len(objs))
	var ups []*upload
	for i, o := range objs {
		if o.Size > opts.MultipartThreshold {
			ups = append(ups, &upload{i: i})
		}
	}
	fail := func(err error) ([]Copied, error) {
		err = errors.Join(err, c.abortAll(ctx, opts, objs, ups))
		c.emit(Event{Kind: EventFailed, Err: err})
		return nil, err
	}

	// Open the multipart uploads first, so that their parts can share one pool with the
	// whole-object copies.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Concurrency)
	for _, u := range ups {
		g.Go(func() error { return c.create(gctx, objs[u.i], kinds[u.i], opts, u) })
	}
	if err := g.Wait(); err != nil {
		return fail(err)
	}

	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(opts.Concurrency)
	// Parts first: big objects take longest, small copies fill the pool behind them.
feed:
	for _, u := range ups {
		for pn := range int32(len(u.parts)) {
			if gctx.Err() != nil {
				break feed
			}
			g.Go(func() error {
				cp, err := c.part(gctx, objs[u.i], kinds[u.i], methods[u.i], opts, u, pn+1)
				if err == nil && cp != nil {
					out[u.i] = *cp
					c.emit(Event{Kind: EventObjectDone, Copied: cp})
				}
				return err
			})
		}
	}
	for i, o := range objs {
		if o.Size > opts.MultipartThreshold {
			continue
		}
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			cp, err := c.single(gctx, o, kinds[i], methods[i], opts)
			if err == nil {
				out[i] = cp
				c.emit(Event{Kind: EventObjectDone, Copied: &cp})
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	c.emit(Event{Kind: EventDone, TotalObjects: len(objs), TotalBytes: total})
	return out, nil
}

// Copy copies and verifies one object.
func (c *Copier) Copy(ctx context.Context, o Object) (Copied, error) {
	out, err := c.CopyAll(ctx, []Object{o})
	if err != nil {
		return Copied{}, err
	}
	return out[0], nil
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
// full-object CRC (so verify can compare it), the source's SHA on a single copy, the listed
// algorithm of a listed object (so a fallback can compare it), or TargetChecksumAlgorithm when
// there is nothing to compare.
func targetChecksum(o Object, kind verifyKind, multipart bool) types.ChecksumAlgorithm {
	switch {
	case kind == bySizePinned:
		return TargetChecksumAlgorithm
	case o.Observed == Listed:
		if o.Checksum.Algorithm != "" {
			return o.Checksum.Algorithm
		}
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
	if awserr.Classify(err) == awserr.PreconditionFailed && o.ETag != "" {
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

func (c *Copier) single(ctx context.Context, o Object, kind verifyKind, method string, opts Options) (Copied, error) {
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
	res, err := c.S3.CopyObject(ctx, in)
	if err != nil {
		return Copied{}, copyFailed(o, "copy object", err)
	}
	c.emit(Event{Kind: EventBytes, Bytes: o.Size})
	a := answer{SSE: res.ServerSideEncryption, KMSKeyID: aws.ToString(res.SSEKMSKeyId)}
	if r := res.CopyObjectResult; r != nil {
		a.ETag, a.sums = aws.ToString(r.ETag), checksums{r.ChecksumCRC64NVME, r.ChecksumCRC32C, r.ChecksumCRC32, r.ChecksumSHA256, r.ChecksumSHA1}
	}
	etag, verified, err := c.verify(ctx, o, kind, method, opts, a)
	if err != nil {
		return Copied{}, err
	}
	return Copied{Object: o, TargetETag: etag, Verified: verified}, nil
}

// create opens the multipart upload of o and sizes its parts.
func (c *Copier) create(ctx context.Context, o Object, kind verifyKind, opts Options, u *upload) error {
	u.partSize = PartSizeFor(o.Size, opts.PartSize)
	n := max(int((o.Size+u.partSize-1)/u.partSize), 1)
	u.parts = make([]types.CompletedPart, n)
	u.left.Store(int32(n))
	// A multipart copy is a new object: set what a single CopyObject would have copied.
	in := &s3.CreateMultipartUploadInput{Bucket: aws.String(o.Target.Bucket), Key: aws.String(o.Target.Key),
		ContentType: nonEmpty(o.Meta.ContentType), ContentEncoding: nonEmpty(o.Meta.ContentEncoding),
		ContentDisposition: nonEmpty(o.Meta.ContentDisposition), ContentLanguage: nonEmpty(o.Meta.ContentLanguage),
		CacheControl: nonEmpty(o.Meta.CacheControl), Metadata: o.Meta.Metadata, Tagging: taggingHeader(o.Meta.Tags)}
	if alg := targetChecksum(o, kind, true); alg != "" {
		in.ChecksumAlgorithm, in.ChecksumType = alg, types.ChecksumTypeFullObject
	}
	if opts.KMSKeyARN != "" {
		in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		in.SSEKMSKeyId = aws.String(opts.KMSKeyARN)
	}
	res, err := c.S3.CreateMultipartUpload(ctx, in)
	if err != nil {
		return fmt.Errorf("create multipart upload %s: %w", o.Target.URI(), err)
	}
	u.id = res.UploadId
	return nil
}

// part copies part pn of u; the task that copies the last part completes the upload and
// returns the verified copy (nil for the other parts).
func (c *Copier) part(ctx context.Context, o Object, kind verifyKind, method string, opts Options, u *upload, pn int32) (*Copied, error) {
	start := int64(pn-1) * u.partSize
	end := min(start+u.partSize, o.Size) - 1
	res, err := c.S3.UploadPartCopy(ctx, &s3.UploadPartCopyInput{
		Bucket: aws.String(o.Target.Bucket), Key: aws.String(o.Target.Key), UploadId: u.id, PartNumber: aws.Int32(pn),
		CopySource: aws.String(copySource(o)), CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", start, end)),
		CopySourceIfMatch: pin(o),
	})
	if err != nil {
		return nil, copyFailed(o, fmt.Sprintf("upload part copy %d of", pn), err)
	}
	part := types.CompletedPart{PartNumber: aws.Int32(pn)}
	if r := res.CopyPartResult; r != nil {
		part.ETag, part.ChecksumCRC32, part.ChecksumCRC32C, part.ChecksumCRC64NVME = r.ETag, r.ChecksumCRC32, r.ChecksumCRC32C, r.ChecksumCRC64NVME
	}
	u.parts[pn-1] = part // each task writes its own element; the atomic below publishes it
	c.emit(Event{Kind: EventBytes, Bytes: end - start + 1})
	if u.left.Add(-1) != 0 {
		return nil, nil
	}
	complete := &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(o.Target.Bucket), Key: aws.String(o.Target.Key), UploadId: u.id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: u.parts},
		MpuObjectSize:   aws.Int64(o.Size),
	}
	if targetChecksum(o, kind, true) != "" {
		complete.ChecksumType = types.ChecksumTypeFullObject
	}
	done, err := c.S3.CompleteMultipartUpload(ctx, complete)
	if err != nil {
		return nil, fmt.Errorf("complete multipart upload %s: %w", o.Target.URI(), err)
	}
	u.done.Store(true)
	// A lost CreateMultipartUpload answer leaves the upload the SDK's retry replaced behind.
	c.abortOnKey(ctx, o.Target, "")
	a := answer{ETag: aws.ToString(done.ETag), SSE: done.ServerSideEncryption, KMSKeyID: aws.ToString(done.SSEKMSKeyId),
		sums: checksums{done.ChecksumCRC64NVME, done.ChecksumCRC32C, done.ChecksumCRC32, done.ChecksumSHA256, done.ChecksumSHA1}}
	etag, verified, err := c.verify(ctx, o, kind, method, opts, a)
	if err != nil {
		return nil, err
	}
	return &Copied{Object: o, TargetETag: etag, Parts: len(u.parts), Verified: verified}, nil
}

// answer is what S3 said about the target: the copy's answer or, when that cannot prove the
// copy, a HeadObject of the target (headed, with the size).
type answer struct {
	ETag     string
	SSE      types.ServerSideEncryption
	KMSKeyID string
	sums     checksums
	headed   bool
	size     int64
}

func isKMS(sse types.ServerSideEncryption) bool {
	return sse == types.ServerSideEncryptionAwsKms || sse == types.ServerSideEncryptionAwsKmsDsse
}

// verify compares S3's answer about the target with what was observed at the source, by the
// method verification chose, and returns the target's ETag and how the copy was verified.
func (c *Copier) verify(ctx context.Context, o Object, kind verifyKind, method string, opts Options, a answer) (string, string, error) {
	fail := func(format string, args ...any) (string, string, error) {
		return "", "", &IntegrityError{Source: o.Source, Target: o.Target, Reason: fmt.Sprintf(format, args...)}
	}
	if a.headed && a.size != o.Size {
		return fail("size %d, source has %d", a.size, o.Size)
	}
	if opts.KMSKeyARN != "" && (a.SSE != types.ServerSideEncryptionAwsKms || !sameKey(a.KMSKeyID, opts.KMSKeyARN)) {
		return fail("encrypted with %q key %q, want aws:kms key %s", a.SSE, a.KMSKeyID, opts.KMSKeyARN)
	}
	switch kind {
	case byETag:
		if a.ETag == o.ETag && !isKMS(a.SSE) {
			return a.ETag, method, nil
		}
		if o.Observed == Headed && !isKMS(a.SSE) {
			return fail("ETag %s, source has %s", a.ETag, o.ETag)
		}
		// A listed source may be SSE-KMS, or the bucket's default encryption may have made the
		// target SSE-KMS: either way the ETags are not MD5s. Head the source (pinned) and verify
		// by its checksum instead.
		return c.verifyListedAgain(ctx, o, opts, a)
	case byChecksum:
		got := a.sums.of(o.Checksum.Algorithm)
		if got == "" && !a.headed {
			h, err := c.headTarget(ctx, o)
			if err != nil {
				return "", "", err
			}
			return c.verify(ctx, o, kind, method, opts, h)
		}
		if got != o.Checksum.Value {
			return fail("%s %q, source has %q", o.Checksum.Algorithm, got, o.Checksum.Value)
		}
	case bySizePinned:
		// The bytes are the pinned source's (S3 refused the copy otherwise), a multipart copy's
		// size was checked by S3 (MpuObjectSize), and there is no source checksum to compare.
	}
	return a.ETag, method, nil
}

// verifyListedAgain verifies the copy of a listed object whose ETag the copy's answer does not
// match, from a HeadObject of the source pinned to the listed ETag.
func (c *Copier) verifyListedAgain(ctx context.Context, o Object, opts Options, a answer) (string, string, error) {
	h, err := c.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(o.Source.Bucket), Key: aws.String(o.Source.Key),
		IfMatch: pin(o), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		return "", "", copyFailed(o, "head source object", err)
	}
	src := FromHead(o.Source, h)
	src.Target = o.Target
	vopts := opts
	if isKMS(a.SSE) && vopts.KMSKeyARN == "" {
		vopts.KMSKeyARN = "the target bucket's default key" // only makes verification skip the ETag
	}
	kind, method, err := verification(src, vopts)
	if err != nil {
		return "", "", err
	}
	if kind == byETag {
		return "", "", &IntegrityError{Source: o.Source, Target: o.Target, Reason: fmt.Sprintf("ETag %s, source has %s", a.ETag, o.ETag)}
	}
	return c.verify(ctx, src, kind, method, opts, a)
}

func (c *Copier) headTarget(ctx context.Context, o Object) (answer, error) {
	h, err := c.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(o.Target.Bucket), Key: aws.String(o.Target.Key), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		return answer{}, fmt.Errorf("head object %s: %w", o.Target.URI(), err)
	}
	return answer{ETag: aws.ToString(h.ETag), SSE: h.ServerSideEncryption, KMSKeyID: aws.ToString(h.SSEKMSKeyId),
		sums:   checksums{h.ChecksumCRC64NVME, h.ChecksumCRC32C, h.ChecksumCRC32, h.ChecksumSHA256, h.ChecksumSHA1},
		headed: true, size: aws.ToInt64(h.ContentLength)}, nil
}

func sameKey(got, want string) bool {
	// S3 reports the key ARN; accept a key id given as the suffix of the ARN either way.
	return got == want || strings.HasSuffix(got, "/"+want) || strings.HasSuffix(want, "/"+got)
}
