package promote

import (
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-cd/sagemaker-cd/promotion"
)

const (
	groupArn = "arn:aws:sagemaker:us-east-1:444333666777:model-package-group/my-model-pkg"
	bucket   = "mlops-unified-modelartifacts-111222333444-us-east-1"
)

func validProps() *ModelPackagePromotePipelineProps {
	return &ModelPackagePromotePipelineProps{
		SourceModelPackageGroupArn: jsii.String(groupArn),
		TargetBucketName:           jsii.String(bucket),
	}
}

// validationCases lists every check with a bad value and the words the message must carry.
var validationCases = []struct {
	name   string
	region string
	edit   func(p *ModelPackagePromotePipelineProps)
	want   string // "" means valid
}{
	{"minimal", "us-east-1", func(p *ModelPackagePromotePipelineProps) {}, ""},
	{"everything", "us-east-1", func(p *ModelPackagePromotePipelineProps) {
		p.EventBusName = jsii.String("mlops-bus")
		p.TargetModelPackageGroupName = jsii.String("Prod-Models")
		p.SagemakerProjectId = jsii.String("p-abcdef123456")
		p.SagemakerProjectName = jsii.String("mlops")
		p.KmsKeyArn = jsii.String("arn:aws:kms:us-east-1:111222333444:key/1234abcd-12ab-34cd-56ef-1234567890ab")
		p.RetainOnDelete = jsii.Bool(false)
		p.PermissionsBoundaryName = jsii.String("my-permissions-boundary")
		p.ApprovalStatus = jsii.String("PendingManualApproval")
		p.BuildComputeType = jsii.String("BUILD_GENERAL1_LARGE")
		p.VerifyMode = jsii.String("size")
		p.Concurrency = jsii.Number(128)
		p.CreateOutputs = jsii.Bool(false)
		p.SourceRoleArn = jsii.String("arn:aws:iam::444333666777:role/team/promote-reader")
	}, ""},
	{"env-agnostic stack checks no region", "", func(p *ModelPackagePromotePipelineProps) {
		p.SourceModelPackageGroupArn = jsii.String("arn:aws-cn:sagemaker:cn-north-1:444333666777:model-package-group/g")
	}, ""},
	{"missing both required", "us-east-1", func(p *ModelPackagePromotePipelineProps) {
		p.SourceModelPackageGroupArn, p.TargetBucketName = nil, jsii.String("")
	}, "missing required props: SourceModelPackageGroupArn, TargetBucketName"},
	{"missing bucket", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.TargetBucketName = nil }, "missing required props: TargetBucketName"},
	{"token", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.TargetBucketName = awscdk.Aws_ACCOUNT_ID() }, "is a token: expected literal values"},
	{"group ARN not an ARN", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.SourceModelPackageGroupArn = jsii.String("my-model-pkg") },
		`SourceModelPackageGroupArn "my-model-pkg": expected arn:<partition>:sagemaker:<region>:<account>:model-package-group/<name>`},
	{"group ARN unknown partition", "", func(p *ModelPackagePromotePipelineProps) {
		p.SourceModelPackageGroupArn = jsii.String("arn:azure:sagemaker:us-east-1:444333666777:model-package-group/g")
	}, `partition "azure" is not an AWS partition`},
	{"group ARN partition of another region", "cn-north-1", func(p *ModelPackagePromotePipelineProps) {}, `partition "aws" does not match the stack's region cn-north-1 (partition aws-cn)`},
	{"group ARN partition and region disagree", "", func(p *ModelPackagePromotePipelineProps) {
		p.SourceModelPackageGroupArn = jsii.String("arn:aws:sagemaker:cn-north-1:444333666777:model-package-group/g")
	}, "region cn-north-1 is not in partition aws"},
	{"group ARN other region", "eu-west-1", func(p *ModelPackagePromotePipelineProps) {}, "region us-east-1 does not match the stack's region eu-west-1"},
	{"group ARN bad region", "", func(p *ModelPackagePromotePipelineProps) {
		p.SourceModelPackageGroupArn = jsii.String("arn:aws:sagemaker:useast1:444333666777:model-package-group/g")
	}, `region "useast1" is not a region name`},
	{"group ARN wrong service", "us-east-1", func(p *ModelPackagePromotePipelineProps) {
		p.SourceModelPackageGroupArn = jsii.String("arn:aws:s3:us-east-1:444333666777:model-package-group/g")
	}, `service "s3"; expected arn:<partition>:sagemaker`},
	{"group ARN bad account", "us-east-1", func(p *ModelPackagePromotePipelineProps) {
		p.SourceModelPackageGroupArn = jsii.String("arn:aws:sagemaker:us-east-1:4443:model-package-group/g")
	}, `account "4443" is not a 12-digit account ID`},
	{"package ARN instead of group", "us-east-1", func(p *ModelPackagePromotePipelineProps) {
		p.SourceModelPackageGroupArn = jsii.String("arn:aws:sagemaker:us-east-1:444333666777:model-package/g/1")
	}, `resource "model-package/g/1"; expected arn:<partition>:sagemaker`},
	{"group name", "us-east-1", func(p *ModelPackagePromotePipelineProps) {
		p.SourceModelPackageGroupArn = jsii.String("arn:aws:sagemaker:us-east-1:444333666777:model-package-group/my_group")
	}, `group name "my_group": expected 1-63 letters, digits and single hyphens`},
	{"bucket upper case", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.TargetBucketName = jsii.String("My-Bucket") }, `TargetBucketName "My-Bucket": expected an S3 bucket name`},
	{"bucket too short", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.TargetBucketName = jsii.String("ab") }, `TargetBucketName "ab": expected an S3 bucket name`},
	{"bucket too long", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.TargetBucketName = jsii.String(strings.Repeat("a", 64)) }, "expected an S3 bucket name"},
	{"bucket ends with hyphen", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.TargetBucketName = jsii.String("bucket-") }, "expected an S3 bucket name"},
	{"bucket adjacent periods", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.TargetBucketName = jsii.String("my..bucket") }, "two adjacent periods"},
	{"bucket IP address", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.TargetBucketName = jsii.String("192.168.5.4") }, "formatted as an IP address"},
	{"bucket reserved prefix", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.TargetBucketName = jsii.String("xn--bucket") }, `the prefix "xn--" is reserved`},
	{"bucket reserved suffix", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.TargetBucketName = jsii.String("bucket-s3alias") }, `the suffix "-s3alias" is reserved`},
	{"target group name", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.TargetModelPackageGroupName = jsii.String("-prod") }, `TargetModelPackageGroupName "-prod": expected 1-63`},
	{"target group name too long", "us-east-1", func(p *ModelPackagePromotePipelineProps) {
		p.TargetModelPackageGroupName = jsii.String(strings.Repeat("a", 64))
	}, "TargetModelPackageGroupName"},
	{"event bus name", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.EventBusName = jsii.String("my bus") }, `EventBusName "my bus": expected an event bus name`},
	{"empty event bus name", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.EventBusName = jsii.String("") }, `EventBusName "": expected an event bus name`},
	{"project id", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.SagemakerProjectId = jsii.String("p_123") }, `SagemakerProjectId "p_123": expected a SageMaker project ID`},
	{"project name", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.SagemakerProjectName = jsii.String("my project") }, `SagemakerProjectName "my project": expected 1-32`},
	{"kms alias", "us-east-1", func(p *ModelPackagePromotePipelineProps) {
		p.KmsKeyArn = jsii.String("arn:aws:kms:us-east-1:111222333444:alias/models")
	}, `resource "alias/models"; expected key/<key-id>`},
	{"kms not an ARN", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.KmsKeyArn = jsii.String("1234abcd") }, `KmsKeyArn "1234abcd": expected arn:<partition>:kms`},
	{"kms other region", "us-east-1", func(p *ModelPackagePromotePipelineProps) {
		p.KmsKeyArn = jsii.String("arn:aws:kms:eu-west-1:111222333444:key/abcd")
	}, "KmsKeyArn \"arn:aws:kms:eu-west-1:111222333444:key/abcd\": expected a key in aws us-east-1, where the model packages are"},
	{"kms other region than the source (env-agnostic)", "", func(p *ModelPackagePromotePipelineProps) {
		p.KmsKeyArn = jsii.String("arn:aws:kms:eu-west-1:111222333444:key/abcd")
	}, "expected a key in aws us-east-1, where the model packages are"},
	{"boundary ARN", "us-east-1", func(p *ModelPackagePromotePipelineProps) {
		p.PermissionsBoundaryName = jsii.String("arn:aws:iam::111222333444:policy/pb")
	}, "expected an IAM policy name (1-128 letters, digits and +=,.@_-), not an ARN or path"},
	{"approval status", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.ApprovalStatus = jsii.String("approved") }, `ApprovalStatus "approved": expected Approved or PendingManualApproval`},
	{"verify mode", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.VerifyMode = jsii.String("md5") }, `VerifyMode "md5": expected checksum or size`},
	{"concurrency 1", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.Concurrency = jsii.Number(1) }, ""},
	{"concurrency 1000", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.Concurrency = jsii.Number(1000) }, ""},
	{"concurrency 1001", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.Concurrency = jsii.Number(1001) }, `Concurrency "1001": expected an integer 1-1000`},
	{"concurrency negative", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.Concurrency = jsii.Number(-8) }, `Concurrency "-8": expected an integer 1-1000`},
	{"concurrency not an integer", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.Concurrency = jsii.Number(2.5) }, `Concurrency "2.5": expected an integer 1-1000`},
	{"concurrency token", "us-east-1", func(p *ModelPackagePromotePipelineProps) {
		p.Concurrency = awscdk.Token_AsNumber(awscdk.Aws_ACCOUNT_ID())
	}, "Concurrency is a token: expected literal values"},
	{"empty verify mode", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.VerifyMode = jsii.String("") }, `VerifyMode "": expected a value, or nil for the default`},
	{"compute size", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.BuildComputeType = jsii.String("HUGE") }, `BuildComputeType "HUGE": expected SMALL, MEDIUM, LARGE, X_LARGE or X2_LARGE`},
	{"source role not IAM", "us-east-1", func(p *ModelPackagePromotePipelineProps) {
		p.SourceRoleArn = jsii.String("arn:aws:sts::444333666777:assumed-role/r/s")
	}, `SourceRoleArn "arn:aws:sts::444333666777:assumed-role/r/s": service "sts"; expected arn:<partition>:iam`},
	{"source role with region", "us-east-1", func(p *ModelPackagePromotePipelineProps) {
		p.SourceRoleArn = jsii.String("arn:aws:iam:us-east-1:444333666777:role/r")
	}, "iam ARNs have no region"},
	{"source role is a user", "us-east-1", func(p *ModelPackagePromotePipelineProps) {
		p.SourceRoleArn = jsii.String("arn:aws:iam::444333666777:user/bob")
	}, `resource "user/bob"; expected arn:<partition>:iam::<source account>:role/<name>`},
	{"source role in another account", "us-east-1", func(p *ModelPackagePromotePipelineProps) {
		p.SourceRoleArn = jsii.String("arn:aws:iam::111222333444:role/r")
	}, "expected a role in the source account 444333666777"},
	{"empty target group", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.TargetModelPackageGroupName = jsii.String("") }, `TargetModelPackageGroupName "": expected a value`},
	{"target prefix", "us-east-1", func(p *ModelPackagePromotePipelineProps) { p.TargetPrefix = jsii.String("a/../b") }, `TargetPrefix "a/../b": expected key segments without ".."`},
	{"bad stack region", "moon-1", func(p *ModelPackagePromotePipelineProps) {}, `stack region "moon-1": expected a region name`},
}

