package promotebench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/promotion"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter/promotertest"
)

// nothingToPromote measures a run that finds the latest approved package already promoted,
// with target groups that hold Existing other packages (promoted earlier) besides it.
func (b *bench) nothingToPromote(ctx context.Context, w io.Writer) error {
	delay := slices.Max(b.opts.Delays)
	fmt.Fprintf(w, "\nA run with nothing to promote (the latest approved package is already in the target group), %s per request, median of %d runs\n\n", delay, b.opts.Runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "other packages in the target group\tresult\tSageMaker requests\tS3 requests\twall\t")
	for _, n := range b.opts.Existing {
		group := fmt.Sprintf("noop-%d", n)
		b.proxy.SetLatency(b.model(0))
		if err := b.fillTarget(ctx, group, n); err != nil {
			return err
		}
		b.seq++
		if _, err := b.promoter(b.env.SourceCfg, b.env.TargetCfg, group, "noop").Promote(ctx); err != nil {
			return fmt.Errorf("bench promote into %s: %w", group, err)
		}
		b.proxy.SetLatency(b.model(delay))
		var ms []Measurement
		var action promotion.Action
		for range b.opts.Runs {
			p := b.promoter(b.env.SourceCfg, b.env.TargetCfg, group, "noop")
			b.proxy.Reset()
			start := time.Now()
			res, err := p.Promote(ctx)
			if err != nil {
				return fmt.Errorf("bench re-run into %s: %w", group, err)
			}
			m := Measurement{Wall: time.Since(start)}
			b.counts(&m)
			ms = append(ms, m)
			action = res.Action
		}
		m := medianRun(ms)
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\t\n", n, action, m.Registry, m.S3Requests, m.Wall.Round(time.Millisecond))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "Target: the same small number of requests whatever the target group holds.")
	return nil
}

// fillTarget creates the target group with n packages promoted earlier from other source packages.
func (b *bench) fillTarget(ctx context.Context, group string, n int) error {
	if _, err := b.env.TargetSM.CreateModelPackageGroup(ctx, &sagemaker.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String(group)}); err != nil {
		return fmt.Errorf("create model package group %s: %w", group, err)
	}
	for i := range n {
		src := fmt.Sprintf("arn:aws:sagemaker:us-east-1:%s:model-package/bench/%d", promotertest.SourceAccount, 1000+i)
		_, err := b.env.TargetSM.CreateModelPackage(ctx, &sagemaker.CreateModelPackageInput{
			ModelPackageGroupName: aws.String(group), ModelApprovalStatus: types.ModelApprovalStatusApproved,
			CustomerMetadataProperties: map[string]string{promotion.LineageKey: src},
			InferenceSpecification: &types.InferenceSpecification{
				Containers:            []types.ModelPackageContainerDefinition{{Image: aws.String("bench"), ModelDataUrl: aws.String("s3://" + b.env.TargetBucket + "/old/model.tar.gz")}},
				SupportedContentTypes: []string{"application/octet-stream"}, SupportedResponseMIMETypes: []string{"application/json"}},
		})
		if err != nil {
			return fmt.Errorf("create model package %d in %s: %w", i, group, err)
		}
	}
	return nil
}
