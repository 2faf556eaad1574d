package s3copy

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Location is an S3 bucket and key.
type Location struct {
	Bucket, Key string
}

// URI returns s3://bucket/key.
func (l Location) URI() string { return "s3://" + l.Bucket + "/" + l.Key }

// Checksum is an S3 additional checksum. Value is empty when the object was only listed
// (ListObjectsV2 names the algorithm and type, not the value).
type Checksum struct {
	Algorithm types.ChecksumAlgorithm
	Value     string
	Type      types.ChecksumType
}

// FullObject reports whether the checksum value covers the whole object (not a checksum of parts).
func (c Checksum) FullObject() bool {
	return c.Value != "" && c.Type != types.ChecksumTypeComposite && !strings.Contains(c.Value, "-")
}

// Observed says where an Object's description comes from.
type Observed int

// Sources of an Object's description.
const (
	// Unobserved: only Source and Target are known; Prepare heads the object.
	Unobserved Observed = iota
	// Listed: Size, ETag and the checksum algorithm come from ListObjectsV2 (FromListing).
	Listed
	// Headed: everything comes from HeadObject (FromHead), with the checksum value.
	Headed
)

// Object is one source object to copy, as observed at planning, and where it goes.
type Object struct {
	Source    Location
	Target    Location
	Size      int64
	ETag      string
	VersionID string
	Checksum  Checksum
	// SSE is the source's server-side encryption (aws:kms changes what an ETag means); known
	// only when Observed is Headed.
	SSE types.ServerSideEncryption
	// Meta is what a multipart copy must set besides the bytes (Headed objects copied in parts).
	Meta ObjectMeta
	// Observed says which of the fields above are known.
	Observed Observed
}

// FromListing describes an object from its ListObjectsV2 entry in bucket.
func FromListing(bucket string, o types.Object) Object {
	obj := Object{Source: Location{Bucket: bucket, Key: aws.ToString(o.Key)}, Size: aws.ToInt64(o.Size), ETag: aws.ToString(o.ETag), Observed: Listed}
	if len(o.ChecksumAlgorithm) > 0 {
		obj.Checksum = Checksum{Algorithm: o.ChecksumAlgorithm[0], Type: o.ChecksumType}
	}
	return obj
}

// FromHead describes the object at loc from its HeadObject answer (asked with ChecksumMode
// enabled). Tags are not in it: Prepare reads them for objects copied in parts.
func FromHead(loc Location, h *s3.HeadObjectOutput) Object {
	return Object{Source: loc, Size: aws.ToInt64(h.ContentLength), ETag: aws.ToString(h.ETag), VersionID: aws.ToString(h.VersionId),
		Checksum: ChecksumFromHead(h), SSE: h.ServerSideEncryption, Meta: MetaFromHead(h), Observed: Headed}
}

// ObjectMeta is what S3 keeps with an object besides its bytes. A single CopyObject carries all
// of it (MetadataDirective COPY; tags are copied by default). A multipart copy creates a new
// object, so CreateMultipartUpload sets it from here: Prepare fills the headers from the
// source's HeadObject and Tags from GetObjectTagging of the planned version.
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

// ChecksumFromHead reads the additional checksum HeadObject returned (ChecksumMode enabled).
func ChecksumFromHead(h *s3.HeadObjectOutput) Checksum {
	c := checksums{h.ChecksumCRC64NVME, h.ChecksumCRC32C, h.ChecksumCRC32, h.ChecksumSHA256, h.ChecksumSHA1}
	for _, alg := range checksumOrder {
		if v := c.of(alg); v != "" {
			return Checksum{Algorithm: alg, Value: v, Type: h.ChecksumType}
		}
	}
	return Checksum{}
}

var checksumOrder = []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmCrc32c,
	types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmSha256, types.ChecksumAlgorithmSha1}

// checksums are the checksum fields S3 answers carry, in checksumOrder.
type checksums [5]*string

func (c checksums) of(alg types.ChecksumAlgorithm) string {
	for i, a := range checksumOrder {
		if a == alg {
			return aws.ToString(c[i])
		}
	}
	return ""
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
	Source, Target Location
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
	// ErrUnverifiable: VerifyChecksum cannot verify the object.
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
	// EventWarning reports something left for a person to look at that did not fail the copy,
	// such as a multipart upload that could not be aborted (Err names its upload ID).
	EventWarning EventKind = "warning"
	EventDone    EventKind = "done"
	EventFailed  EventKind = "failed"
)

// Event reports copy progress. Bytes counts bytes S3 copied server-side (none pass through us).
type Event struct {
	Kind EventKind
	// TotalObjects and TotalBytes are set on EventStart and EventDone.
	TotalObjects int
	TotalBytes   int64
	// Bytes is set on EventBytes (bytes just copied).
	Bytes int64
	// Copied is set on EventObjectDone.
	Copied *Copied
	// Err is set on EventFailed and EventWarning.
	Err error
	// UploadID is set on an EventWarning about a multipart upload.
	UploadID string
}
