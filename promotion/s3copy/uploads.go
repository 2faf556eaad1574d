package s3copy

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"
)

// UploadError reports a multipart upload that could not be aborted: it stays (and is billed)
// until someone aborts it, the next run on the same key does, or the bucket's
// AbortIncompleteMultipartUpload lifecycle rule removes it.
type UploadError struct {
	Target   Location
	UploadID string
	Err      error
}

func (e *UploadError) Error() string {
	return fmt.Sprintf("abort multipart upload %s (upload ID %s): %v; it stays until aborted: aws s3api abort-multipart-upload --bucket %s --key %s --upload-id %s",
		e.Target.URI(), e.UploadID, e.Err, e.Target.Bucket, e.Target.Key, e.UploadID)
}

// Unwrap returns Err.
func (e *UploadError) Unwrap() error { return e.Err }

// abort aborts one upload even when ctx is done (it must not linger).
func (c *Copier) abort(ctx context.Context, target Location, id string) error {
	_, err := c.S3.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{
		Bucket: aws.String(target.Bucket), Key: aws.String(target.Key), UploadId: aws.String(id)})
	if err != nil {
		return &UploadError{Target: target, UploadID: id, Err: err}
	}
	return nil
}

// abortAll runs after a failed copy: it aborts every upload the copy opened and did not
// complete, then any other upload on their keys (a lost CreateMultipartUpload answer leaves
// one behind). It returns the aborts of our own uploads that failed.
func (c *Copier) abortAll(ctx context.Context, opts Options, objs []Object, ups []*upload) error {
	ctx = context.WithoutCancel(ctx)
	var g errgroup.Group
	g.SetLimit(opts.Concurrency)
	errs := make([]error, len(ups))
	for k, u := range ups {
		g.Go(func() error {
			target := objs[u.i].Target
			if u.id != nil && !u.done.Load() {
				errs[k] = c.abort(ctx, target, *u.id)
			}
			skip := ""
			if errs[k] != nil {
				skip = *u.id // already reported in the error
			}
			c.abortOnKey(ctx, target, skip)
			return nil
		})
	}
	_ = g.Wait()
	return errors.Join(errs...)
}

// abortOnKey aborts every incomplete upload on target's key but skip; failures are warnings.
func (c *Copier) abortOnKey(ctx context.Context, target Location, skip string) {
	c.abortListed(ctx, target.Bucket, target.Key, map[string]bool{target.Key: true}, skip)
}

// abortStale aborts, before copying, incomplete uploads left on the planned target keys by
// earlier runs: one ListMultipartUploads per target bucket over the keys' common prefix.
// Failures are warnings: the copy does not need it, the lifecycle rule is the backstop.
func (c *Copier) abortStale(ctx context.Context, objs []Object) {
	keys := map[string]map[string]bool{}
	prefix := map[string]string{}
	for _, o := range objs {
		b := o.Target.Bucket
		if keys[b] == nil {
			keys[b] = map[string]bool{}
			prefix[b] = o.Target.Key
		}
		keys[b][o.Target.Key] = true
		prefix[b] = commonPrefix(prefix[b], o.Target.Key)
	}
	for b, ks := range keys {
		c.abortListed(ctx, b, prefix[b], ks, "")
	}
}

func (c *Copier) abortListed(ctx context.Context, bucket, prefix string, keys map[string]bool, skip string) {
	ctx = context.WithoutCancel(ctx)
	pager := s3.NewListMultipartUploadsPaginator(c.S3, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			c.warn(fmt.Errorf("list incomplete multipart uploads in s3://%s/%s (needs s3:ListBucketMultipartUploads): %w", bucket, prefix, err), "")
			return
		}
		for _, u := range page.Uploads {
			key, id := aws.ToString(u.Key), aws.ToString(u.UploadId)
			if !keys[key] || id == skip {
				continue
			}
			if err := c.abort(ctx, Location{Bucket: bucket, Key: key}, id); err != nil {
				c.warn(err, id)
			}
		}
	}
}

func commonPrefix(a, b string) string {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return a[:i]
		}
	}
	return a[:n]
}
