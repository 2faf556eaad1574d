package cleaner

import (
	"github.com/sagemaker-cd/sagemaker-cd/promotion"

	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
)

const srcGroup = "arn:aws:sagemaker:us-east-1:444333666777:model-package-group/my-model-pkg"

func TestSelectPromoted(t *testing.T) {
	lineage := func(v string) map[string]string { return map[string]string{promotion.LineageKey: v} }
	tests := []struct {
		name   string
		source string
		pkgs   []Package
		want   []string
	}{
		{"empty group", srcGroup, nil, nil},
		{
			name:   "only packages promoted from the source group",
			source: srcGroup,
			pkgs: []Package{
				{ARN: "t/3", Metadata: lineage("arn:aws:sagemaker:us-east-1:444333666777:model-package/my-model-pkg/7")},
				{ARN: "t/1", Metadata: lineage("arn:aws:sagemaker:us-east-1:444333666777:model-package/my-model-pkg/2")},
				{ARN: "t/2", Metadata: nil},
				{ARN: "t/4", Metadata: map[string]string{"owner": "data-science"}},
			},
			want: []string{"t/1", "t/3"},
		},
		{
			name:   "a group whose name starts with the source name is another group",
			source: srcGroup,
			pkgs: []Package{
				{ARN: "t/1", Metadata: lineage("arn:aws:sagemaker:us-east-1:444333666777:model-package/my-model-pkg-2/1")},
				{ARN: "t/2", Metadata: lineage("arn:aws:sagemaker:us-east-1:444333666777:model-package/my-model-pkg/1")},
			},
			want: []string{"t/2"},
		},
		{
			name:   "another account or region is another group",
			source: srcGroup,
			pkgs: []Package{
				{ARN: "t/1", Metadata: lineage("arn:aws:sagemaker:us-east-1:999988887777:model-package/my-model-pkg/1")},
				{ARN: "t/2", Metadata: lineage("arn:aws:sagemaker:eu-west-1:444333666777:model-package/my-model-pkg/1")},
			},
			want: nil,
		},
		{
			name:   "ARNs compare without case (SageMaker lowercases names in ARNs)",
			source: "arn:aws:sagemaker:us-east-1:444333666777:model-package-group/My-Model-Pkg",
			pkgs: []Package{
				{ARN: "t/1", Metadata: lineage("arn:aws:sagemaker:us-east-1:444333666777:model-package/my-model-pkg/1")},
			},
			want: []string{"t/1"},
		},
		{
			name:   "the group ARN itself or a bare prefix is not a package",
			source: srcGroup,
			pkgs: []Package{
				{ARN: "t/1", Metadata: lineage(srcGroup)},
				{ARN: "t/2", Metadata: lineage("arn:aws:sagemaker:us-east-1:444333666777:model-package/my-model-pkg/")},
				{ARN: "t/3", Metadata: lineage("arn:aws:sagemaker:us-east-1:444333666777:model-package/my-model-pkg/1/x")},
			},
			want: nil,
		},
		{
			name:   "other partitions work",
			source: "arn:aws-cn:sagemaker:cn-north-1:444333666777:model-package-group/g",
			pkgs: []Package{
				{ARN: "t/1", Metadata: lineage("arn:aws-cn:sagemaker:cn-north-1:444333666777:model-package/g/4")},
				{ARN: "t/2", Metadata: lineage("arn:aws:sagemaker:cn-north-1:444333666777:model-package/g/4")},
			},
			want: []string{"t/1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SelectPromoted(tt.source, tt.pkgs)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SelectPromoted = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSelectPromotedBadSource(t *testing.T) {
	for _, bad := range []string{"", "my-model-pkg", "arn:aws:sagemaker:us-east-1:444333666777:model-package/my-model-pkg/1", "arn:aws:s3:::bucket"} {
		_, err := SelectPromoted(bad, []Package{{ARN: "t/1"}})
		if err == nil || !strings.Contains(err.Error(), "expected arn:<partition>:sagemaker") {
			t.Errorf("SelectPromoted(%q) error = %v, want a format error", bad, err)
		}
	}
}

func TestShouldClean(t *testing.T) {
	tests := []struct {
		req    cfn.RequestType
		status string
		want   bool
	}{
		{cfn.RequestDelete, "DELETE_IN_PROGRESS", true},
		{cfn.RequestDelete, "DELETE_FAILED", true}, // a retried stack deletion
		{cfn.RequestDelete, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", false},
		{cfn.RequestDelete, "UPDATE_ROLLBACK_IN_PROGRESS", false},
		{cfn.RequestDelete, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", false},
		{cfn.RequestDelete, "ROLLBACK_IN_PROGRESS", false},
		{cfn.RequestCreate, "CREATE_IN_PROGRESS", false},
		{cfn.RequestUpdate, "UPDATE_IN_PROGRESS", false},
		{cfn.RequestCreate, "DELETE_IN_PROGRESS", false},
	}
	for _, tt := range tests {
		if got := ShouldClean(tt.req, tt.status); got != tt.want {
			t.Errorf("ShouldClean(%s, %s) = %v, want %v", tt.req, tt.status, got, tt.want)
		}
	}
}
