package seedfarmer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-cd/sagemaker-cd/promote"
	"github.com/sagemaker-cd/sagemaker-cd/promotion"
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
	paramTargetPrefix     = "target_prefix"
	paramConcurrency      = "concurrency"
)

// settingParams names the module parameter of each setting of smcd promote
// (promotion.Settings, by environment variable): every setting is a parameter.
func settingParams() map[string]string {
	return map[string]string{
		promotion.EnvSourceGroupARN: paramSourceGroupARN,
		promotion.EnvTargetBucket:   paramTargetBucket,
		promotion.EnvTargetGroup:    paramTargetGroup,
		promotion.EnvTargetPrefix:   paramTargetPrefix,
		promotion.EnvKMSKeyARN:      paramKMSKeyARN,
		promotion.EnvSourceRoleARN:  paramSourceRoleARN,
		promotion.EnvApprovalStatus: paramApprovalStatus,
		promotion.EnvProjectID:      paramProjectID,
		promotion.EnvProjectName:    paramProjectName,
		promotion.EnvVerify:         paramVerifyMode,
		promotion.EnvConcurrency:    paramConcurrency,
	}
}

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

// loadConfig reads the Seedfarmer environment through getenv. It reports, in one line, every
// missing required variable, a retain_on_delete that is not a boolean and, when nothing is
// missing, the first invalid value as promote's Validate words it.
func loadConfig(getenv func(string) string) (*config, error) {
	c := &config{
		Project: getenv("SEEDFARMER_PROJECT_NAME"), Deployment: getenv("SEEDFARMER_DEPLOYMENT_NAME"),
		Module: getenv("SEEDFARMER_MODULE_NAME"),
		// The CDK CLI sets CDK_DEFAULT_* from its credentials; Seedfarmer's build sets the AWS_*
		// pair for the target account and region, which a synth without credentials still has.
		Account: firstSet(getenv, "CDK_DEFAULT_ACCOUNT", "AWS_ACCOUNT_ID"),
		Region:  firstSet(getenv, "CDK_DEFAULT_REGION", "AWS_DEFAULT_REGION"),
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
	// Every problem goes into one line, so a manifest is fixed in one round.
	var problems []string
	if len(missing) > 0 {
		problems = append(problems, "missing required environment: "+strings.Join(missing, ", "))
	}
	opt := func(p string) *string {
		if v := getenv(envName(p)); v != "" {
			return jsii.String(v)
		}
		return nil
	}
	c.Props = promote.ModelPackagePromotePipelineProps{
		EventBusName:            opt(paramEventBus),
		PermissionsBoundaryName: opt(paramBoundary),
		BuildComputeType:        opt(paramBuildComputeType),
	}
	// The promoter's settings go through promotion.Config, validated by its one validator.
	params := settingParams()
	var settings promotion.Config
	for _, st := range promotion.Settings() {
		st.Set(&settings, getenv(envName(params[st.Env])))
	}
	if v := getenv(envName(paramRetainOnDelete)); v != "" {
		b, err := strconv.ParseBool(strings.ToLower(v))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s %q: expected true or false", envName(paramRetainOnDelete), v))
		} else {
			c.Props.RetainOnDelete = jsii.Bool(b)
		}
	}
	if len(missing) == 0 {
		var bad *promotion.ConfigError
		if err := c.Props.SetSettings(settings); errors.As(err, &bad) {
			param := params[bad.Env]
			problems = append(problems, "invalid module parameter "+bad.Named(fmt.Sprintf("%s (%s)", param, envName(param))))
		} else if err != nil {
			problems = append(problems, "invalid module parameters: "+err.Error())
		} else if err := c.Props.Validate(c.Region); err != nil {
			problems = append(problems, "invalid module parameters: "+err.Error())
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return c, nil
}

// firstSet is the value of the first of names that is set.
func firstSet(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return ""
}
