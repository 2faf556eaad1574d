package iamcheck_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-cd/sagemaker-cd/internal/cli"
	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/cmdutil"
	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/promotecmd"
	"github.com/sagemaker-cd/sagemaker-cd/internal/iamcheck"
	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
	"github.com/sagemaker-cd/sagemaker-cd/promote"
	"github.com/sagemaker-cd/sagemaker-cd/promotion"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/cleaner"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter/promotertest"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

// promoteCase is a promotion the pipeline's roles must be allowed to make.
type promoteCase struct {
	name string
	// group is the source group's name (with capitals: SageMaker authorizes on lower case).
	group string
	// kmsKeyArn passes the target key to the pipeline (KmsKeyArn); without it the copies are
	// encrypted by the target bucket's default encryption, the same customer key.
	kmsKeyArn bool
}

// promoteRun is one promotion's recorded calls, with the checker of the pipeline's roles.
type promoteRun struct {
	calls                   []iamcheck.Call
	checker                 *iamcheck.Checker
	sourceKey, targetKey    string
	sourceBucket, targetBuc string
	groupARN                string
	targetPackage           string
	bucketPolicies          map[string]json.RawMessage
}

// bucketPolicies answers bucket policies from memory, everything else from the emulator.
type bucketPolicies struct {
	*iamcheck.Emulator
	byBucket map[string]json.RawMessage
}

func (b bucketPolicies) ResourcePolicy(ctx context.Context, r iamcheck.Request) (string, json.RawMessage, error) {
	if rest, ok := strings.CutPrefix(r.Resource, "arn:aws:s3:::"); ok {
		bucket, _, _ := strings.Cut(rest, "/")
		if doc, ok := b.byBucket[bucket]; ok {
			return "bucket policy of " + bucket, doc, nil
		}
	}
	return b.Emulator.ResourcePolicy(ctx, r)
}

const mib = 1 << 20

