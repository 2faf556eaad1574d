package promote

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/sagemaker-cd/sagemaker-cd/promotion"
)

// Approval statuses a promoted package can be given.
const (
	ApprovalApproved              = "Approved"
	ApprovalPendingManualApproval = "PendingManualApproval"
)

var (
	eventBusRE   = regexp.MustCompile(`^[/.\-_A-Za-z0-9]{1,256}$`)
	policyNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
)

// computeTypes maps accepted compute sizes to the CDK enum values.
var computeTypes = map[string]string{
	"SMALL": "SMALL", "MEDIUM": "MEDIUM", "LARGE": "LARGE", "X_LARGE": "X_LARGE", "X2_LARGE": "X2_LARGE",
	"BUILD_GENERAL1_SMALL": "SMALL", "BUILD_GENERAL1_MEDIUM": "MEDIUM", "BUILD_GENERAL1_LARGE": "LARGE",
	"BUILD_GENERAL1_XLARGE": "X_LARGE", "BUILD_GENERAL1_2XLARGE": "X2_LARGE",
}

// settingProp is the prop of a promotion setting (promotion.Settings): every setting of
// `smcd promote` has one, so the pipeline can run the promoter with any configuration.
type settingProp struct {
	env, prop string
	// field is a string prop; number, when set instead, a number prop.
	field  func(*ModelPackagePromotePipelineProps) **string
	number func(*ModelPackagePromotePipelineProps) **float64
}

// text returns the prop's value as the setting's text (a number in decimal, as a flag would
// give it, so that promotion.Config.Validate names it), and whether the prop is set.
func (sp settingProp) text(p *ModelPackagePromotePipelineProps) (string, bool) {
	if sp.number != nil {
		if v := *sp.number(p); v != nil {
			return strconv.FormatFloat(*v, 'f', -1, 64), true
		}
		return "", false
	}
	if v := *sp.field(p); v != nil {
		return *v, true
	}
	return "", false
}

// numberToken reports whether the prop is a number set to an unresolved CDK token (string
// tokens are caught with the other string props).
func (sp settingProp) numberToken(p *ModelPackagePromotePipelineProps) bool {
	if sp.number == nil {
		return false
	}
	v := *sp.number(p)
	return v != nil && *awscdk.Token_IsUnresolved(*v)
}

// settingProps maps each promotion setting to its prop.
func settingProps() []settingProp {
	return []settingProp{
		{promotion.EnvSourceGroupARN, "SourceModelPackageGroupArn", func(p *ModelPackagePromotePipelineProps) **string { return &p.SourceModelPackageGroupArn }, nil},
		{promotion.EnvTargetBucket, "TargetBucketName", func(p *ModelPackagePromotePipelineProps) **string { return &p.TargetBucketName }, nil},
		{promotion.EnvTargetGroup, "TargetModelPackageGroupName", func(p *ModelPackagePromotePipelineProps) **string { return &p.TargetModelPackageGroupName }, nil},
		{promotion.EnvTargetPrefix, "TargetPrefix", func(p *ModelPackagePromotePipelineProps) **string { return &p.TargetPrefix }, nil},
		{promotion.EnvKMSKeyARN, "KmsKeyArn", func(p *ModelPackagePromotePipelineProps) **string { return &p.KmsKeyArn }, nil},
		{promotion.EnvSourceRoleARN, "SourceRoleArn", func(p *ModelPackagePromotePipelineProps) **string { return &p.SourceRoleArn }, nil},
		{promotion.EnvApprovalStatus, "ApprovalStatus", func(p *ModelPackagePromotePipelineProps) **string { return &p.ApprovalStatus }, nil},
		{promotion.EnvProjectID, "SagemakerProjectId", func(p *ModelPackagePromotePipelineProps) **string { return &p.SagemakerProjectId }, nil},
		{promotion.EnvProjectName, "SagemakerProjectName", func(p *ModelPackagePromotePipelineProps) **string { return &p.SagemakerProjectName }, nil},
		{promotion.EnvVerify, "VerifyMode", func(p *ModelPackagePromotePipelineProps) **string { return &p.VerifyMode }, nil},
		{promotion.EnvConcurrency, "Concurrency", nil, func(p *ModelPackagePromotePipelineProps) **float64 { return &p.Concurrency }},
	}
}

// PropOf returns the prop that sets a promotion setting, named by its environment variable
// (promotion.EnvTargetBucket gives "TargetBucketName"), or "" when there is none.
func PropOf(env string) string {
	for _, s := range settingProps() {
		if s.env == env {
			return s.prop
		}
	}
	return ""
}

// Setting returns the text of the prop of the promotion setting env (promotion.Settings; a
// number in decimal) and whether that prop is set.
func (p *ModelPackagePromotePipelineProps) Setting(env string) (string, bool) {
	for _, sp := range settingProps() {
		if sp.env == env {
			return sp.text(p)
		}
	}
	return "", false
}

// SetSettings validates cfg (promotion.Config.Validate, the rules of smcd promote) and sets the
// prop of every setting cfg gives, leaving the others as they are: how a front end that reads a
// promotion.Config, such as the Seedfarmer module, configures the construct. A cfg that does not
// validate changes nothing and its error is returned.
func (p *ModelPackagePromotePipelineProps) SetSettings(cfg promotion.Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	for _, sp := range settingProps() {
		v := promotion.SettingOf(sp.env).Get(cfg)
		switch {
		case v == "":
		case sp.number != nil:
			n, err := strconv.ParseFloat(v, 64)
			if err != nil { // Validate accepted it, so this is a bug of this package
				return fmt.Errorf("%s %q: %w", sp.prop, v, err)
			}
			*sp.number(p) = &n
		default:
			*sp.field(p) = &v
		}
	}
	return nil
}

