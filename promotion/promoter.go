package promotion

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"

	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

// SourceRegistry reads the source model package group (by ARN, possibly in another account).
type SourceRegistry interface {
	DescribeModelPackageGroup(ctx context.Context, params *sagemaker.DescribeModelPackageGroupInput, optFns ...func(*sagemaker.Options)) (*sagemaker.DescribeModelPackageGroupOutput, error)
	ListModelPackages(ctx context.Context, params *sagemaker.ListModelPackagesInput, optFns ...func(*sagemaker.Options)) (*sagemaker.ListModelPackagesOutput, error)
	DescribeModelPackage(ctx context.Context, params *sagemaker.DescribeModelPackageInput, optFns ...func(*sagemaker.Options)) (*sagemaker.DescribeModelPackageOutput, error)
	// ListTags reads the source package's tags, copied to the target package. Access denied is
	// not an error: the package is promoted without them and the plan says so.
	ListTags(ctx context.Context, params *sagemaker.ListTagsInput, optFns ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error)
}

// TargetRegistry reads and writes the target model package group.
type TargetRegistry interface {
	SourceRegistry
	CreateModelPackageGroup(ctx context.Context, params *sagemaker.CreateModelPackageGroupInput, optFns ...func(*sagemaker.Options)) (*sagemaker.CreateModelPackageGroupOutput, error)
	CreateModelPackage(ctx context.Context, params *sagemaker.CreateModelPackageInput, optFns ...func(*sagemaker.Options)) (*sagemaker.CreateModelPackageOutput, error)
	UpdateModelPackage(ctx context.Context, params *sagemaker.UpdateModelPackageInput, optFns ...func(*sagemaker.Options)) (*sagemaker.UpdateModelPackageOutput, error)
}