// runPromote builds, in the emulator, a source account whose group (c.group) has an approved
// package with two SSE-KMS artifacts (one tagged, one copied in parts), applies the grants `smcd
// promote grants` prints, synthesizes the promote pipeline for it, runs `smcd promote` as the
// pipeline's CodeBuild stage runs it (its environment from the template) and the package
// cleaner, both recorded as their synthesized roles.
func runPromote(t *testing.T, c promoteCase) *promoteRun {
	t.Helper()
	ctx := context.Background()
	e, err := promotertest.New(ctx, moto)
	if err != nil {
		t.Fatal(err)
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	run := &promoteRun{sourceBucket: e.SourceBucket, targetBuc: e.TargetBucket}
	srcKey, err := kms.NewFromConfig(e.SourceCfg).CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("source artifacts")})
	must("create source key", err)
	run.sourceKey = aws.ToString(srcKey.KeyMetadata.Arn)
	tgtKey, err := kms.NewFromConfig(e.TargetCfg).CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("promoted artifacts")})
	must("create target key", err)
	run.targetKey = aws.ToString(tgtKey.KeyMetadata.Arn)
	_, err = e.TargetS3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(e.TargetBucket),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(run.targetKey)},
			BucketKeyEnabled:                   aws.Bool(true),
		}}}})
	must("set the target bucket's default encryption", err)

	prefix := "churn/v1/model/"
	for _, o := range []struct {
		key     string
		size    int
		tagging string
	}{{prefix + "config.json", 1024, "team=ml"}, {prefix + "weights.bin", 6 * mib, ""}} {
		in := &s3.PutObjectInput{Bucket: aws.String(e.SourceBucket), Key: aws.String(o.key), Body: bytes.NewReader(promotertest.Data(7, o.size)),
			ChecksumAlgorithm: s3types.ChecksumAlgorithmCrc32, ServerSideEncryption: s3types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(run.sourceKey)}
		if o.tagging != "" {
			in.Tagging = aws.String(o.tagging)
		}
		_, err := e.SourceS3.PutObject(ctx, in)
		must("put source object "+o.key, err)
	}
	run.groupARN, err = e.CreateGroup(ctx, c.group)
	must("create source group", err)
	_, err = e.Register(ctx, c.group, smtypes.ModelApprovalStatusApproved, "", &sagemaker.CreateModelPackageInput{
		InferenceSpecification: &smtypes.InferenceSpecification{
			Containers: []smtypes.ModelPackageContainerDefinition{{
				Image: aws.String("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"),
				ModelDataSource: &smtypes.ModelDataSource{S3DataSource: &smtypes.S3ModelDataSource{
					S3Uri: aws.String("s3://" + e.SourceBucket + "/" + prefix), S3DataType: smtypes.S3ModelDataTypeS3Prefix, CompressionType: smtypes.ModelCompressionTypeNone,
				}},
			}},
			SupportedContentTypes: []string{"text/csv"}, SupportedResponseMIMETypes: []string{"text/csv"},
		},
	})
	must("register the source package", err)
	applyGrants(t, e, run)

	// The pipeline, synthesized for this source group and target bucket.
	stackID := createStack(t, e, "Promote")
	tmpl := synth(t, "Promote", func(stack awscdk.Stack) {
		props := &promote.ModelPackagePromotePipelineProps{
			SourceModelPackageGroupArn: jsii.String(run.groupARN),
			TargetBucketName:           jsii.String(e.TargetBucket),
			RetainOnDelete:             jsii.Bool(false),
			PermissionsBoundaryName:    jsii.String(boundaryName),
		}
		if c.kmsKeyArn {
			props.KmsKeyArn = jsii.String(run.targetKey)
		}
		promote.NewModelPackagePromotePipeline(stack, jsii.String("Promote"), props)
	})
	tmpl.StackID = stackID
	projects := tmpl.OfType("AWS::CodeBuild::Project")
	if len(projects) != 1 {
		t.Fatalf("template has %d CodeBuild projects, expected 1", len(projects))
	}
	projectRole, err := tmpl.ProjectRole(projects[0])
	must("promoter role", err)
	promoter, err := tmpl.Role(projectRole, "promoter", boundaries(testkit.DefaultAccountID))
	must("promoter role", err)
	cleanerRes := tmpl.OfType("Custom::ModelPackageCleaner")
	if len(cleanerRes) != 1 {
		t.Fatalf("template has %d package cleaners, expected 1", len(cleanerRes))
	}
	props, err := tmpl.Resolve(tmpl.Resources[cleanerRes[0]].Properties)
	must("cleaner properties", err)
	token, _ := props.(map[string]any)["ServiceToken"].(string)
	fn := token[strings.LastIndex(token, ":")+1:]
	cleanerRoleID, err := tmpl.FunctionRole(fn)
	must("cleaner role", err)
	cleanerRole, err := tmpl.Role(cleanerRoleID, "cleaner", boundaries(testkit.DefaultAccountID))
	must("cleaner role", err)
	for _, r := range []iamcheck.Role{promoter, cleanerRole} {
		if len(r.Boundary) == 0 {
			t.Fatalf("role %s has no permissions boundary", r.Name)
		}
	}

	// smcd promote as the CodeBuild stage runs it: configured by the project's environment.
	vars, err := tmpl.Resolve(tmpl.Resources[projects[0]].Properties["Environment"])
	must("project environment", err)
	env := map[string]string{}
	list, _ := vars.(map[string]any)["EnvironmentVariables"].([]any)
	for _, v := range list {
		m, _ := v.(map[string]any)
		env[m["Name"].(string)], _ = m["Value"].(string)
	}
	rec := &iamcheck.Recorder{}
	o := &promotecmd.Options{
		Config: promotion.ConfigFromEnv(func(k string) string { return env[k] }),
		Copier: s3copy.Options{MultipartThreshold: 5 * mib, PartSize: 5 * mib},
	}
	must("the CodeBuild environment", o.Config.Validate())
	p, err := o.Build(rec.Instrument(e.TargetCfg, promoter.Name))
	must("build the promoter", err)
	res, err := p.Promote(ctx)
	must("smcd promote", err)
	if res.Action != promotion.ActionPromote || len(res.Objects) != 2 {
		t.Fatalf("smcd promote: %s (%s), %d objects; expected a promotion of 2 objects", res.Action, res.Reason, len(res.Objects))
	}
	run.targetPackage = res.TargetARN

	// The package cleaner on stack deletion, configured by the custom resource's properties.
	h := &cleaner.Handler{
		SageMaker:      sagemaker.NewFromConfig(rec.Instrument(e.TargetCfg, cleanerRole.Name)),
		CloudFormation: cloudformation.NewFromConfig(rec.Instrument(e.TargetCfg, cleanerRole.Name)),
	}
	rp := props.(map[string]any)
	if _, _, err := h.Handle(ctx, cfn.Event{RequestType: cfn.RequestDelete, StackID: stackID, ResourceProperties: rp}); err != nil {
		t.Fatalf("package cleaner: %v", err)
	}
	n, err := h.Clean(ctx, rp[cleaner.PropSourceModelPackageGroupARN].(string), rp[cleaner.PropTargetModelPackageGroupName].(string))
	must("package cleaner", err)
	if n != 1 {
		t.Fatalf("package cleaner deleted %d packages, expected the promoted one", n)
	}

	run.calls = rec.Calls()
	emu := &iamcheck.Emulator{
		Configs: map[string]aws.Config{testkit.DefaultAccountID: e.TargetCfg, promotertest.SourceAccount: e.SourceCfg},
		Buckets: map[string]string{e.SourceBucket: promotertest.SourceAccount, e.TargetBucket: testkit.DefaultAccountID},
	}
	run.checker = &iamcheck.Checker{Roles: map[string]iamcheck.Role{promoter.Name: promoter, cleanerRole.Name: cleanerRole}, Facts: emu,
		Policies: bucketPolicies{Emulator: emu, byBucket: run.bucketPolicies}}
	return run
}

