package events

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// Source and detail types of the S3 events sent to EventBridge (buckets with EventBridge
// notifications enabled).
const (
	// SourceS3 is the "source" of every S3 EventBridge event.
	SourceS3 = "aws.s3"
	// DetailTypeObjectCreated is sent for PUT, POST, COPY and CompleteMultipartUpload.
	DetailTypeObjectCreated = "Object Created"
	// DetailTypeObjectDeleted is sent for DeleteObject and lifecycle expiration.
	DetailTypeObjectDeleted = "Object Deleted"
)

// Values of detail.reason in "Object Created" events and of detail.deletion-type in "Object
// Deleted" events (S3 user guide, "EventBridge event message structure"). EventBridge rules
// narrow S3 event types with them.
const (
	// ReasonPutObject is a PutObject call.
	ReasonPutObject = "PutObject"
	// ReasonPostObject is a browser-based (HTML form) POST upload.
	ReasonPostObject = "POST Object"
	// ReasonCopyObject is a CopyObject call.
	ReasonCopyObject = "CopyObject"
	// ReasonCompleteMultipartUpload ends a multipart upload, as most large uploads do.
	ReasonCompleteMultipartUpload = "CompleteMultipartUpload"
	// ReasonDeleteObject is a DeleteObject call ("Object Deleted").
	ReasonDeleteObject = "DeleteObject"
	// ReasonLifecycleExpiration is a deletion by a lifecycle rule ("Object Deleted").
	ReasonLifecycleExpiration = "Lifecycle Expiration"
	// DeletionTypePermanentlyDeleted: the object (or an object version) is gone.
	DeletionTypePermanentlyDeleted = "Permanently Deleted"
	// DeletionTypeDeleteMarkerCreated: a versioned bucket got a delete marker.
	DeletionTypeDeleteMarkerCreated = "Delete Marker Created"
)

// S3ObjectDetail is the "detail" of an S3 "Object Created" or "Object Deleted" event.
type S3ObjectDetail struct {
	Version string         `json:"version"`
	Bucket  S3DetailBucket `json:"bucket"`
	Object  S3DetailObject `json:"object"`
	// RequestID is S3's request id of the call that made the change.
	RequestID string `json:"request-id"`
	// Requester is the account id or AWS service principal that made the request.
	Requester       string `json:"requester"`
	SourceIPAddress string `json:"source-ip-address,omitempty"`
	// Reason is the API family: PutObject, POST Object, CopyObject, CompleteMultipartUpload
	// (created), DeleteObject, Lifecycle Expiration (deleted).
	Reason string `json:"reason"`
	// DeletionType is "Permanently Deleted" or "Delete Marker Created" (deleted events only).
	DeletionType string `json:"deletion-type,omitempty"`
}

// S3DetailBucket names the bucket of an S3 event.
type S3DetailBucket struct {
	Name string `json:"name"`
}

// S3DetailObject describes the object of an S3 event.
type S3DetailObject struct {
	// Key is the object key. AWS does not document whether EventBridge delivers it as is or
	// form-encoded as classic S3 notifications do (see KeyForms); consumers accept both.
	Key string `json:"key"`
	// Size is absent on deletions.
	Size *int64 `json:"size,omitempty"`
	// ETag is absent on deletions.
	ETag      string `json:"etag,omitempty"`
	VersionID string `json:"version-id,omitempty"`
	// Sequencer orders events for the same key: a greater value (after padding the shorter
	// hex string with leading zeros) is a later change.
	Sequencer string `json:"sequencer"`
}

// S3ObjectChange is the part of an S3 event the refresher acts on.
type S3ObjectChange struct {
	Bucket, Key, Sequencer string
	// Deleted is true for "Object Deleted".
	Deleted bool
	// At is the event time.
	At time.Time
}

// KeyForms returns the spellings under which a key (or a key prefix or suffix) may appear in
// detail.object.key: as is, then FormEncodeKey with "/" kept, then with "/" encoded too. AWS
// does not document which one EventBridge uses, so rule patterns match every form. Duplicates
// are removed; s itself comes first.
func KeyForms(s string) []string {
	forms := []string{s}
	for _, f := range []string{FormEncodeKey(s, false), FormEncodeKey(s, true)} {
		if !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	return forms
}

// FormEncodeKey encodes key as classic S3 notifications encode keys
// (application/x-www-form-urlencoded: space as "+", every byte outside A-Z a-z 0-9 - _ . ~ as
// %XX); "/" is kept unless encodeSlash.
func FormEncodeKey(key string, encodeSlash bool) string {
	if encodeSlash {
		return url.QueryEscape(key)
	}
	segments := strings.Split(key, "/")
	for i, seg := range segments {
		segments[i] = url.QueryEscape(seg)
	}
	return strings.Join(segments, "/")
}

// DecodeKey returns the key a form-encoded detail.object.key stands for, and false when key
// is not a valid form encoding (then it can only be the key as is).
func DecodeKey(key string) (string, bool) {
	d, err := url.QueryUnescape(key)
	if err != nil {
		return "", false
	}
	return d, true
}
