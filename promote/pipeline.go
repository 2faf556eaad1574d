package promote

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-cd/sagemaker-cd/events"
	"github.com/sagemaker-cd/sagemaker-cd/internal/gobuild"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/cleaner"
)

// Packages compiled at synth into the pipeline's assets.
const (
	promoterPackage = "github.com/sagemaker-cd/sagemaker-cd/cmd/smcd"
	cleanerPackage  = "github.com/sagemaker-cd/sagemaker-cd/cmd/package-cleaner"
)

// Output names: the stack outputs (and the keys of the metadata output) Seedfarmer publishes.
const (
	OutputPipelineArn   = "PipelineArn"
	OutputPipelineName  = "PipelineName"
	OutputEventRuleArn  = "EventRuleArn"
	OutputEventRuleName = "EventRuleName"
	OutputMetadata      = "metadata"
)

// ModelPackagePromotePipeline is a deployed promote pipeline.
type ModelPackagePromotePipeline interface {
	constructs.Construct
	// Pipeline is the CodePipeline (V2) that promotes.
	Pipeline() awscodepipeline.Pipeline
	// Project is the CodeBuild project that runs `smcd promote`.
	Project() awscodebuild.PipelineProject
	// Rule is the EventBridge rule that starts the pipeline, nil without an event bus.
	Rule() awsevents.Rule
	// PipelineArn is the pipeline's ARN.
	PipelineArn() *string
	// PipelineName is the pipeline's name.
	PipelineName() *string
	// EventRuleArn is the rule's ARN, nil without an event bus.
	EventRuleArn() *string
	// EventRuleName is the rule's name as CloudFormation reports it for a rule on a custom bus,
	// "<bus>|<rule>" (the seed's example), nil without an event bus.
	EventRuleName() *string
}

type modelPackagePromotePipeline struct {
	constructs.Construct
	pipeline awscodepipeline.Pipeline
	project  awscodebuild.PipelineProject
	rule     awsevents.Rule
}

func (m *modelPackagePromotePipeline) Pipeline() awscodepipeline.Pipeline    { return m.pipeline }
func (m *modelPackagePromotePipeline) Project() awscodebuild.PipelineProject { return m.project }
func (m *modelPackagePromotePipeline) Rule() awsevents.Rule                  { return m.rule }
func (m *modelPackagePromotePipeline) PipelineArn() *string                  { return m.pipeline.PipelineArn() }
func (m *modelPackagePromotePipeline) PipelineName() *string                 { return m.pipeline.PipelineName() }

func (m *modelPackagePromotePipeline) EventRuleArn() *string {
	if m.rule == nil {
		return nil
	}
	return m.rule.RuleArn()
}

func (m *modelPackagePromotePipeline) EventRuleName() *string {
	if m.rule == nil {
		return nil
	}
	// Ref of an AWS::Events::Rule on a custom bus is "<bus>|<rule>"; RuleName is that Ref.
	return m.rule.RuleName()
}

