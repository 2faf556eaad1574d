package promoter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"golang.org/x/sync/errgroup"

	"github.com/sagemaker-cd/sagemaker-cd/promotion"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/awserr"
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
	// Search finds the target copies by their lineage tag, without describing every package.
	Search(ctx context.Context, params *sagemaker.SearchInput, optFns ...func(*sagemaker.Options)) (*sagemaker.SearchOutput, error)
}

// TargetStorage reads the target bucket's default encryption (s3:GetEncryptionConfiguration).
type TargetStorage interface {
	GetBucketEncryption(ctx context.Context, params *s3.GetBucketEncryptionInput, optFns ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)
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
	_ TargetStorage  = (*s3.Client)(nil)
)

// Promoter promotes the latest approved package of a source group into a target group.
type Promoter struct {
	Config promotion.Config
	// SourceRegistry and SourceStorage act as the source account reader (same account, by
	// resource policy, or through an assumed role).
	SourceRegistry SourceRegistry
	SourceStorage  SourceStorage
	// TargetRegistry acts in the target account.
	TargetRegistry TargetRegistry
	// TargetStorage reads the target bucket's default encryption before a copy without
	// Config.KMSKeyARN (nil: not checked).
	TargetStorage TargetStorage
	// Copier copies with the target account's S3 client.
	Copier *s3copy.Copier
	// Clock is injected for durations (default time.Now).
	Clock func() time.Time
}

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
	promotion.Decision
	// Source is the chosen source package (nil when nothing is approved).
	Source *sagemaker.DescribeModelPackageOutput
	// TargetGroup is the target group name and CreateGroup whether it must be created.
	TargetGroup string
	CreateGroup bool
	// Objects to copy, and the package to register (promotion.ActionPromote only).
	Objects []PlannedObject
	Target  *sagemaker.CreateModelPackageInput
	// Dropped lists source package fields the target package leaves out, with the reason.
	Dropped []promotion.Dropped
	// Warnings are things the promotion does not fix but a person should know (an image in a
	// private ECR repository of another account, tags not readable).
	Warnings []string
	// TotalBytes sums Objects' sizes.
	TotalBytes int64

	// etags are the package's ETag fields per copied object, filled from the copy.
	etags map[promotion.S3Location][]**string
}