// SourceStorage reads source artifacts' metadata (never their bytes).
type SourceStorage interface {
	HeadObject(ctx context.Context, params *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	ListObjectsV2(ctx context.Context, params *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	// GetObjectTagging reads the tags of objects copied in parts (a single copy carries them).
	GetObjectTagging(ctx context.Context, params *s3.GetObjectTaggingInput, optFns ...func(*s3.Options)) (*s3.GetObjectTaggingOutput, error)
}

var (
	_ SourceRegistry = (*sagemaker.Client)(nil)
	_ TargetRegistry = (*sagemaker.Client)(nil)
	_ SourceStorage  = (*s3.Client)(nil)
)

// Config is what to promote and where.
type Config struct {
	// SourceGroupARN is the source model package group.
	SourceGroupARN string
	// TargetBucket receives the copied artifacts.
	TargetBucket string
	// TargetGroup is the target group name (default: the source group's name).
	TargetGroup string
	// TargetPrefix is the first segment(s) of every target key (optional).
	TargetPrefix string
	// ApprovalStatus of the registered package (default Approved).
	ApprovalStatus types.ModelApprovalStatus
	// ProjectID and ProjectName tag a target group the promoter creates.
	ProjectID, ProjectName string
	// PageSize is ListModelPackages' MaxResults (default 100).
	PageSize int32
}

// Promoter promotes the latest approved package of a source group into a target group.
type Promoter struct {
	Config Config
	// SourceRegistry and SourceStorage act as the source account reader (same account, by
	// resource policy, or through an assumed role).
	SourceRegistry SourceRegistry
	SourceStorage  SourceStorage
	// TargetRegistry acts in the target account.
	TargetRegistry TargetRegistry
	// Copier copies with the target account's S3 client.
	Copier *s3copy.Copier
	// Clock is injected for durations (default time.Now).
	Clock func() time.Time
}

// NotFoundError reports a missing source group or package.
type NotFoundError struct {
	Resource string
	Err      error
}

func (e *NotFoundError) Error() string { return e.Resource + " not found: " + e.Err.Error() }
func (e *NotFoundError) Unwrap() error { return e.Err }

// PlannedObject is an object the promotion will copy.
type PlannedObject struct {
	s3copy.Object
	// Verification says how the copy will be checked.
	Verification string
	// Fields are the package fields that reference the object.
	Fields []string
}

// Plan is what one promotion pass will do. Plan computes it without changing anything.
type Plan struct {
	Decision
	// Source is the chosen source package (nil when nothing is approved).
	Source *sagemaker.DescribeModelPackageOutput
	// TargetGroup is the target group name and CreateGroup whether it must be created.
	TargetGroup string
	CreateGroup bool
	// Objects to copy, and the package to register (ActionPromote only).
	Objects []PlannedObject
	Target  *sagemaker.CreateModelPackageInput
	// Dropped lists source package fields the target package leaves out, with the reason.
	Dropped []Dropped
	// TotalBytes sums Objects' sizes.
	TotalBytes int64

	// etags are the package's ETag fields per copied object, filled from the copy.
	etags map[S3Location][]**string
}

// Result is what a promotion pass did.
type Result struct {
	Action    Action
	Reason    string
	SourceARN string
	TargetARN string
	// Rejected lists target packages set to Rejected because their source is Rejected.
	Rejected []TargetCopy
	// Status is the approval status ActionReapprove set on TargetARN.
	Status  types.ModelApprovalStatus
	Objects []s3copy.Copied
	// Dropped lists source package fields the registered package leaves out, with the reason.
	Dropped  []Dropped
	Bytes    int64
	Verified bool
	Duration time.Duration
}

func (p *Promoter) now() time.Time {
	if p.Clock != nil {
		return p.Clock()
	}
	return time.Now()
}

func (p *Promoter) validate() (GroupARN, string, error) {
	src, err := ParseGroupARN(p.Config.SourceGroupARN)
	if err != nil {
		return GroupARN{}, "", err
	}
	if err := ValidateBucketName(p.Config.TargetBucket); err != nil {
		return GroupARN{}, "", fmt.Errorf("target %w", err)
	}
	if err := ValidatePrefix(p.Config.TargetPrefix); err != nil {
		return GroupARN{}, "", err
	}
	group := p.Config.TargetGroup
	if group == "" {
		group = src.Name
	}
	if err := ValidateGroupName(group); err != nil {
		return GroupARN{}, "", err
	}
	if p.Config.ProjectID != "" {
		if err := ValidateProjectID(p.Config.ProjectID); err != nil {
			return GroupARN{}, "", err
		}
	}
	if p.Config.ProjectName != "" {
		if err := ValidateProjectName(p.Config.ProjectName); err != nil {
			return GroupARN{}, "", err
		}
	}
	switch p.Config.ApprovalStatus {
	case "", types.ModelApprovalStatusApproved, types.ModelApprovalStatusPendingManualApproval:
	default:
		return GroupARN{}, "", fmt.Errorf("approval status %q: expected Approved or PendingManualApproval", p.Config.ApprovalStatus)
	}
	return src, group, nil
}

// Plan reads the source and target and returns what Promote would do. It changes nothing.
func (p *Promoter) Plan(ctx context.Context) (*Plan, error) {
	src, group, err := p.validate()
	if err != nil {
		return nil, err
	}
	arn := src.String()
	if _, err := p.SourceRegistry.DescribeModelPackageGroup(ctx, &sagemaker.DescribeModelPackageGroupInput{ModelPackageGroupName: aws.String(arn)}); err != nil {
		return nil, classify(fmt.Errorf("describe source model package group %s: %w", arn, err), "source model package group "+arn)
	}
	latest, err := p.latestApproved(ctx, arn)
	if err != nil {
		return nil, err
	}
	rejected, err := p.listARNs(ctx, p.SourceRegistry, arn, types.ModelApprovalStatusRejected)
	if err != nil {
		return nil, err
	}
	plan := &Plan{TargetGroup: group}
	copies, exists, err := p.targetCopies(ctx, group)
	if err != nil {
		return nil, err
	}
	plan.CreateGroup = !exists
	plan.Decision = Decide(latest, rejected, copies, p.Config.ApprovalStatus)
	if plan.Action != ActionPromote {
		return plan, nil
	}
	d, err := p.SourceRegistry.DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: latest.ModelPackageArn})
	if err != nil {
		return nil, classify(fmt.Errorf("describe source model package %s: %w", aws.ToString(latest.ModelPackageArn), err), "source model package "+aws.ToString(latest.ModelPackageArn))
	}
	if d.ModelPackageVersion == nil {
		return nil, fmt.Errorf("source model package %s: %w", aws.ToString(d.ModelPackageArn), ErrNoVersion)
	}
	plan.Source = d
	status := p.Config.ApprovalStatus
	if status == "" {
		status = types.ModelApprovalStatusApproved
	}
	target, refs, dropped := BuildTarget(d, group, status)
	plan.Dropped = dropped
	tags, err := p.sourceTags(ctx, aws.ToString(d.ModelPackageArn))
	switch {
	case isAccessDenied(err):
		plan.Dropped = append(plan.Dropped, Dropped{Field: "Tags", Reason: fmt.Sprintf(
			"source tags not readable (grant sagemaker:ListTags on %s to the source reader); not copied", aws.ToString(d.ModelPackageArn))})
	case err != nil:
		return nil, err
	default:
		var tagDropped []Dropped
		target.Tags, tagDropped = SourceTags(tags, aws.ToString(d.ModelPackageArn))
		plan.Dropped = append(plan.Dropped, tagDropped...)
	}
	if err := p.planObjects(ctx, plan, src.Name, *d.ModelPackageVersion, refs); err != nil {
		return nil, err
	}
	plan.Target = target
	return plan, nil
}

