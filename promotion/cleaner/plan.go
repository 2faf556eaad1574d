package cleaner

import (
	"errors"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/cfn"

	"github.com/sagemaker-cd/sagemaker-cd/promotion"
)

// Package is what the core needs to know about one target model package.
type Package struct {
	// ARN is the target model package ARN.
	ARN string
	// Metadata is the package's CustomerMetadataProperties.
	Metadata map[string]string
}

// SourcePackagePrefix returns the prefix every model package ARN of the source group starts
// with, e.g. "arn:aws:sagemaker:us-east-1:444333666777:model-package/my-group/". SageMaker writes
// resource names lower case in ARNs, so the prefix is lower case and comparisons ignore case.
func SourcePackagePrefix(sourceGroupARN string) (string, error) {
	g, err := promotion.ParseGroupARN(sourceGroupARN)
	var bad *promotion.ConfigError
	if errors.As(err, &bad) {
		return "", errors.New(bad.Named("property " + PropSourceModelPackageGroupARN))
	}
	return strings.ToLower(strings.TrimSuffix(g.PackagesARN(), "*")), nil
}

// SelectPromoted returns, sorted, the ARNs of the packages whose lineage marker names a package
// of the source group. Packages without the marker, or promoted from another group (including a
// group whose name merely starts with the same letters), are kept.
func SelectPromoted(sourceGroupARN string, pkgs []Package) ([]string, error) {
	prefix, err := SourcePackagePrefix(sourceGroupARN)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range pkgs {
		src := strings.ToLower(p.Metadata[promotion.LineageKey])
		if strings.HasPrefix(src, prefix) && len(src) > len(prefix) && !strings.Contains(src[len(prefix):], "/") {
			out = append(out, p.ARN)
		}
	}
	sort.Strings(out)
	return out, nil
}

// ShouldClean decides whether a custom resource request must delete promoted packages: only a
// Delete request while the stack itself is being deleted (any DELETE_* stack status). A Delete
// that CloudFormation sends because the resource left the template during an update (status
// UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, e.g. retain_on_delete switched back to true) or during a
// rollback keeps the packages.
func ShouldClean(request cfn.RequestType, stackStatus string) bool {
	return request == cfn.RequestDelete && strings.HasPrefix(stackStatus, "DELETE_")
}
