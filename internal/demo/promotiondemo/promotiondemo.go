// Package promotiondemo shows cross-account model package promotion in the local emulator, in
// words a person can follow: a source registry in account 444333666777 with v1 Approved,
// v2 Approved and v3 Rejected, promoted into the default account, then promoted again.
package promotiondemo

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
	"github.com/sagemaker-cd/sagemaker-cd/promotion"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter/promotertest"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

// Run builds the source registry in moto, promotes, and narrates to w. It resets the emulator.
func Run(ctx context.Context, w io.Writer, moto *testkit.Moto) error {
	env, err := promotertest.New(ctx, moto)
	if err != nil {
		return err
	}
	say := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	say("== Cross-account model package promotion ==")
	say("Source account %s: model package group \"churn\" and bucket %s.", promotertest.SourceAccount, env.SourceBucket)
	groupARN, err := env.CreateGroup(ctx, "churn")
	if err != nil {
		return err
	}
	versions := []struct {
		status types.ModelApprovalStatus
		size   int
	}{{types.ModelApprovalStatusApproved, 300 << 10}, {types.ModelApprovalStatusApproved, 7 << 20}, {types.ModelApprovalStatusRejected, 200 << 10}}
	for i, v := range versions {
		key := fmt.Sprintf("churn/v%d/model.tar.gz", i+1)
		uri, err := env.Put(ctx, key, promotertest.Data(uint64(i+1), v.size))
		if err != nil {
			return err
		}
		in := &sagemaker.CreateModelPackageInput{
			InferenceSpecification: &types.InferenceSpecification{
				Containers: []types.ModelPackageContainerDefinition{{
					Image: aws.String("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"), ModelDataUrl: aws.String(uri)}},
				SupportedContentTypes: []string{"text/csv"}, SupportedResponseMIMETypes: []string{"text/csv"},
			},
		}
		if i == 1 {
			stats, err := env.Put(ctx, "churn/v2/evaluation/statistics.json", []byte(`{"auc": 0.91}`))
			if err != nil {
				return err
			}
			in.ModelMetrics = &types.ModelMetrics{ModelQuality: &types.ModelQuality{Statistics: &types.MetricsSource{ContentType: aws.String("application/json"), S3Uri: aws.String(stats)}}}
		}
		if _, err := env.Register(ctx, "churn", v.status, "", in); err != nil {
			return err
		}
		say("  registered version %d (%s) with %s (%s)", i+1, v.status, uri, size(int64(v.size)))
	}
	say("")
	say("Target account %s: bucket %s; no model package group yet.", testkit.DefaultAccountID, env.TargetBucket)
	say("The promoter reads the source through role %s and copies server-side.", env.SourceRoleARN)
	say("")

	p := env.Promoter(promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket, ProjectID: "p-demo", ProjectName: "churn"},
		s3copy.Options{MultipartThreshold: 6 << 20, PartSize: 5 << 20}, false)
	p.Copier.Options.Progress = func(e s3copy.Event) {
		if e.Kind == s3copy.EventObjectDone {
			c := e.Copied
			how := "one CopyObject call"
			if c.Parts > 0 {
				how = fmt.Sprintf("%d UploadPartCopy parts in parallel", c.Parts)
			}
			say("  copied %s\n      -> %s\n      %s, %s, verified (%s)", c.Source.URI(), c.Target.URI(), size(c.Size), how, c.Verified)
		}
	}
	plan, err := p.Plan(ctx)
	if err != nil {
		return err
	}
	say("Step 1: choose the package.")
	say("  Listing Approved packages newest first: %s", plan.Reason)
	say("  (version 3 is newer but Rejected, so it is never promoted.)")
	say("")
	say("Step 2: copy every artifact and verify each copy before registering anything.")
	res, err := p.Promote(ctx)
	if err != nil {
		return err
	}
	say("")
	say("Step 3: register in the target account.")
	say("  created target group \"churn\" tagged sagemaker:project-id=p-demo, sagemaker:project-name=churn")
	say("  registered %s", res.TargetARN)
	d, err := env.TargetSM.DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: aws.String(res.TargetARN)})
	if err != nil {
		return err
	}
	say("  status %s; lineage %s = %s", d.ModelApprovalStatus, promotion.LineageKey, d.CustomerMetadataProperties[promotion.LineageKey])
	say("  model data: %s", aws.ToString(d.InferenceSpecification.Containers[0].ModelDataUrl))
	say("Result: the target registry now holds version 2 with %d copied, verified artifacts (%s); the promoter moved 0 bytes itself.", len(res.Objects), size(res.Bytes))
	say("")
	say("Step 4: run again (as a superseding pipeline run would).")
	again, err := p.Promote(ctx)
	if err != nil {
		return err
	}
	if again.Action != promotion.ActionUpToDate {
		return fmt.Errorf("second promotion: got %s, want %s", again.Action, promotion.ActionUpToDate)
	}
	say("  already up to date: nothing copied, nothing registered (%s).", again.TargetARN)
	return nil
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