// Result is what a promotion pass did.
type Result struct {
	Action    promotion.Action
	Reason    string
	SourceARN string
	TargetARN string
	// Rejected lists target packages set to Rejected because their source is Rejected.
	Rejected []promotion.TargetCopy
	// Status is the approval status promotion.ActionReapprove set on TargetARN.
	Status  types.ModelApprovalStatus
	Objects []s3copy.Copied
	// Dropped lists source package fields the registered package leaves out, with the reason.
	Dropped []promotion.Dropped
	// Warnings are the plan's warnings (see Plan.Warnings).
	Warnings []string
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

func (p *Promoter) validate() (promotion.GroupARN, string, error) {
	if err := p.Config.Validate(); err != nil {
		return promotion.GroupARN{}, "", err
	}
	src, err := promotion.ParseGroupARN(p.Config.SourceGroupARN)
	return src, p.Config.Group(), err
}

// Plan reads the source and target and returns what Promote would do. It changes nothing.
// Independent reads run in parallel; the target copies are found by their lineage tag (Search),
// so a run with nothing to promote makes the same few requests whatever the target group holds.
func (p *Promoter) Plan(ctx context.Context) (*Plan, error) {
	src, group, err := p.validate()
	if err != nil {
		return nil, err
	}
	arn := src.String()
	var (
		latest   *types.ModelPackageSummary
		rejected map[string]bool
		target   *sagemaker.DescribeModelPackageGroupOutput
	)
	// The four reads are independent: one round trip. The source group is described because
	// listing a group that does not exist answers an empty list, not an error.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if _, err := p.SourceRegistry.DescribeModelPackageGroup(gctx, &sagemaker.DescribeModelPackageGroupInput{ModelPackageGroupName: aws.String(arn)}); err != nil {
			return promotion.WrapNotFound(fmt.Errorf("describe source model package group %s: %w", arn, err), "source model package group "+arn)
		}
		return nil
	})
	g.Go(func() (err error) { latest, err = p.latestApproved(gctx, arn); return err })
	g.Go(func() (err error) {
		rejected, err = p.listARNs(gctx, p.SourceRegistry, arn, types.ModelApprovalStatusRejected)
		return err
	})
	g.Go(func() error {
		out, err := p.TargetRegistry.DescribeModelPackageGroup(gctx, &sagemaker.DescribeModelPackageGroupInput{ModelPackageGroupName: aws.String(group)})
		switch awserr.Classify(err) {
		case awserr.None:
			target = out
		case awserr.NotFound:
		default:
			return fmt.Errorf("describe target model package group %s: %w", group, err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	plan := &Plan{TargetGroup: group, CreateGroup: target == nil}
	var copies []promotion.TargetCopy
	if target != nil {
		if copies, err = p.targetCopies(ctx, group, latest, rejected); err != nil {
			return nil, err
		}
	}
	plan.Decision = promotion.Decide(latest, rejected, copies, p.Config.ApprovalStatus)
	if plan.Action != promotion.ActionPromote {
		return plan, nil
	}
	srcARN := aws.ToString(latest.ModelPackageArn)
	var (
		d       *sagemaker.DescribeModelPackageOutput
		tags    []types.Tag
		tagsErr error
	)
	g, gctx = errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		d, err = p.SourceRegistry.DescribeModelPackage(gctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: latest.ModelPackageArn})
		if err != nil {
			return promotion.WrapNotFound(fmt.Errorf("describe source model package %s: %w", srcARN, err), "source model package "+srcARN)
		}
		return nil
	})
	// Tags are optional: any failure to read them (not only AccessDenied) promotes without them.
	g.Go(func() error { tags, tagsErr = p.sourceTags(gctx, srcARN); return nil })
	g.Go(func() error { return p.checkTargetEncryption(gctx, plan) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if d.ModelPackageVersion == nil {
		return nil, fmt.Errorf("source model package %s: %w", aws.ToString(d.ModelPackageArn), promotion.ErrNoVersion)
	}
	plan.Source = d
	pkg, refs, dropped := promotion.BuildTarget(d, group, p.Config.Status())
	// Idempotent registration: a retried CreateModelPackage (lost answer) returns the same package.
	pkg.ClientToken = aws.String(promotion.ClientToken(srcARN, group))
	plan.Dropped = dropped
	if tagsErr != nil {
		reason := fmt.Sprintf("source tags not readable (%v); not copied", tagsErr)
		if awserr.Classify(tagsErr) == awserr.AccessDenied {
			reason = fmt.Sprintf("source tags not readable (grant sagemaker:ListTags on %s to the source reader); not copied", srcARN)
		}
		plan.Dropped = append(plan.Dropped, promotion.Dropped{Field: "Tags", Reason: reason})
	} else {
		var tagDropped []promotion.Dropped
		pkg.Tags, tagDropped = promotion.SourceTags(tags, srcARN)
		plan.Dropped = append(plan.Dropped, tagDropped...)
	}
	var targetGroupARN string
	if target != nil {
		targetGroupARN = aws.ToString(target.ModelPackageGroupArn)
	}
	plan.Warnings = append(plan.Warnings, promotion.ImageWarnings(d, src.AccountID, targetGroupARN)...)
	if err := p.planObjects(ctx, plan, src.Name, *d.ModelPackageVersion, refs); err != nil {
		return nil, err
	}
	plan.Target = pkg
	return plan, nil
}

// TargetKeyError reports a target bucket whose default encryption is a customer managed KMS
// key while no key was configured: the promoter would be refused (it is granted no KMS
// permission then), after copying nothing.
type TargetKeyError struct {
	Bucket, KeyID string
}

func (e *TargetKeyError) Error() string {
	return fmt.Sprintf("target bucket %s encrypts new objects with the customer managed KMS key %s by default, and no KMS key is configured: "+
		"pass it as --kms-key-arn (%s, construct prop KmsKeyArn, module parameter kms_key_arn) so the promoter encrypts with it and is granted "+
		"kms:GenerateDataKey, kms:Encrypt, kms:Decrypt and kms:DescribeKey on it (the key policy must allow this account's principal too)",
		e.Bucket, e.KeyID, promotion.EnvKMSKeyARN)
}

// checkTargetEncryption fails early when the target bucket's default encryption is a customer
// managed KMS key and Config.KMSKeyARN is empty. A caller not allowed to read the configuration
// gets a warning instead.
func (p *Promoter) checkTargetEncryption(ctx context.Context, plan *Plan) error {
	if p.TargetStorage == nil || p.kmsKeyARN() != "" {
		return nil
	}
	out, err := p.TargetStorage.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(p.Config.TargetBucket)})
	switch awserr.Classify(err) {
	case awserr.None:
	case awserr.NoEncryptionConfig:
		return nil
	case awserr.AccessDenied:
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("cannot read the default encryption of target bucket %s (%v): if it is a customer managed KMS key, pass it as --kms-key-arn", p.Config.TargetBucket, err))
		return nil
	default:
		return promotion.WrapNotFound(fmt.Errorf("get default encryption of target bucket %s: %w", p.Config.TargetBucket, err), "target bucket "+p.Config.TargetBucket)
	}
	if out.ServerSideEncryptionConfiguration == nil {
		return nil
	}
	for _, r := range out.ServerSideEncryptionConfiguration.Rules {
		d := r.ApplyServerSideEncryptionByDefault
		if d == nil || (d.SSEAlgorithm != s3types.ServerSideEncryptionAwsKms && d.SSEAlgorithm != s3types.ServerSideEncryptionAwsKmsDsse) {
			continue
		}
		if key := aws.ToString(d.KMSMasterKeyID); key != "" && !strings.HasSuffix(key, "alias/aws/s3") {
			return &TargetKeyError{Bucket: p.Config.TargetBucket, KeyID: key}
		}
	}
	return nil
}