func TestValidate(t *testing.T) {
	for _, tt := range validationCases {
		t.Run(tt.name, func(t *testing.T) {
			p := validProps()
			tt.edit(p)
			err := p.Validate(tt.region)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate error = %v, want it to contain %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "\n"):
				t.Fatalf("Validate error spans lines: %q", err)
			}
		})
	}
}

// The constructor reports the same problems by panicking before it builds anything.
func TestNewPanicsOnBadProps(t *testing.T) {
	app := awscdk.NewApp(nil)
	for i, tt := range validationCases {
		if tt.want == "" || tt.region == "" || strings.Contains(tt.name, "stack region") {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			stack := awscdk.NewStack(app, jsii.Sprintf("S%d", i), &awscdk.StackProps{
				Env: &awscdk.Environment{Account: jsii.String("111222333444"), Region: jsii.String(tt.region)},
			})
			p := validProps()
			tt.edit(p)
			defer func() {
				msg, _ := recover().(string)
				if !strings.HasPrefix(msg, "promote: ") || !strings.Contains(msg, tt.want) {
					t.Fatalf("panic = %q, want \"promote: ...%s...\"", msg, tt.want)
				}
				if n := len(*stack.Node().Children()); n != 0 {
					t.Errorf("stack has %d children after a rejected construct, want none", n)
				}
			}()
			NewModelPackagePromotePipeline(stack, jsii.String("Promote"), p)
		})
	}
}