// sourceTags lists the source package's tags with the SDK paginator.
func (p *Promoter) sourceTags(ctx context.Context, arn string) ([]types.Tag, error) {
	var tags []types.Tag
	pager := sagemaker.NewListTagsPaginator(p.SourceRegistry, &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list tags of source model package %s: %w", arn, err)
		}
		tags = append(tags, page.Tags...)
	}
	return tags, nil
}

// latestApproved pages through ListModelPackages (Approved, newest first) with the SDK paginator
// and stops at the first non-empty page: its newest entry is the answer.
func (p *Promoter) latestApproved(ctx context.Context, arn string) (*types.ModelPackageSummary, error) {
	pager := sagemaker.NewListModelPackagesPaginator(p.SourceRegistry, &sagemaker.ListModelPackagesInput{
		ModelPackageGroupName: aws.String(arn),
		ModelApprovalStatus:   types.ModelApprovalStatusApproved,
		SortBy:                types.ModelPackageSortByCreationTime,
		SortOrder:             types.SortOrderDescending,
		MaxResults:            aws.Int32(p.pageSize()),
	})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, classify(fmt.Errorf("list approved model packages of %s: %w", arn, err), "source model package group "+arn)
		}
		if latest, ok := LatestApproved(page.ModelPackageSummaryList); ok {
			return &latest, nil
		}
	}
	return nil, nil
}

func (p *Promoter) pageSize() int32 {
	if p.Config.PageSize > 0 {
		return p.Config.PageSize
	}
	return 100
}

func (p *Promoter) listARNs(ctx context.Context, c SourceRegistry, group string, status types.ModelApprovalStatus) (map[string]bool, error) {
	out := map[string]bool{}
	pager := sagemaker.NewListModelPackagesPaginator(c, &sagemaker.ListModelPackagesInput{
		ModelPackageGroupName: aws.String(group),
		ModelApprovalStatus:   status,
		MaxResults:            aws.Int32(p.pageSize()),
	})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, classify(fmt.Errorf("list %s model packages of %s: %w", status, group, err), "model package group "+group)
		}
		for _, s := range page.ModelPackageSummaryList {
			out[aws.ToString(s.ModelPackageArn)] = true
		}
	}
	return out, nil
}

// targetCopies finds the target group's packages and the source package each was promoted from
// (by lineage). exists is false when the target group does not exist yet.
func (p *Promoter) targetCopies(ctx context.Context, group string) (copies []TargetCopy, exists bool, err error) {
	_, err = p.TargetRegistry.DescribeModelPackageGroup(ctx, &sagemaker.DescribeModelPackageGroupInput{ModelPackageGroupName: aws.String(group)})
	if isNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("describe target model package group %s: %w", group, err)
	}
	pager := sagemaker.NewListModelPackagesPaginator(p.TargetRegistry, &sagemaker.ListModelPackagesInput{
		ModelPackageGroupName: aws.String(group),
		MaxResults:            aws.Int32(p.pageSize()),
	})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, true, fmt.Errorf("list model packages of target group %s: %w", group, err)
		}
		for _, s := range page.ModelPackageSummaryList {
			d, err := p.TargetRegistry.DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: s.ModelPackageArn})
			if err != nil {
				return nil, true, fmt.Errorf("describe target model package %s: %w", aws.ToString(s.ModelPackageArn), err)
			}
			if src := d.CustomerMetadataProperties[LineageKey]; src != "" {
				copies = append(copies, TargetCopy{ARN: aws.ToString(d.ModelPackageArn), SourceARN: src, Status: d.ModelApprovalStatus,
					ApprovalDescription: aws.ToString(d.ApprovalDescription)})
			}
		}
	}
	return copies, true, nil
}