// kmsKeyARN is the key the copies are encrypted with: Config's, else the Copier's option.
func (p *Promoter) kmsKeyARN() string {
	if p.Config.KMSKeyARN != "" {
		return p.Config.KMSKeyARN
	}
	if p.Copier != nil {
		return p.Copier.Options.KMSKeyARN
	}
	return ""
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
			return nil, promotion.WrapNotFound(fmt.Errorf("list approved model packages of %s: %w", arn, err), "source model package group "+arn)
		}
		if latest, ok := promotion.LatestApproved(page.ModelPackageSummaryList); ok {
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
			return nil, promotion.WrapNotFound(fmt.Errorf("list %s model packages of %s: %w", status, group, err), "source model package group "+group)
		}
		for _, s := range page.ModelPackageSummaryList {
			out[aws.ToString(s.ModelPackageArn)] = true
		}
	}
	return out, nil
}

// targetCopies finds, by lineage tag (Search), the target copy of the latest approved package
// and, when the source has rejected packages, the copies not yet rejected, both at once: the
// requests do not grow with the packages of the target group. (The copy's source ARN is read
// from its CustomerMetadataProperties, which every promoted package carries with the tag.)
func (p *Promoter) targetCopies(ctx context.Context, group string, latest *types.ModelPackageSummary, rejected map[string]bool) ([]promotion.TargetCopy, error) {
	inGroup := types.Filter{Name: aws.String("ModelPackageGroupName"), Operator: types.OperatorEquals, Value: aws.String(group)}
	lineage := "Tags." + promotion.LineageKey
	var searches [][]types.Filter
	if latest != nil {
		searches = append(searches, []types.Filter{inGroup,
			{Name: aws.String(lineage), Operator: types.OperatorEquals, Value: latest.ModelPackageArn}})
	}
	if len(rejected) > 0 {
		searches = append(searches, []types.Filter{inGroup,
			{Name: aws.String("ModelApprovalStatus"), Operator: types.OperatorNotEquals, Value: aws.String(string(types.ModelApprovalStatusRejected))},
			{Name: aws.String(lineage), Operator: types.OperatorExists}})
	}
	found := make([][]promotion.TargetCopy, len(searches))
	g, gctx := errgroup.WithContext(ctx)
	for i, filters := range searches {
		g.Go(func() error {
			pager := sagemaker.NewSearchPaginator(p.TargetRegistry, &sagemaker.SearchInput{
				Resource:         types.ResourceTypeModelPackage,
				SearchExpression: &types.SearchExpression{Filters: filters},
				MaxResults:       aws.Int32(p.pageSize()),
			})
			for pager.HasMorePages() {
				page, err := pager.NextPage(gctx)
				if err != nil {
					return fmt.Errorf("search model packages of target group %s by lineage: %w", group, err)
				}
				for _, r := range page.Results {
					m := r.ModelPackage
					if m == nil || aws.ToString(m.ModelPackageGroupName) != group {
						continue
					}
					src := m.CustomerMetadataProperties[promotion.LineageKey]
					if src == "" || (i > 0 || latest == nil) && !rejected[src] {
						continue
					}
					found[i] = append(found[i], promotion.TargetCopy{ARN: aws.ToString(m.ModelPackageArn), SourceARN: src, Status: m.ModelApprovalStatus,
						ApprovalDescription: aws.ToString(m.ApprovalDescription)})
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var copies []promotion.TargetCopy
	seen := map[string]bool{}
	for _, f := range found {
		for _, c := range f {
			if !seen[c.ARN] {
				seen[c.ARN] = true
				copies = append(copies, c)
			}
		}
	}
	return copies, nil
}

// planObjects resolves every reference to objects (listing prefixes), checks keys, describes
// each object and rewrites the references to the target layout. Objects under a prefix are
// described by the listing; the copier heads only those a listing cannot prove (objects named
// by URI, objects copied in parts, copies into SSE-KMS: see package s3copy).
func (p *Promoter) planObjects(ctx context.Context, plan *Plan, group string, version int32, refs []promotion.Ref) error {
	type wanted struct {
		obj   s3copy.Object
		field string
	}
	var want []wanted
	for _, r := range refs {
		loc, err := promotion.ParseS3URI(aws.ToString(*r.URI))
		if err != nil {
			return fmt.Errorf("%s: %w", r.Field, err)
		}
		target := promotion.S3Location{Bucket: p.Config.TargetBucket, Key: promotion.TargetKey(p.Config.TargetPrefix, group, version, loc)}
		switch r.Kind {
		case promotion.RefObject:
			if err := promotion.CheckKey(loc.Bucket, loc.Key, -1, false); err != nil {
				return err
			}
			want = append(want, wanted{s3copy.Object{Source: s3copy.Location(loc)}, r.Field})
		case promotion.RefPrefix:
			if loc.Key != "" {
				if err := promotion.CheckKey(loc.Bucket, strings.TrimSuffix(loc.Key, "/"), -1, false); err != nil {
					return err
				}
			}
			n := 0
			pager := s3.NewListObjectsV2Paginator(p.SourceStorage, &s3.ListObjectsV2Input{Bucket: aws.String(loc.Bucket), Prefix: aws.String(loc.Key)})
			for pager.HasMorePages() {
				page, err := pager.NextPage(ctx)
				if err != nil {
					return promotion.WrapNotFound(fmt.Errorf("list source objects under %s: %w", loc.URI(), err), "source bucket "+loc.Bucket)
				}
				for _, o := range page.Contents {
					if err := promotion.CheckKey(loc.Bucket, aws.ToString(o.Key), aws.ToInt64(o.Size), true); err != nil {
						return err
					}
					want = append(want, wanted{s3copy.FromListing(loc.Bucket, o), r.Field})
					n++
				}
			}
			if n == 0 {
				return &promotion.NotFoundError{Resource: "source objects under " + loc.URI(), Err: errors.New("the prefix is empty")}
			}
		}
		*r.URI = aws.String(target.URI())
		if r.ETag != nil && *r.ETag != nil {
			// ETag fields describe the object; an SSE-KMS copy has a different ETag, so the field
			// is cleared here and filled from the verified copy (objects only).
			*r.ETag = nil
			if r.Kind == promotion.RefObject {
				if plan.etags == nil {
					plan.etags = map[promotion.S3Location][]**string{}
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
			w.obj.Target = s3copy.Location{Bucket: p.Config.TargetBucket, Key: promotion.TargetKey(p.Config.TargetPrefix, group, version, promotion.S3Location(w.obj.Source))}
			objs = append(objs, w.obj)
		}
	}
	if err := p.Copier.Prepare(ctx, p.SourceStorage, objs); err != nil {
		var se *s3copy.SourceError
		if errors.As(err, &se) {
			return promotion.WrapNotFound(err, "source object "+se.Source.URI())
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
	res := &Result{Action: plan.Action, Reason: plan.Reason, Warnings: plan.Warnings}
	if res.Rejected, err = p.reject(ctx, plan.Reject); err != nil {
		return nil, err
	}
	switch plan.Action {
	case promotion.ActionUpToDate:
		res.SourceARN, res.TargetARN, res.Verified = plan.Existing.SourceARN, plan.Existing.ARN, true
	case promotion.ActionReapprove:
		c := *plan.Existing
		if _, err := p.TargetRegistry.UpdateModelPackage(ctx, &sagemaker.UpdateModelPackageInput{
			ModelPackageArn:     aws.String(c.ARN),
			ModelApprovalStatus: plan.Status,
			ApprovalDescription: aws.String(promotion.ReapprovalNote(c.SourceARN)),
		}); err != nil {
			return nil, fmt.Errorf("re-approve target model package %s: %w", c.ARN, err)
		}
		// The copy's artifacts were verified when it was promoted; nothing is copied again.
		res.SourceARN, res.TargetARN, res.Verified = c.SourceARN, c.ARN, true
		res.Status = plan.Status
	case promotion.ActionPromote:
		res.SourceARN = aws.ToString(plan.Source.ModelPackageArn)
		res.Dropped = plan.Dropped
		objs := make([]s3copy.Object, len(plan.Objects))
		for i, o := range plan.Objects {
			objs[i] = o.Object
		}
		copied, warnings, err := p.copyAll(ctx, objs)
		res.Warnings = append(res.Warnings, warnings...)
		if err != nil {
			return nil, err
		}
		res.Objects, res.Verified = copied, true
		for _, c := range copied {
			res.Bytes += c.Size
			for _, f := range plan.etags[promotion.S3Location(c.Target)] {
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

// reject sets the copies to Rejected, all at once (each is its own package), and returns them
// in their order with their new status.
func (p *Promoter) reject(ctx context.Context, copies []promotion.TargetCopy) ([]promotion.TargetCopy, error) {
	if len(copies) == 0 {
		return nil, nil
	}
	out := make([]promotion.TargetCopy, len(copies))
	var g errgroup.Group
	g.SetLimit(p.Config.CopyConcurrency())
	for i, c := range copies {
		g.Go(func() error {
			if _, err := p.TargetRegistry.UpdateModelPackage(ctx, &sagemaker.UpdateModelPackageInput{
				ModelPackageArn:     aws.String(c.ARN),
				ModelApprovalStatus: types.ModelApprovalStatusRejected,
				ApprovalDescription: aws.String(promotion.RejectionNote(c.SourceARN)),
			}); err != nil {
				return fmt.Errorf("reject target model package %s: %w", c.ARN, err)
			}
			c.Status = types.ModelApprovalStatusRejected
			out[i] = c
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// copyAll copies objs with a copy of p.Copier whose progress also collects the copy's warnings
// (an incomplete multipart upload left on a target key that could not be aborted, named by its
// upload ID), so they reach Result.Warnings and not only a progress display.
func (p *Promoter) copyAll(ctx context.Context, objs []s3copy.Object) ([]s3copy.Copied, []string, error) {
	var warnings []string
	opts := p.Copier.Options
	forward := opts.Progress
	opts.Progress = func(e s3copy.Event) { // the copier serializes calls
		if e.Kind == s3copy.EventWarning && e.Err != nil {
			warnings = append(warnings, e.Err.Error())
		}
		if forward != nil {
			forward(e)
		}
	}
	copied, err := s3copy.New(p.Copier.S3, func(o *s3copy.Options) { *o = opts }).CopyAll(ctx, objs)
	return copied, warnings, err
}

func (p *Promoter) createGroup(ctx context.Context, plan *Plan) error {
	in := &sagemaker.CreateModelPackageGroupInput{
		ModelPackageGroupName:        aws.String(plan.TargetGroup),
		ModelPackageGroupDescription: aws.String("Promoted from " + p.Config.SourceGroupARN + " by smcd"),
	}
	if p.Config.ProjectID != "" {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(promotion.ProjectIDTag), Value: aws.String(p.Config.ProjectID)})
	}
	if p.Config.ProjectName != "" {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(promotion.ProjectNameTag), Value: aws.String(p.Config.ProjectName)})
	}
	_, err := p.TargetRegistry.CreateModelPackageGroup(ctx, in)
	switch awserr.Classify(err) {
	case awserr.None:
	case awserr.AlreadyExists:
		// Created meanwhile: by another run, or by this one when the SDK retried a call whose
		// answer was lost. Either way the group is there, which is all this step needs.
	default:
		return fmt.Errorf("create target model package group %s: %w", plan.TargetGroup, err)
	}
	return nil
}
