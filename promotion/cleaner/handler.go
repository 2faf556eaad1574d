package cleaner

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/sagemaker-cd/sagemaker-cd/promotion"
)

// Resource property names the construct passes to the custom resource.
const (
	// PropSourceModelPackageGroupARN is the source model package group ARN property.
	PropSourceModelPackageGroupARN = "SourceModelPackageGroupArn"
	// PropTargetModelPackageGroupName is the target model package group name property.
	PropTargetModelPackageGroupName = "TargetModelPackageGroupName"
)

// SageMakerAPI is the part of the SageMaker client the cleaner uses.
type SageMakerAPI interface {
	ListModelPackages(ctx context.Context, in *sagemaker.ListModelPackagesInput, optFns ...func(*sagemaker.Options)) (*sagemaker.ListModelPackagesOutput, error)
	DescribeModelPackage(ctx context.Context, in *sagemaker.DescribeModelPackageInput, optFns ...func(*sagemaker.Options)) (*sagemaker.DescribeModelPackageOutput, error)
	DeleteModelPackage(ctx context.Context, in *sagemaker.DeleteModelPackageInput, optFns ...func(*sagemaker.Options)) (*sagemaker.DeleteModelPackageOutput, error)
}

// CloudFormationAPI is the part of the CloudFormation client the cleaner uses.
type CloudFormationAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

var (
	_ SageMakerAPI      = (*sagemaker.Client)(nil)
	_ CloudFormationAPI = (*cloudformation.Client)(nil)
)

// Handler serves the package-cleaner custom resource. Wrap Handle with cfn.LambdaWrap.
type Handler struct {
	// SageMaker lists, describes and deletes target model packages.
	SageMaker SageMakerAPI
	// CloudFormation tells a stack deletion from a resource removed by an update.
	CloudFormation CloudFormationAPI
	// Logf records what the handler decided (default: discard).
	Logf func(format string, args ...any)
}

// Handle answers one custom resource request. Create and Update do nothing and return a stable
// physical ID (so CloudFormation never replaces the resource and never sends a Delete for an old
// one); Delete removes the promoted packages when the stack is being deleted. The data returned
// holds "Deleted", the number of packages removed.
func (h *Handler) Handle(ctx context.Context, event cfn.Event) (string, map[string]any, error) {
	source, _ := event.ResourceProperties[PropSourceModelPackageGroupARN].(string)
	target, _ := event.ResourceProperties[PropTargetModelPackageGroupName].(string)
	if _, err := SourcePackagePrefix(source); err != nil {
		return event.PhysicalResourceID, nil, fmt.Errorf("package cleaner: %w", err)
	}
	if err := promotion.ValidateGroupName(target); err != nil {
		return event.PhysicalResourceID, nil, fmt.Errorf("package cleaner: property %s %q: %w", PropTargetModelPackageGroupName, target, err)
	}
	switch event.RequestType {
	case cfn.RequestCreate:
		return "smcd-package-cleaner-" + target, map[string]any{"Deleted": "0"}, nil
	case cfn.RequestUpdate:
		return event.PhysicalResourceID, map[string]any{"Deleted": "0"}, nil
	}
	status, err := h.stackStatus(ctx, event.StackID)
	if err != nil {
		return event.PhysicalResourceID, nil, err
	}
	if !ShouldClean(event.RequestType, status) {
		h.logf("stack %s is %s, not being deleted: keeping the promoted model packages in %s", event.StackID, status, target)
		return event.PhysicalResourceID, map[string]any{"Deleted": "0"}, nil
	}
	n, err := h.Clean(ctx, source, target)
	return event.PhysicalResourceID, map[string]any{"Deleted": strconv.Itoa(n)}, err
}

// Clean deletes the model packages of the target group promoted from the source group and
// returns how many it deleted. A target group that does not exist holds nothing to delete.
func (h *Handler) Clean(ctx context.Context, sourceGroupARN, targetGroup string) (int, error) {
	var pkgs []Package
	p := sagemaker.NewListModelPackagesPaginator(h.SageMaker, &sagemaker.ListModelPackagesInput{ModelPackageGroupName: aws.String(targetGroup)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("list model packages in %s: %w", targetGroup, err)
		}
		for _, s := range page.ModelPackageSummaryList {
			arn := aws.ToString(s.ModelPackageArn)
			d, err := h.SageMaker.DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: aws.String(arn)})
			if err != nil {
				return 0, fmt.Errorf("describe model package %s: %w", arn, err)
			}
			pkgs = append(pkgs, Package{ARN: arn, Metadata: d.CustomerMetadataProperties})
		}
	}
	doomed, err := SelectPromoted(sourceGroupARN, pkgs)
	if err != nil {
		return 0, err
	}
	for i, arn := range doomed {
		if _, err := h.SageMaker.DeleteModelPackage(ctx, &sagemaker.DeleteModelPackageInput{ModelPackageName: aws.String(arn)}); err != nil {
			return i, fmt.Errorf("delete model package %s: %w", arn, err)
		}
		h.logf("deleted promoted model package %s", arn)
	}
	h.logf("deleted %d of %d model packages in %s (promoted from %s)", len(doomed), len(pkgs), targetGroup, sourceGroupARN)
	return len(doomed), nil
}

func (h *Handler) stackStatus(ctx context.Context, stackID string) (string, error) {
	out, err := h.CloudFormation.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stackID)})
	if err != nil {
		return "", fmt.Errorf("describe stack %s: %w", stackID, err)
	}
	if len(out.Stacks) != 1 {
		return "", fmt.Errorf("describe stack %s: expected one stack, got %d", stackID, len(out.Stacks))
	}
	return string(out.Stacks[0].StackStatus), nil
}

func (h *Handler) logf(format string, args ...any) {
	if h.Logf != nil {
		h.Logf(format, args...)
	}
}