// planObjects resolves every reference to objects (listing prefixes), checks keys, describes
// each object and rewrites the references to the target layout. Objects under a prefix are
// described by the listing; the copier heads only those a listing cannot prove (objects named
// by URI, objects copied in parts, copies into SSE-KMS: see package s3copy).
func (p *Promoter) planObjects(ctx context.Context, plan *Plan, group string, version int32, refs []Ref) error {
	type wanted struct {
		obj   s3copy.Object
		field string
	}
	var want []wanted
	for _, r := range refs {
		loc, err := ParseS3URI(aws.ToString(*r.URI))
		if err != nil {
			return fmt.Errorf("%s: %w", r.Field, err)
		}
		target := S3Location{Bucket: p.Config.TargetBucket, Key: TargetKey(p.Config.TargetPrefix, group, version, loc)}
		switch r.Kind {
		case RefObject:
			if err := CheckKey(loc.Bucket, loc.Key, -1, false); err != nil {
				return err
			}
			want = append(want, wanted{s3copy.Object{Source: s3copy.Location(loc)}, r.Field})
		case RefPrefix:
			if loc.Key != "" {
				if err := CheckKey(loc.Bucket, strings.TrimSuffix(loc.Key, "/"), -1, false); err != nil {
					return err
				}
			}
			n := 0
			pager := s3.NewListObjectsV2Paginator(p.SourceStorage, &s3.ListObjectsV2Input{Bucket: aws.String(loc.Bucket), Prefix: aws.String(loc.Key)})
			for pager.HasMorePages() {
				page, err := pager.NextPage(ctx)
				if err != nil {
					return classify(fmt.Errorf("list source objects under %s: %w", loc.URI(), err), "source bucket "+loc.Bucket)
				}
				for _, o := range page.Contents {
					if err := CheckKey(loc.Bucket, aws.ToString(o.Key), aws.ToInt64(o.Size), true); err != nil {
						return err
					}
					want = append(want, wanted{s3copy.FromListing(loc.Bucket, o), r.Field})
					n++
				}
			}
			if n == 0 {
				return &NotFoundError{Resource: "source objects under " + loc.URI(), Err: errors.New("the prefix is empty")}
			}
		}
		*r.URI = aws.String(target.URI())
		if r.ETag != nil && *r.ETag != nil {
			// ETag fields describe the object; an SSE-KMS copy has a different ETag, so the field
			// is cleared here and filled from the verified copy (objects only).
			*r.ETag = nil
			if r.Kind == RefObject {
				if plan.etags == nil {
					plan.etags = map[S3Location][]**string{}
				}
				plan.etags[target] = append(plan.etags[target], r.ETag)
			}
		}
	}

	// One object may back several fields: describe and copy it once. Objects keep the order of
	// their first reference.
	index := map[s3copy.Location]int{}
	var objs []s3copy.Object
	for _, w := range want {
		if _, ok := index[w.obj.Source]; !ok {
			index[w.obj.Source] = len(objs)
			w.obj.Target = s3copy.Location{Bucket: p.Config.TargetBucket, Key: TargetKey(p.Config.TargetPrefix, group, version, S3Location(w.obj.Source))}
			objs = append(objs, w.obj)
		}
	}
	if err := p.Copier.Prepare(ctx, p.SourceStorage, objs); err != nil {
		var se *s3copy.SourceError
		if errors.As(err, &se) {
			return classify(err, "source object "+se.Source.URI())
		}
		return err
	}
	for _, o := range objs {
		plan.Objects = append(plan.Objects, PlannedObject{Object: o})
		plan.TotalBytes += o.Size
	}
	for _, w := range want {
		po := &plan.Objects[index[w.obj.Source]]
		po.Fields = append(po.Fields, w.field)
	}
	for i := range plan.Objects {
		v, err := s3copy.Verification(plan.Objects[i].Object, p.Copier.Options)
		if err != nil {
			return err
		}
		plan.Objects[i].Verification = v
	}
	return nil
}

