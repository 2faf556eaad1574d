package promote

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// Suppression reasons, one per kind of wildcard the stack needs. Each suppression is scoped to one
// resource and lists exactly the findings it covers (appliesTo).
const (
	reasonArtifactGrants = "CDK's pipeline grants on the pipeline's own KMS-encrypted artifact bucket and key: objects are keyed per execution, and CodePipeline needs the Get/List/Put/Delete and GenerateDataKey/ReEncrypt families on them."
	reasonCodeBuildLogs  = "CDK's CodeBuild project grants: log streams of the project's own log group and its own report groups, whose names exist only at deploy time."
	reasonSourcePackages = "Versioned model packages of the source group: versions are created after deployment; the statement is limited to the one group (model-package/<group>/*)."
	reasonTargetPackages = "Versioned model packages of the target group: versions are created by each promotion; the statement is limited to the one group (model-package/<group>/*)."
	reasonSourceObjects  = "Source artifact buckets are named only inside each model package, so the statement cannot name them; it is constrained by the condition s3:ResourceAccount = the source account and allows reads only."
	reasonSourceKeys     = "Source objects may be encrypted with any key of the source account; kms:Decrypt is limited to that account's keys in this region and to use by S3 (kms:ViaService)."
	reasonTargetObjects  = "Promoted artifacts are written under keys derived from each package; the statement is limited to objects of the one target bucket."
	reasonTargetKey      = "kms:GenerateDataKey* (GenerateDataKey and GenerateDataKeyWithoutPlaintext, used by S3 SSE-KMS) on the one configured target key."
	reasonSearch         = "sagemaker:Search supports no resource-level permissions (resource \"*\" in the service authorization reference); it only reads, and the promoter filters it to the target group's packages with the lineage tag."
	reasonAccessLogs     = "This bucket receives the artifact bucket's server access logs; logging it to itself would loop."
)

func literal(s string) interface{} { return jsii.String(s) }

// seg matches one ARN field that may be a pseudo parameter, which cdk-nag renders as
// <AWS::Partition>, <AWS::Region> or <AWS::AccountId>.
const seg = `(?:<AWS::[A-Za-z]+>|[a-z0-9-]+)`

// pattern matches a cdk-nag finding whose ARN's partition, region and account may be tokens:
// every "~" in format stands for one such field.
func pattern(format string, names ...interface{}) interface{} {
	format = strings.ReplaceAll(format, "~", seg)
	quoted := make([]interface{}, len(names))
	for i, n := range names {
		quoted[i] = regexp.QuoteMeta(fmt.Sprint(n))
	}
	return &cdknag.RegexAppliesTo{Regex: jsii.String("/^" + fmt.Sprintf(format, quoted...) + "$/")}
}

func packagesPattern(group string) interface{} {
	return pattern(`Resource::arn:~:sagemaker:~:~:model-package/(%s|%s)/\*`, group, strings.ToLower(group))
}

func add(c constructs.IConstruct, id, reason string, appliesTo ...interface{}) {
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String(id), Reason: jsii.String(reason), AppliesTo: &appliesTo,
	}}, jsii.Bool(true))
}

func suppress(stack awscdk.Stack, m *modelPackagePromotePipeline, logs awss3.Bucket, r *resolved) {
	artifacts := m.pipeline.ArtifactBucket().Node().DefaultChild().(awscdk.CfnElement)
	artifactGrants := []interface{}{
		literal("Action::s3:GetObject*"), literal("Action::s3:GetBucket*"), literal("Action::s3:List*"),
		literal("Action::s3:DeleteObject*"), literal("Action::s3:Abort*"),
		literal("Action::kms:ReEncrypt*"), literal("Action::kms:GenerateDataKey*"),
		literal(fmt.Sprintf("Resource::<%s.Arn>/*", *stack.GetLogicalId(artifacts))),
	}
	// The pipeline role and its action roles.
	add(m.pipeline, "AwsSolutions-IAM5", reasonArtifactGrants, artifactGrants...)

	role := m.project.Role()
	add(role, "AwsSolutions-IAM5", reasonArtifactGrants, artifactGrants...)
	add(role, "AwsSolutions-IAM5", reasonCodeBuildLogs,
		pattern(`Resource::arn:~:logs:~:~:log-group:/aws/codebuild/<[A-Za-z0-9]+>:\*`),
		pattern(`Resource::arn:~:codebuild:~:~:report-group/<[A-Za-z0-9]+>-\*`))
	add(role, "AwsSolutions-IAM5", reasonSourcePackages, packagesPattern(r.sourceGroup))
	add(role, "AwsSolutions-IAM5", reasonTargetPackages, packagesPattern(r.targetGroup))
	add(role, "AwsSolutions-IAM5", reasonSourceObjects, pattern(`Resource::arn:~:s3:::\*`), pattern(`Resource::arn:~:s3:::\*/\*`))
	add(role, "AwsSolutions-IAM5", reasonSourceKeys, pattern(`Resource::arn:~:kms:%s:%s:key/\*`, r.source.Region, r.source.AccountID))
	add(role, "AwsSolutions-IAM5", reasonTargetObjects, pattern(`Resource::arn:~:s3:::%s/\*`, r.targetBucket))
	add(role, "AwsSolutions-IAM5", reasonSearch, literal("Resource::*"))
	if r.kmsKeyArn != "" {
		add(role, "AwsSolutions-IAM5", reasonTargetKey, literal("Action::kms:GenerateDataKey*"))
	}

	if cleaner := m.Node().TryFindChild(jsii.String("PackageCleaner")); cleaner != nil {
		add(cleaner, "AwsSolutions-IAM5", reasonTargetPackages, packagesPattern(r.targetGroup))
	}
	cdknag.NagSuppressions_AddResourceSuppressions(logs, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-S1"), Reason: jsii.String(reasonAccessLogs),
	}}, jsii.Bool(false))
}