// createStack creates an (empty) stack in the target account, for the cleaner's DescribeStacks.
func createStack(t *testing.T, e *promotertest.Env, name string) string {
	t.Helper()
	out, err := cloudformation.NewFromConfig(e.TargetCfg).CreateStack(context.Background(), &cloudformation.CreateStackInput{
		StackName:    aws.String(name),
		TemplateBody: aws.String(`{"Resources":{"H":{"Type":"AWS::CloudFormation::WaitConditionHandle"}}}`),
	})
	if err != nil {
		t.Fatalf("create stack %s: %v", name, err)
	}
	return aws.ToString(out.StackId)
}

// applyGrants runs `smcd promote grants` for the source group, bucket and key, and applies what
// it prints, as printed, in the source account.
func applyGrants(t *testing.T, e *promotertest.Env, run *promoteRun) {
	t.Helper()
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	root := cli.NewRoot(&cmdutil.Factory{Stdout: &stdout, Stderr: &stderr})
	root.SetArgs([]string{"promote", "grants", "--source-group-arn", run.groupARN, "--target-account", testkit.DefaultAccountID,
		"--bucket", e.SourceBucket, "--kms-key-arn", run.sourceKey})
	if err := root.ExecuteContext(ctx); err != nil {
		t.Fatalf("smcd promote grants: %v: %s", err, stderr.String())
	}
	// Each policy is printed as a JSON string, ready to pass to the API as it is.
	var g struct {
		ModelPackageGroupPolicy string            `json:"modelPackageGroupPolicy"`
		BucketPolicies          map[string]string `json:"bucketPolicies"`
		KMSKeyPolicyStatements  string            `json:"kmsKeyPolicyStatements"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &g); err != nil {
		t.Fatalf("smcd promote grants printed %q: %v", stdout.String(), err)
	}
	name := run.groupARN[strings.LastIndex(run.groupARN, "/")+1:]
	if _, err := e.SourceSM.PutModelPackageGroupPolicy(ctx, &sagemaker.PutModelPackageGroupPolicyInput{
		ModelPackageGroupName: aws.String(name), ResourcePolicy: aws.String(g.ModelPackageGroupPolicy)}); err != nil {
		t.Fatalf("apply the group policy smcd promote grants prints: %v", err)
	}
	// The bucket policy is evaluated as printed, from memory: the emulator's request validation
	// refuses PutBucketPolicy (it does not read the raw payload member Policy).
	run.bucketPolicies = map[string]json.RawMessage{e.SourceBucket: json.RawMessage(g.BucketPolicies[e.SourceBucket])}
	// The key policy: the key's default policy plus the printed statements.
	kc := kms.NewFromConfig(e.SourceCfg)
	cur, err := kc.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(run.sourceKey), PolicyName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(cur.Policy)), &doc); err != nil {
		t.Fatal(err)
	}
	stmts, _ := doc["Statement"].([]any)
	var printed []any
	if err := json.Unmarshal([]byte(g.KMSKeyPolicyStatements), &printed); err != nil {
		t.Fatalf("KMS key policy statements %q: %v", g.KMSKeyPolicyStatements, err)
	}
	stmts = append(stmts, printed...)
	doc["Statement"] = stmts
	if _, err := kc.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(run.sourceKey), PolicyName: aws.String("default"),
		Policy: aws.String(mustJSON(doc))}); err != nil {
		t.Fatalf("apply the key policy statements smcd promote grants prints: %v", err)
	}
}

// TestPromoteCallsAllowed: every call `smcd promote` makes in the pipeline's CodeBuild stage,
// and the package cleaner on stack deletion, is allowed by the roles the promote construct
// synthesizes, under the permissions boundary, and, for the source account's resources read by
// ARN, by the resource policies `smcd promote grants` prints.
func TestPromoteCallsAllowed(t *testing.T) {
	for _, c := range promoteCases {
		t.Run(c.name, func(t *testing.T) {
			run := runPromote(t, c)
			decisions, err := run.checker.Evaluate(context.Background(), run.calls)
			if err != nil {
				t.Fatal(err)
			}
			src := "arn:aws:sagemaker:" + testkit.Region + ":" + promotertest.SourceAccount + ":"
			lower := strings.ToLower(c.group)
			prefix := "arn:aws:s3:::" + run.sourceBucket + "/churn/v1/model/"
			want := []string{
				"sagemaker:DescribeModelPackageGroup on " + src + "model-package-group/" + lower,
				"sagemaker:ListModelPackages on " + src + "model-package/" + lower + "/*",
				"sagemaker:DescribeModelPackage on " + src + "model-package/" + lower + "/1",
				"s3:ListBucket on arn:aws:s3:::" + run.sourceBucket,
				"s3:GetObjectTagging on " + prefix + "config.json",
				"kms:Decrypt on " + run.sourceKey,
				"kms:GenerateDataKey on " + run.targetKey,
				"sagemaker:CreateModelPackage on " + strings.ToLower(run.targetPackage),
				"sagemaker:DeleteModelPackage on " + strings.ToLower(run.targetPackage),
			}
			requireAllowed(t, decisions, want...)

			// The same reads against a group policy that names the group with capitals, as the
			// source account might write it by hand: SageMaker authorizes on the lower-cased ARN.
			t.Run("a capitalised group policy is caught", func(t *testing.T) {
				ctx := context.Background()
				sm := sagemaker.NewFromConfig(run.checker.Facts.(*iamcheck.Emulator).Configs[promotertest.SourceAccount])
				name := run.groupARN[strings.LastIndex(run.groupARN, "/")+1:]
				cur, err := sm.GetModelPackageGroupPolicy(ctx, &sagemaker.GetModelPackageGroupPolicyInput{ModelPackageGroupName: aws.String(name)})
				if err != nil {
					t.Fatal(err)
				}
				capitalised := strings.ReplaceAll(aws.ToString(cur.ResourcePolicy), "model-package-group/"+lower, "model-package-group/"+strings.ToUpper(lower[:1])+lower[1:])
				if _, err := sm.PutModelPackageGroupPolicy(ctx, &sagemaker.PutModelPackageGroupPolicyInput{ModelPackageGroupName: aws.String(name), ResourcePolicy: aws.String(capitalised)}); err != nil {
					t.Fatal(err)
				}
				decisions, err := run.checker.Evaluate(ctx, run.calls)
				if err != nil {
					t.Fatal(err)
				}
				requireDenied(t, decisions, "sagemaker:DescribeModelPackageGroup", src+"model-package-group/"+lower, "should be allowed by model package group policy of "+name)
			})
		})
	}
}
