package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-cd/sagemaker-cd/promote"
)

// parameterPrefix is how Seedfarmer (publishGenericEnvVariables: true) passes module parameters:
// permissions-boundary-name and permissions_boundary_name both become
// SEEDFARMER_PARAMETER_PERMISSIONS_BOUNDARY_NAME.
const parameterPrefix = "SEEDFARMER_PARAMETER_"

// Parameter names as written in a manifest (the seed's names, then ours).
const (
	paramSourceGroupARN   = "source_model_package_group_arn"
	paramTargetBucket     = "target_bucket_name"
	paramEventBus         = "event_bus_name"
	paramTargetGroup      = "target_model_package_group_name"
	paramProjectID        = "sagemaker_project_id"
	paramProjectName      = "sagemaker_project_name"
	paramKMSKeyARN        = "kms_key_arn"
	paramRetainOnDelete   = "retain_on_delete"
	paramBoundary         = "permissions-boundary-name"
	paramApprovalStatus   = "approval_status"
	paramBuildComputeType = "build_compute_type"
	paramSourceRoleARN    = "source_role_arn"
	paramVerifyMode       = "verify_mode"
)

// envName returns the environment variable Seedfarmer sets for a manifest parameter.
func envName(param string) string {
	return parameterPrefix + strings.ToUpper(strings.ReplaceAll(param, "-", "_"))
}

// config is everything the app reads from its environment.
type config struct {
	Project, Deployment, Module string
	Account, Region             string // empty: an environment-agnostic stack
	Props                       promote.ModelPackagePromotePipelineProps
}

// StackName is the name Seedfarmer expects: <project>-<deployment>-<module>.
func (c *config) StackName() string {
	return c.Project + "-" + c.Deployment + "-" + c.Module
}

// loadConfig reads the Seedfarmer environment through getenv. It reports every missing required
// variable in one error, then the first invalid value (as promote's Validate words it).
func loadConfig(getenv func(string) string) (*config, error) {
	c := &config{
		Project: getenv("SEEDFARMER_PROJECT_NAME"), Deployment: getenv("SEEDFARMER_DEPLOYMENT_NAME"),
		Module: getenv("SEEDFARMER_MODULE_NAME"), Account: getenv("CDK_DEFAULT_ACCOUNT"), Region: getenv("CDK_DEFAULT_REGION"),
	}
	var missing []string
	for _, v := range []struct{ name, value string }{
		{"SEEDFARMER_PROJECT_NAME", c.Project}, {"SEEDFARMER_DEPLOYMENT_NAME", c.Deployment}, {"SEEDFARMER_MODULE_NAME", c.Module},
	} {
		if v.value == "" {
			missing = append(missing, v.name)
		}
	}
	for _, p := range []string{paramSourceGroupARN, paramTargetBucket} {
		if getenv(envName(p)) == "" {
			missing = append(missing, fmt.Sprintf("%s (parameter %s)", envName(p), p))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing required environment: %s", strings.Join(missing, ", "))
	}
	opt := func(p string) *string {
		if v := getenv(envName(p)); v != "" {
			return jsii.String(v)
		}
		return nil
	}
	c.Props = promote.ModelPackagePromotePipelineProps{
		SourceModelPackageGroupArn:  opt(paramSourceGroupARN),
		TargetBucketName:            opt(paramTargetBucket),
		EventBusName:                opt(paramEventBus),
		TargetModelPackageGroupName: opt(paramTargetGroup),
		SagemakerProjectId:          opt(paramProjectID),
		SagemakerProjectName:        opt(paramProjectName),
		KmsKeyArn:                   opt(paramKMSKeyARN),
		PermissionsBoundaryName:     opt(paramBoundary),
		ApprovalStatus:              opt(paramApprovalStatus),
		BuildComputeType:            opt(paramBuildComputeType),
		SourceRoleArn:               opt(paramSourceRoleARN),
		VerifyMode:                  opt(paramVerifyMode),
	}
	if v := getenv(envName(paramRetainOnDelete)); v != "" {
		b, err := strconv.ParseBool(strings.ToLower(v))
		if err != nil {
			return nil, fmt.Errorf("%s %q: expected true or false", envName(paramRetainOnDelete), v)
		}
		c.Props.RetainOnDelete = jsii.Bool(b)
	}
	if err := c.Props.Validate(c.Region); err != nil {
		return nil, fmt.Errorf("invalid module parameters: %w", err)
	}
	return c, nil
}