// TestEverySettingHasAProp: every setting of `smcd promote` (promotion.Settings) can be given to
// the construct, and reaches the promoter's build environment under its SMCD_* name.
func TestEverySettingHasAProp(t *testing.T) {
	values := map[string]string{
		promotion.EnvTargetGroup: "prod", promotion.EnvTargetPrefix: "promoted",
		promotion.EnvKMSKeyARN:      "arn:aws:kms:us-east-1:111222333444:key/1234abcd",
		promotion.EnvSourceRoleARN:  "arn:aws:iam::444333666777:role/reader",
		promotion.EnvApprovalStatus: "PendingManualApproval", promotion.EnvProjectID: "p-1", promotion.EnvProjectName: "mlops",
		promotion.EnvVerify: "size", promotion.EnvConcurrency: "16",
	}
	for _, s := range promotion.Settings() {
		prop := PropOf(s.Env)
		if prop == "" {
			t.Errorf("setting %s (--%s) has no prop", s.Env, s.Flag)
			continue
		}
		p := validProps()
		for _, sp := range settingProps() {
			if sp.env != s.Env || values[s.Env] == "" {
				continue
			}
			if sp.number != nil {
				n, err := strconv.ParseFloat(values[s.Env], 64)
				if err != nil {
					t.Fatal(err)
				}
				*sp.number(p) = jsii.Number(n)
			} else {
				*sp.field(p) = jsii.String(values[s.Env])
			}
		}
		r, err := p.resolve("us-east-1")
		if err != nil {
			t.Fatalf("%s: %v", prop, err)
		}
		env := *buildEnv(r)
		want := values[s.Env]
		if want == "" {
			want = s.Get(r.config)
		}
		if v := env[s.Env]; v == nil || *(v.Value.(*string)) != want {
			t.Errorf("prop %s: build environment %s = %v, want %q", prop, s.Env, v, want)
		}
	}
}