// Promote runs one promotion pass: reject target copies of rejected sources, then copy, verify
// and register the latest approved package unless the target already holds it.
func (p *Promoter) Promote(ctx context.Context) (*Result, error) {
	start := p.now()
	plan, err := p.Plan(ctx)
	if err != nil {
		return nil, err
	}
	res := &Result{Action: plan.Action, Reason: plan.Reason}
	for _, c := range plan.Reject {
		if _, err := p.TargetRegistry.UpdateModelPackage(ctx, &sagemaker.UpdateModelPackageInput{
			ModelPackageArn:     aws.String(c.ARN),
			ModelApprovalStatus: types.ModelApprovalStatusRejected,
			ApprovalDescription: aws.String(RejectionNote(c.SourceARN)),
		}); err != nil {
			return nil, fmt.Errorf("reject target model package %s: %w", c.ARN, err)
		}
		c.Status = types.ModelApprovalStatusRejected
		res.Rejected = append(res.Rejected, c)
	}
	switch plan.Action {
	case ActionUpToDate:
		res.SourceARN, res.TargetARN, res.Verified = plan.Existing.SourceARN, plan.Existing.ARN, true
	case ActionReapprove:
		c := *plan.Existing
		if _, err := p.TargetRegistry.UpdateModelPackage(ctx, &sagemaker.UpdateModelPackageInput{
			ModelPackageArn:     aws.String(c.ARN),
			ModelApprovalStatus: plan.Status,
			ApprovalDescription: aws.String(ReapprovalNote(c.SourceARN)),
		}); err != nil {
			return nil, fmt.Errorf("re-approve target model package %s: %w", c.ARN, err)
		}
		// The copy's artifacts were verified when it was promoted; nothing is copied again.
		res.SourceARN, res.TargetARN, res.Verified = c.SourceARN, c.ARN, true
		res.Status = plan.Status
	case ActionPromote:
		res.SourceARN = aws.ToString(plan.Source.ModelPackageArn)
		res.Dropped = plan.Dropped
		objs := make([]s3copy.Object, len(plan.Objects))
		for i, o := range plan.Objects {
			objs[i] = o.Object
		}
		copied, err := p.Copier.CopyAll(ctx, objs)
		if err != nil {
			return nil, err
		}
		res.Objects, res.Verified = copied, true
		for _, c := range copied {
			res.Bytes += c.Size
			for _, f := range plan.etags[S3Location(c.Target)] {
				*f = aws.String(c.TargetETag)
			}
		}
		if plan.CreateGroup {
			if err := p.createGroup(ctx, plan); err != nil {
				return nil, err
			}
		}
		out, err := p.TargetRegistry.CreateModelPackage(ctx, plan.Target)
		if err != nil {
			return nil, fmt.Errorf("create model package in %s: %w", plan.TargetGroup, err)
		}
		res.TargetARN = aws.ToString(out.ModelPackageArn)
	}
	res.Duration = p.now().Sub(start)
	return res, nil
}

func (p *Promoter) createGroup(ctx context.Context, plan *Plan) error {
	in := &sagemaker.CreateModelPackageGroupInput{
		ModelPackageGroupName:        aws.String(plan.TargetGroup),
		ModelPackageGroupDescription: aws.String("Promoted from " + p.Config.SourceGroupARN + " by smcd"),
	}
	if p.Config.ProjectID != "" {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(ProjectIDTag), Value: aws.String(p.Config.ProjectID)})
	}
	if p.Config.ProjectName != "" {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(ProjectNameTag), Value: aws.String(p.Config.ProjectName)})
	}
	if _, err := p.TargetRegistry.CreateModelPackageGroup(ctx, in); err != nil {
		return fmt.Errorf("create target model package group %s: %w", plan.TargetGroup, err)
	}
	return nil
}

func isNotFound(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "ResourceNotFound", "ResourceNotFoundException", "NotFound", "NoSuchKey", "NoSuchBucket":
		return true
	case "ValidationException":
		m := api.ErrorMessage()
		return strings.Contains(m, "does not exist") || strings.Contains(m, "not found") || strings.Contains(m, "Could not find")
	}
	return false
}

func isAccessDenied(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "AccessDeniedException", "AccessDenied":
		return true
	}
	return false
}

func classify(err error, resource string) error {
	if isNotFound(err) {
		return &NotFoundError{Resource: resource, Err: err}
	}
	return err
}