// resolved holds the validated props with defaults applied.
type resolved struct {
	// config is the promoter's configuration (one validator: promotion.Config.Validate).
	config         promotion.Config
	source         promotion.GroupARN
	sourceGroup    string
	targetBucket   string
	targetGroup    string
	kmsKeyArn      string
	sourceRoleArn  string
	eventBus       string
	retainOnDelete bool
	boundary       string
	compute        string
	createOutputs  bool
}

// Validate checks every prop and returns the first problem as a one-line error naming the bad
// value and what was expected. stackRegion is the region the stack deploys to, or "" when unknown
// (an environment-agnostic stack); when known, ARNs must be in its partition and region. The
// promoter's settings follow promotion.Config.Validate, the rules of `smcd promote` too.
func (p *ModelPackagePromotePipelineProps) Validate(stackRegion string) error {
	_, err := p.resolve(stackRegion)
	return err
}

func (p *ModelPackagePromotePipelineProps) resolve(stackRegion string) (*resolved, error) {
	if p == nil {
		return nil, fmt.Errorf("props are nil: expected SourceModelPackageGroupArn and TargetBucketName")
	}
	if stackRegion != "" && promotion.ValidateRegion(stackRegion) != nil {
		return nil, fmt.Errorf("stack region %q: expected a region name such as us-east-1", stackRegion)
	}
	s := func(v *string) string {
		if v == nil {
			return ""
		}
		return *v
	}
	r := &resolved{eventBus: s(p.EventBusName), boundary: s(p.PermissionsBoundaryName), retainOnDelete: true, createOutputs: true}
	if p.RetainOnDelete != nil {
		r.retainOnDelete = *p.RetainOnDelete
	}
	if p.CreateOutputs != nil {
		r.createOutputs = *p.CreateOutputs
	}
	values := []string{r.eventBus, r.boundary, s(p.BuildComputeType)}
	for _, sp := range settingProps() {
		if sp.numberToken(p) {
			return nil, fmt.Errorf("%s is a token: expected literal values, which the construct validates", sp.prop)
		}
		v, set := sp.text(p)
		values = append(values, v)
		if set && v == "" && sp.env != promotion.EnvSourceGroupARN && sp.env != promotion.EnvTargetBucket {
			return nil, fmt.Errorf("%s \"\": expected a value, or nil for the default", sp.prop)
		}
		promotion.SettingOf(sp.env).Set(&r.config, v)
	}
	for _, v := range values {
		if *awscdk.Token_IsUnresolved(v) {
			return nil, fmt.Errorf("prop value %q is a token: expected literal values, which the construct validates and places into ARNs", v)
		}
	}
	if err := r.config.Validate(); err != nil {
		var missing *promotion.MissingError
		var bad *promotion.ConfigError
		switch {
		case errors.As(err, &missing):
			var props []string
			for _, env := range missing.Envs {
				props = append(props, PropOf(env))
			}
			return nil, fmt.Errorf("missing required props: %s", strings.Join(props, ", "))
		case errors.As(err, &bad) && PropOf(bad.Env) != "":
			return nil, errors.New(bad.Named(PropOf(bad.Env)))
		}
		return nil, err
	}
	src, err := promotion.ParseGroupARN(r.config.SourceGroupARN)
	if err != nil {
		return nil, err
	}
	r.source, r.sourceGroup = src, src.Name
	r.targetBucket, r.targetGroup = r.config.TargetBucket, r.config.Group()
	r.kmsKeyArn, r.sourceRoleArn = r.config.KMSKeyARN, r.config.SourceRoleARN
	if stackRegion != "" {
		if part := promotion.PartitionOf(stackRegion); src.Partition != part {
			return nil, fmt.Errorf("SourceModelPackageGroupArn %q: partition %q does not match the stack's region %s (partition %s)", r.config.SourceGroupARN, src.Partition, stackRegion, part)
		}
		if src.Region != stackRegion {
			return nil, fmt.Errorf("SourceModelPackageGroupArn %q: region %s does not match the stack's region %s (promotion works within one region)", r.config.SourceGroupARN, src.Region, stackRegion)
		}
	}
	if p.EventBusName != nil && !eventBusRE.MatchString(r.eventBus) {
		return nil, fmt.Errorf("EventBusName %q: expected an event bus name of 1-256 letters, digits, and . - _ /", r.eventBus)
	}
	if p.PermissionsBoundaryName != nil && !policyNameRE.MatchString(r.boundary) {
		return nil, fmt.Errorf("PermissionsBoundaryName %q: expected an IAM policy name (1-128 letters, digits and +=,.@_-), not an ARN or path", r.boundary)
	}
	r.compute = "SMALL"
	if p.BuildComputeType != nil {
		c, ok := computeTypes[strings.ToUpper(*p.BuildComputeType)]
		if !ok {
			return nil, fmt.Errorf("BuildComputeType %q: expected SMALL, MEDIUM, LARGE, X_LARGE or X2_LARGE", *p.BuildComputeType)
		}
		r.compute = c
	}
	return r, nil
}