// NewModelPackagePromotePipeline builds the promote pipeline in scope. It panics with a one-line
// message naming the bad value when props are invalid (see Validate), before creating anything.
//
// Unless CreateOutputs is false, it adds the stack outputs PipelineArn, PipelineName,
// EventRuleArn and EventRuleName (the last two with an event bus) and "metadata", a JSON object
// of the same keys for Seedfarmer; their logical IDs are exactly these names, so at most one
// promote pipeline per stack can create them (a second one panics, naming CreateOutputs). With
// PermissionsBoundaryName, the boundary is applied to every IAM role of the whole stack, roles
// added by the user and CDK's helper roles included; all promote pipelines of a stack that set it
// must name the same policy (a different one panics, naming PermissionsBoundaryName).
func NewModelPackagePromotePipeline(scope constructs.Construct, id *string, props *ModelPackagePromotePipelineProps) ModelPackagePromotePipeline {
	stack := awscdk.Stack_Of(scope)
	region := *stack.Region()
	if *awscdk.Token_IsUnresolved(region) {
		region = ""
	}
	r, err := props.resolve(region)
	if err != nil {
		panic("promote: " + err.Error())
	}
	if r.createOutputs && stack.Node().TryFindChild(jsii.String(outputsID)) != nil {
		panic(fmt.Sprintf("promote: %s: stack %s already has a promote pipeline's outputs (%s, with fixed logical IDs); set CreateOutputs=false on all promote pipelines of a stack but one",
			*id, *stack.StackName(), strings.Join([]string{OutputPipelineArn, OutputPipelineName, OutputEventRuleArn, OutputEventRuleName, OutputMetadata}, ", ")))
	}
	if err := boundaryConflict(stack, r.boundary); err != nil {
		panic(fmt.Sprintf("promote: %s: %v", *id, err))
	}
	promoterDir, err := gobuild.Build(gobuild.Spec{Package: promoterPackage, Arch: "amd64", Binary: "smcd"})
	if err != nil {
		panic("promote: build the promoter: " + err.Error())
	}
	var cleanerDir string
	if !r.retainOnDelete {
		if cleanerDir, err = gobuild.Build(gobuild.Spec{Package: cleanerPackage, Arch: "arm64", Tags: []string{"lambda.norpc"}}); err != nil {
			panic("promote: build the package cleaner: " + err.Error())
		}
	}

	this := constructs.NewConstruct(scope, id)
	// Grant S3 log delivery through a bucket policy (not the legacy ACL), so both buckets can
	// enforce bucket-owner object ownership.
	this.Node().SetContext(jsii.String("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"), true)
	m := &modelPackagePromotePipeline{Construct: this}
	a := newARNs(stack, r)

	key := awskms.NewKey(this, jsii.String("ArtifactKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the promote pipeline's artifacts and build output"),
		EnableKeyRotation: jsii.Bool(true),
	})
	logs := awss3.NewBucket(this, jsii.String("AccessLogs"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:         jsii.Bool(true),
	})
	artifacts := awss3.NewBucket(this, jsii.String("Artifacts"), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_KMS,
		EncryptionKey:          key,
		BucketKeyEnabled:       jsii.Bool(true),
		EnforceSSL:             jsii.Bool(true),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:              jsii.Bool(true),
		ServerAccessLogsBucket: logs,
		ServerAccessLogsPrefix: jsii.String("artifacts/"),
	})

	// The source stage: the promoter binary, compiled at synth, as an S3 object in the CDK assets
	// bucket (versioned by the bootstrap template, as a CodePipeline S3 source requires).
	promoter := awss3assets.NewAsset(this, jsii.String("Promoter"), &awss3assets.AssetProps{Path: jsii.String(promoterDir)})
	promoterOut := awscodepipeline.NewArtifact(jsii.String("Promoter"), nil)
	source := awscodepipelineactions.NewS3SourceAction(&awscodepipelineactions.S3SourceActionProps{
		ActionName: jsii.String("Promoter"),
		Bucket:     promoter.Bucket(),
		BucketKey:  promoter.S3ObjectKey(),
		Output:     promoterOut,
		Trigger:    awscodepipelineactions.S3Trigger_NONE,
	})

	m.project = awscodebuild.NewPipelineProject(this, jsii.String("Promote"), &awscodebuild.PipelineProjectProps{
		Description: jsii.String(fmt.Sprintf("Promotes the latest approved model package of %s into %s", r.sourceGroup, r.targetGroup)),
		Environment: &awscodebuild.BuildEnvironment{
			BuildImage:  awscodebuild.LinuxBuildImage_STANDARD_7_0(),
			ComputeType: awscodebuild.ComputeType(r.compute),
		},
		EncryptionKey:        key,
		Timeout:              awscdk.Duration_Hours(jsii.Number(2)),
		EnvironmentVariables: buildEnv(r),
		// The promoter copies server-side (CopyObject / UploadPartCopy): no artifact bytes pass
		// through the build host, and no CDK runs inside the pipeline.
		BuildSpec: awscodebuild.BuildSpec_FromObject(&map[string]interface{}{
			"version": "0.2",
			"phases": map[string]interface{}{
				"build": map[string]interface{}{
					"commands": []string{"chmod +x ./smcd", "./smcd promote --output json"},
				},
			},
		}),
	})
	for _, s := range promoterStatements(a, r) {
		m.project.AddToRolePolicy(s)
	}

	m.pipeline = awscodepipeline.NewPipeline(this, jsii.String("Pipeline"), &awscodepipeline.PipelineProps{
		PipelineType: awscodepipeline.PipelineType_V2,
		// SUPERSEDED: every run converges the target to the source group's latest state (latest
		// approved package promoted, rejected ones marked), so a newer run that supersedes an
		// older one loses nothing, and a burst of approvals costs one promotion.
		ExecutionMode:            awscodepipeline.ExecutionMode_SUPERSEDED,
		ArtifactBucket:           artifacts,
		RestartExecutionOnUpdate: jsii.Bool(false),
		Stages: &[]*awscodepipeline.StageProps{
			{StageName: jsii.String("Source"), Actions: &[]awscodepipeline.IAction{source}},
			{StageName: jsii.String("Promote"),
				// One automatic retry of a failed promotion (CodePipeline V2 stage retry): a run
				// converges, so retrying is safe, and one lost answer (say a network reset while
				// registering) does not leave the package waiting for the next approval event.
				OnFailure: &awscodepipeline.FailureConditions{Result: awscodepipeline.Result_RETRY, RetryMode: awscodepipeline.RetryMode_FAILED_ACTIONS},
				Actions: &[]awscodepipeline.IAction{
					awscodepipelineactions.NewCodeBuildAction(&awscodepipelineactions.CodeBuildActionProps{
						ActionName: jsii.String("Promote"),
						Project:    m.project,
						Input:      promoterOut,
					}),
				}},
		},
	})

	if r.eventBus != "" {
		m.rule = newRule(this, m.pipeline, r)
	}
	if !r.retainOnDelete {
		newCleaner(this, cleanerDir, a, r)
	}
	if r.boundary != "" {
		applyBoundary(stack, r.boundary)
	}
	if r.createOutputs {
		addOutputs(stack, m)
	}
	suppress(stack, m, logs, r)
	return m
}

