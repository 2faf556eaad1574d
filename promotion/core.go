package promotion

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

// LineageKey names the CustomerMetadataProperties entry and the tag that hold the source model
// package ARN on a promoted package.
const LineageKey = "smcd:source-model-package-arn"

// Project tag keys that SageMaker uses to associate a model package group with a project.
const (
	ProjectIDTag   = "sagemaker:project-id"
	ProjectNameTag = "sagemaker:project-name"
)

// S3Location is a bucket and a key (or key prefix).
type S3Location struct {
	Bucket, Key string
}

// URI returns s3://bucket/key.
func (l S3Location) URI() string { return "s3://" + l.Bucket + "/" + l.Key }

// ParseS3URI splits s3://bucket/key.
func ParseS3URI(uri string) (S3Location, error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return S3Location{}, fmt.Errorf("S3 URI %q: expected s3://bucket/key", uri)
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if err := ValidateBucketName(bucket); err != nil {
		return S3Location{}, fmt.Errorf("S3 URI %q: %w", uri, err)
	}
	return S3Location{Bucket: bucket, Key: key}, nil
}

// UnsafeKeyError reports a source key that cannot be copied safely: ".." or "." segments, empty
// segments, or 0-byte "folder" marker objects under a model prefix.
type UnsafeKeyError struct {
	Bucket, Key, Reason string
}

func (e *UnsafeKeyError) Error() string {
	return fmt.Sprintf("unsafe source key s3://%s/%s: %s", e.Bucket, e.Key, e.Reason)
}

// CheckKey refuses keys that would not map one-to-one onto a target key. A key in an S3 prefix
// (inPrefix) must also not be a 0-byte folder marker (a key ending in "/").
func CheckKey(bucket, key string, size int64, inPrefix bool) error {
	if key == "" {
		return &UnsafeKeyError{Bucket: bucket, Key: key, Reason: "empty key"}
	}
	if inPrefix && strings.HasSuffix(key, "/") && size == 0 {
		return &UnsafeKeyError{Bucket: bucket, Key: key, Reason: "0-byte folder marker under a model prefix"}
	}
	for _, seg := range strings.Split(key, "/") {
		switch seg {
		case "":
			return &UnsafeKeyError{Bucket: bucket, Key: key, Reason: `empty path segment ("//", leading or trailing "/")`}
		case ".", "..":
			return &UnsafeKeyError{Bucket: bucket, Key: key, Reason: fmt.Sprintf("%q path segment", seg)}
		}
	}
	return nil
}

// TargetKey maps a source object to its target key:
// <prefix>/<group>/<version>/<source-bucket>/<source-key>, with an empty prefix left out.
func TargetKey(prefix, group string, version int32, src S3Location) string {
	parts := []string{group, strconv.Itoa(int(version)), src.Bucket, src.Key}
	if p := strings.Trim(prefix, "/"); p != "" {
		parts = append([]string{p}, parts...)
	}
	// path.Join would clean away a trailing "/" of a prefix URI; keep it.
	return strings.Join(parts, "/")
}

// LatestApproved picks the approved package with the newest CreationTime (ties: highest version),
// whatever order the summaries come in. ok is false when none is approved.
func LatestApproved(summaries []types.ModelPackageSummary) (latest types.ModelPackageSummary, ok bool) {
	for _, s := range summaries {
		if s.ModelApprovalStatus != types.ModelApprovalStatusApproved || s.ModelPackageArn == nil {
			continue
		}
		if !ok || newer(s, latest) {
			latest, ok = s, true
		}
	}
	return latest, ok
}

func newer(a, b types.ModelPackageSummary) bool {
	at, bt := a.CreationTime, b.CreationTime
	switch {
	case at != nil && bt != nil && !at.Equal(*bt):
		return at.After(*bt)
	case at != nil && bt == nil:
		return true
	case at == nil && bt != nil:
		return false
	}
	return version(a.ModelPackageVersion) > version(b.ModelPackageVersion)
}

func version(v *int32) int32 {
	if v == nil {
		return 0
	}
	return *v
}

// TargetCopy is a package in the target group and the source package it was promoted from.
type TargetCopy struct {
	ARN       string
	SourceARN string
	Status    types.ModelApprovalStatus
	// ApprovalDescription is the copy's; RejectionNote(SourceARN) marks a copy that a promotion
	// pass set to Rejected because its source was.
	ApprovalDescription string
}

