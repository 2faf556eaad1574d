// Package s3copy copies S3 objects server-side (CopyObject, or UploadPartCopy in parallel for
// big objects) and verifies every copy from S3's own answers. It is the copy engine of
// promotion, shaped like the SDK's s3 manager: New with Options (zero means default), limits as
// named constants, one errgroup-bounded pool, progress as events.
//
// # Requests
//
// A copy costs one S3 request per small object when the caller plans from ListObjectsV2
// (FromListing: size, ETag, checksum algorithm and type) and the copy's answer proves it:
//
//   - single CopyObject, no KMSKeyARN, ETag without "-": the answer's ETag must equal the listed
//     ETag (an MD5 of the bytes), and the target must not be SSE-KMS. The copy also asks for the
//     listed checksum algorithm (or TargetChecksumAlgorithm), so the target keeps a checksum.
//
// Prepare heads the source (HeadObject with ChecksumMode) only where a listing cannot prove the
// copy: objects named by URI (never listed), objects copied in parts (their metadata and, with
// GetObjectTagging, their tags must be set on CreateMultipartUpload; their ETag is not an MD5),
// copies into SSE-KMS (KMSKeyARN: the ETag is not an MD5, so the source's checksum value is
// needed), and multipart sources (ETag with "-"). Those copies are verified by the source's
// full-object checksum (CRC32, CRC32C, CRC64NVME; SHA on single copies) against the checksum the
// CopyObject or CompleteMultipartUpload answer carries for the algorithm the copy asked for.
//
// HEADs after a copy, only where the answer cannot prove it:
//
//   - the answer lacks the checksum asked for (some S3-compatible stores, and the emulator for
//     CompleteMultipartUpload): HeadObject of the target, which also checks the size;
//   - a listed object's answer has another ETag or an SSE-KMS target (the source turned out to be
//     SSE-KMS, or the bucket's default encryption is a KMS key): HeadObject of the source, pinned
//     with If-Match to the listed ETag, then verification by its checksum as above.
//
// Every copy is pinned to the source as planned (x-amz-copy-source-if-match with the planned
// ETag, and the version ID when known): a source overwritten since planning fails with
// ErrSourceChanged rather than being copied. With VerifyChecksum (the default), an object with no
// full-object checksum and no comparable ETag is refused with ErrUnverifiable: before copying
// when the planning HEAD shows it, after the copy (which the caller then does not register) when
// only the fallback HEAD does. VerifySize accepts it by size and pinned ETag.
//
// # Concurrency, threshold and part size
//
// Concurrency (default 64) bounds the requests in flight, shared by whole-object copies and part
// copies in one pool: S3 serves thousands of requests per second per prefix, so the client is
// the limit. Give the S3 client HTTPClient(Concurrency) so its connections are reused.
//
// One server-side copy request runs at tens of MiB/s up to about 100 MiB/s, so a big object in
// one CopyObject takes size/rate (a 5 GiB object about a minute) where parts in parallel take
// size/(rate x Concurrency) plus a few round trips. A multipart copy costs about four requests
// more than one CopyObject (source HEAD and tags, create, complete, the upload sweep) and one
// part's duration: with 8 MiB parts (awscli's part size) it breaks even at about twice the part
// size at 20 ms per request and 64-100 MiB/s per request, and wins above it.
// DefaultMultipartThreshold is therefore 16 MiB and DefaultPartSize 8 MiB (grown to fit
// MaxParts). `make bench` runs the engine against package s3copytest's model of S3: one
// CopyObject against parts at 8 to 32 MiB (the crossover), and at 256 MiB and 5 GiB against
// awscli's multipart defaults.
//
// # Incomplete multipart uploads
//
// None is left behind on purpose. A failed copy aborts the uploads it opened (even after
// cancellation). A lost CreateMultipartUpload answer makes the SDK's retry open a second upload;
// the first is found and aborted by listing the key's uploads (ListMultipartUploads, Prefix =
// key) after the copy completes or fails. Before copying, one listing over the planned target
// keys' common prefix aborts uploads earlier runs left on those keys (so a concurrent run of the
// same promotion would fail and be retried). An abort that fails even after the SDK's retries is
// an *UploadError (or an EventWarning for a leftover) naming the upload ID and the command that
// aborts it. The listing needs s3:ListBucketMultipartUploads on the target bucket; a bucket the
// caller owns should also carry an AbortIncompleteMultipartUpload lifecycle rule as a backstop.
package s3copy