// buildEnv is the promoter's configuration, as the environment variables `smcd promote` reads
// (promotion.Config.Env: the one env contract).
func buildEnv(r *resolved) *map[string]*awscodebuild.BuildEnvironmentVariable {
	env := map[string]*awscodebuild.BuildEnvironmentVariable{}
	c := r.config
	// The defaults are written out, so the build's environment shows the whole configuration.
	c.TargetGroup, c.ApprovalStatus, c.Verify, c.Concurrency = r.targetGroup, c.Status(), c.VerifyMode(), c.CopyConcurrency()
	for k, v := range c.Env() {
		env[k] = &awscodebuild.BuildEnvironmentVariable{Value: jsii.String(v)}
	}
	return &env
}

// newRule starts the pipeline on the source group's Approved and Rejected events.
func newRule(scope constructs.Construct, pipeline awscodepipeline.Pipeline, r *resolved) awsevents.Rule {
	bus := awsevents.EventBus_FromEventBusName(scope, jsii.String("Bus"), jsii.String(r.eventBus))
	rule := awsevents.NewRule(scope, jsii.String("SageMakerModelPackageStateChange"), &awsevents.RuleProps{
		EventBus:    bus,
		Description: jsii.String(fmt.Sprintf("Starts the promote pipeline when a model package of %s is Approved or Rejected", r.sourceGroup)),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(events.SourceSageMaker),
			DetailType: jsii.Strings(events.DetailTypeModelPackageStateChange),
			Account:    jsii.Strings(r.source.AccountID),
			Detail: &map[string]interface{}{
				"ModelPackageGroupName": []string{r.sourceGroup},
				"ModelApprovalStatus":   []string{"Approved", "Rejected"},
			},
		},
	})
	// The role may start this pipeline and nothing else (codepipeline:StartPipelineExecution on
	// the pipeline ARN, added by the target).
	role := awsiam.NewRole(scope, jsii.String("RuleRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
		Description: jsii.String("Lets EventBridge start the promote pipeline"),
	})
	rule.AddTarget(awseventstargets.NewCodePipeline(pipeline, &awseventstargets.CodePipelineTargetOptions{EventRole: role}))
	return rule
}