// RejectionNote is the ApprovalDescription a promotion pass gives a target copy it sets to
// Rejected because its source package is Rejected. Only copies carrying it are re-approved when
// the source is approved again: a copy rejected in the target by a person stays Rejected.
func RejectionNote(sourceARN string) string {
	return "source model package " + sourceARN + " was rejected"
}

// ReapprovalNote is the ApprovalDescription of a copy set back from Rejected because its source
// package is Approved again.
func ReapprovalNote(sourceARN string) string {
	return "source model package " + sourceARN + " is Approved again"
}

// Action is what one promotion pass does.
type Action string

// Actions of a promotion pass.
const (
	// ActionPromote copies the chosen source package's artifacts and registers it.
	ActionPromote Action = "promote"
	// ActionUpToDate: the target already holds a copy of the latest approved package.
	ActionUpToDate Action = "up-to-date"
	// ActionReapprove: the target holds a copy of the latest approved package that an earlier
	// pass set to Rejected (its source was Rejected, then approved again). The copy's status is
	// set back to the configured approval status; nothing is copied.
	ActionReapprove Action = "re-approve"
	// ActionNothingApproved: the source group has no approved package; nothing to promote.
	ActionNothingApproved Action = "nothing-approved"
)

// Decision is the pure outcome of comparing the source group with the target group.
type Decision struct {
	Action Action
	// Reject lists target copies whose source package is now Rejected and that are not yet
	// Rejected themselves.
	Reject []TargetCopy
	// Existing is the target copy of the latest approved package (ActionUpToDate,
	// ActionReapprove).
	Existing *TargetCopy
	// Status is the approval status ActionReapprove sets on Existing.
	Status types.ModelApprovalStatus
	// Reason explains the decision in words.
	Reason string
}

// Decide compares the latest approved source package (nil when none), the set of source packages
// now Rejected, and the target copies found by lineage. status is the approval status promoted
// packages get ("" means Approved): a copy of the latest approved package that a promotion pass
// rejected (RejectionNote) is set back to it.
func Decide(latest *types.ModelPackageSummary, rejected map[string]bool, copies []TargetCopy, status types.ModelApprovalStatus) Decision {
	if status == "" {
		status = types.ModelApprovalStatusApproved
	}
	var d Decision
	for _, c := range copies {
		if rejected[c.SourceARN] && c.Status != types.ModelApprovalStatusRejected {
			d.Reject = append(d.Reject, c)
		}
	}
	if latest == nil {
		d.Action = ActionNothingApproved
		d.Reason = "the source group has no Approved model package"
		return d
	}
	src := deref(latest.ModelPackageArn)
	for _, c := range copies {
		if c.SourceARN != src {
			continue
		}
		c := c
		d.Existing = &c
		switch {
		case c.Status == types.ModelApprovalStatusRejected && c.ApprovalDescription == RejectionNote(src):
			d.Action, d.Status = ActionReapprove, status
			d.Reason = fmt.Sprintf("%s (latest Approved) is promoted as %s, which was set to Rejected when its source was; the source is Approved again, so the copy is set to %s (nothing copied)",
				src, c.ARN, status)
		case c.Status == types.ModelApprovalStatusRejected:
			d.Action = ActionUpToDate
			d.Reason = fmt.Sprintf("%s (latest Approved) is already promoted as %s, which was Rejected in the target (%q), not by a promotion; left Rejected",
				src, c.ARN, c.ApprovalDescription)
		default:
			d.Action = ActionUpToDate
			d.Reason = fmt.Sprintf("%s (latest Approved) is already promoted as %s", src, c.ARN)
		}
		return d
	}
	d.Action = ActionPromote
	d.Reason = fmt.Sprintf("%s is the newest Approved package (version %d, created %s) and has no copy in the target group",
		src, version(latest.ModelPackageVersion), fmtTime(latest))
	return d
}

func fmtTime(s *types.ModelPackageSummary) string {
	if s.CreationTime == nil {
		return "at an unknown time"
	}
	return s.CreationTime.UTC().Format("2006-01-02T15:04:05.000Z")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ErrNoVersion is returned for a source package without a version (an unversioned package).
var ErrNoVersion = errors.New("source model package has no version")