// newCleaner adds the custom resource that removes the promoted packages on stack deletion.
func newCleaner(scope constructs.Construct, dir string, a *arns, r *resolved) {
	c := constructs.NewConstruct(scope, jsii.String("PackageCleaner"))
	logGroup := awslogs.NewLogGroup(c, jsii.String("Logs"), &awslogs.LogGroupProps{Retention: awslogs.RetentionDays_THREE_MONTHS})
	// Inline policies (part of the role resource) so CloudFormation cannot delete the permissions
	// before the custom resource's Delete request has run.
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Deletes promoted model packages of the target group on stack deletion"),
		InlinePolicies: &map[string]awsiam.PolicyDocument{
			"Clean": awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
				awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Sid:       jsii.String("Logs"),
					Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
					Resources: &[]*string{jsii.String(*logGroup.LogGroupArn())},
				}),
				awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Sid:       jsii.String("TargetPackages"),
					Actions:   jsii.Strings("sagemaker:ListModelPackages", "sagemaker:DescribeModelPackage", "sagemaker:DeleteModelPackage"),
					Resources: a.target,
				}),
				awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Sid:       jsii.String("StackStatus"),
					Actions:   jsii.Strings("cloudformation:DescribeStacks"),
					Resources: jsii.Strings(*awscdk.Aws_STACK_ID()),
				}),
			}}),
		},
	})
	fn := awslambda.NewFunction(c, jsii.String("Function"), &awslambda.FunctionProps{
		Description:  jsii.String("Deletes promoted model packages on stack deletion (retain_on_delete=false)"),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(dir), nil),
		Role:         role,
		LogGroup:     logGroup,
		MemorySize:   jsii.Number(128),
		Timeout:      awscdk.Duration_Minutes(jsii.Number(5)),
	})
	awscdk.NewCustomResource(c, jsii.String("Resource"), &awscdk.CustomResourceProps{
		ServiceToken: fn.FunctionArn(),
		ResourceType: jsii.String("Custom::ModelPackageCleaner"),
		Properties: &map[string]interface{}{
			cleaner.PropSourceModelPackageGroupARN:  r.source.String(),
			cleaner.PropTargetModelPackageGroupName: r.targetGroup,
		},
	})
}

// outputsID is the stack-level construct that holds a promote pipeline's stack outputs: the
// outputs have fixed logical IDs, so the stack may hold one such construct, and finding it
// tells a second pipeline that it must not add outputs.
const outputsID = "PromotePipelineOutputs"

// addOutputs adds the seed's outputs and the Seedfarmer metadata output, with fixed logical IDs,
// in a stack-level construct (outputsID).
func addOutputs(stack awscdk.Stack, m *modelPackagePromotePipeline) {
	scope := constructs.NewConstruct(stack, jsii.String(outputsID))
	values := map[string]interface{}{OutputPipelineArn: m.PipelineArn(), OutputPipelineName: m.PipelineName()}
	order := []string{OutputPipelineArn, OutputPipelineName}
	if m.rule != nil {
		values[OutputEventRuleArn], values[OutputEventRuleName] = m.EventRuleArn(), m.EventRuleName()
		order = append(order, OutputEventRuleArn, OutputEventRuleName)
	}
	metadata := map[string]interface{}{}
	for _, k := range order {
		metadata[k] = values[k]
	}
	values[OutputMetadata] = stack.ToJsonString(&metadata, nil)
	for _, k := range append(order, OutputMetadata) {
		out := awscdk.NewCfnOutput(scope, jsii.String(k), &awscdk.CfnOutputProps{Value: values[k].(*string)})
		out.OverrideLogicalId(jsii.String(k))
	}
}
