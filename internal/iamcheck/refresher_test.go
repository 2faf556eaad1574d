package iamcheck_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-cd/sagemaker-cd/endpoint"
	"github.com/sagemaker-cd/sagemaker-cd/internal/iamcheck"
	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

// refreshCase is an endpoint the refresher keeps fresh, and what the scenario must evaluate.
type refreshCase struct {
	name string
	// endpointName has capitals: SageMaker authorizes on the lower-cased ARN.
	endpointName string
	// kms puts a customer KMS key on the endpoint configs (KmsKeyId).
	kms bool
	// alarms are the DeploymentConfig's auto-rollback alarms.
	alarms []string
}

// refreshRun is one scenario's outcome: the refresher's role and the calls it made.
type refreshRun struct {
	role    iamcheck.Role
	calls   []iamcheck.Call
	checker *iamcheck.Checker
	cfg     refresher.Config
	keyARN  string
}

// runRefresher synthesizes the endpoint construct for c, creates what it names in the emulator,
// runs the refresher (configured from the synthesized Lambda environment, its clients recorded
// as the synthesized role) through one refresh, and returns the recorded calls.
func runRefresher(t *testing.T, c refreshCase) *refreshRun {
	t.Helper()
	ctx := context.Background()
	admin := moto.Fresh(t)
	run := &refreshRun{}
	if c.kms {
		key, err := kms.NewFromConfig(admin).CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("endpoint volumes")})
		if err != nil {
			t.Fatal(err)
		}
		run.keyARN = aws.ToString(key.KeyMetadata.Arn)
	}
	bucket := "churn-models-" + testkit.DefaultAccountID
	modelKey := "churn/model.tar.gz"
	tmpl := synth(t, "Refresh", func(stack awscdk.Stack) {
		awsiam.PermissionsBoundary_Of(stack).Apply(awsiam.ManagedPolicy_FromManagedPolicyName(stack, jsii.String("Boundary"), jsii.String(boundaryName)))
		props := &endpoint.SagemakerEndpointProps{
			Models: []endpoint.ModelProps{{Props: &awssagemaker.CfnModelProps{
				ExecutionRoleArn: jsii.String("arn:aws:iam::" + testkit.DefaultAccountID + ":role/sagemaker-execution"),
				PrimaryContainer: &awssagemaker.CfnModel_ContainerDefinitionProperty{
					Image:        jsii.String("763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310"),
					ModelDataUrl: jsii.String("s3://" + bucket + "/" + modelKey),
				},
			}}},
			EndpointConfigProps: &awssagemaker.CfnEndpointConfigProps{
				ProductionVariants: []*awssagemaker.CfnEndpointConfig_ProductionVariantProperty{{
					VariantName: jsii.String("AllTraffic"), InstanceType: jsii.String("ml.m5.large"),
					InitialInstanceCount: jsii.Number(1), InitialVariantWeight: jsii.Number(1),
				}},
			},
			EndpointProps: &awssagemaker.CfnEndpointProps{EndpointName: jsii.String(c.endpointName)},
			ModelsBucket:  awss3.Bucket_FromBucketName(stack, jsii.String("Models"), jsii.String(bucket)),
		}
		if c.kms {
			props.EndpointConfigProps.KmsKeyId = jsii.String(run.keyARN)
		}
		if len(c.alarms) > 0 {
			var alarms []*awssagemaker.CfnEndpoint_AlarmProperty
			for _, a := range c.alarms {
				alarms = append(alarms, &awssagemaker.CfnEndpoint_AlarmProperty{AlarmName: jsii.String(a)})
			}
			props.DeploymentConfig = &awssagemaker.CfnEndpoint_DeploymentConfigProperty{
				BlueGreenUpdatePolicy: &awssagemaker.CfnEndpoint_BlueGreenUpdatePolicyProperty{
					TrafficRoutingConfiguration: &awssagemaker.CfnEndpoint_TrafficRoutingConfigProperty{Type: jsii.String("ALL_AT_ONCE"), WaitIntervalInSeconds: jsii.Number(60)},
				},
				AutoRollbackConfiguration: &awssagemaker.CfnEndpoint_AutoRollbackConfigProperty{Alarms: alarms},
			}
		}
		endpoint.NewSagemakerEndpoint(stack, jsii.String("Churn"), props)
	})

	// The refresher as deployed: its environment and its role, from the template.
	var fn string
	var env map[string]string
	for _, id := range tmpl.OfType("AWS::Lambda::Function") {
		e, err := tmpl.FunctionEnv(id)
		if err != nil {
			t.Fatal(err)
		}
		if e[refresher.EnvEndpointName] != "" {
			fn, env = id, e
		}
	}
	if fn == "" {
		t.Fatal("the template has no refresher function (no " + refresher.EnvEndpointName + " in any environment)")
	}
	cfg, err := refresher.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	run.cfg = cfg
	roleID, err := tmpl.FunctionRole(fn)
	if err != nil {
		t.Fatal(err)
	}
	if run.role, err = tmpl.Role(roleID, "refresher", boundaries(testkit.DefaultAccountID)); err != nil {
		t.Fatal(err)
	}
	if len(run.role.Boundary) == 0 {
		t.Fatal("the refresher's role has no permissions boundary")
	}

	// What the construct deploys, in the emulator, named as the template names it.
	sm := sagemaker.NewFromConfig(admin)
	s3c := s3.NewFromConfig(admin, func(o *s3.Options) { o.UsePathStyle = true })
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	_, err = s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	must("create bucket", err)
	_, err = sm.CreateModel(ctx, &sagemaker.CreateModelInput{
		ModelName: aws.String("churn-model"), ExecutionRoleArn: aws.String("arn:aws:iam::" + testkit.DefaultAccountID + ":role/sagemaker-execution"),
		PrimaryContainer: &smtypes.ContainerDefinition{Image: aws.String("763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310"),
			ModelDataUrl: aws.String("s3://" + bucket + "/" + modelKey)},
	})
	must("create model", err)
	for _, name := range []string{cfg.ConfigA, cfg.ConfigB} {
		in := &sagemaker.CreateEndpointConfigInput{EndpointConfigName: aws.String(name), ProductionVariants: []smtypes.ProductionVariant{{
			VariantName: aws.String("AllTraffic"), ModelName: aws.String("churn-model"),
			InstanceType: smtypes.ProductionVariantInstanceTypeMlM5Large, InitialInstanceCount: aws.Int32(1),
		}}}
		if c.kms {
			in.KmsKeyId = aws.String(run.keyARN)
		}
		_, err = sm.CreateEndpointConfig(ctx, in)
		must("create endpoint config "+name, err)
	}
	_, err = sm.CreateEndpoint(ctx, &sagemaker.CreateEndpointInput{EndpointName: aws.String(cfg.Endpoint), EndpointConfigName: aws.String(cfg.ConfigA)})
	must("create endpoint", err)
	_, err = dynamodb.NewFromConfig(admin).CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(cfg.Table), BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String(refresher.TableKey), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String(refresher.TableKey), KeyType: ddbtypes.KeyTypeHash}},
	})
	must("create table", err)

	// One refresh: a new artifact, the update, the state change that confirms it.
	rec := &iamcheck.Recorder{}
	rcfg := rec.Instrument(admin, run.role.Name)
	r := &refresher.Reconciler{
		SageMaker: sagemaker.NewFromConfig(rcfg),
		Store:     &refresher.Store{DB: dynamodb.NewFromConfig(rcfg), Table: cfg.Table},
		Config:    cfg,
		Logger:    slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics:   &refresher.Metrics{W: io.Discard, Namespace: cfg.MetricsNamespace},
	}
	h := &refresher.Handler{Reconciler: r, Logger: r.Logger}
	invoke := func(event any) {
		t.Helper()
		body, _ := json.Marshal(event)
		if _, err := h.Handle(ctx, body); err != nil {
			t.Fatalf("refresher: %v", err)
		}
	}
	invoke(map[string]any{
		"version": "0", "id": "s3-1", "detail-type": "Object Created", "source": "aws.s3", "account": testkit.DefaultAccountID,
		"time": time.Now().UTC().Format(time.RFC3339), "region": testkit.Region, "resources": []string{"arn:aws:s3:::" + bucket},
		"detail": map[string]any{"version": "0", "bucket": map[string]any{"name": bucket},
			"object":     map[string]any{"key": modelKey, "size": 5, "etag": "b1946ac92492d2347c6235b4d2611184", "sequencer": "617f08299329d189"},
			"request-id": "N4N7GDK58NMKJ12R", "requester": testkit.DefaultAccountID, "reason": "PutObject"},
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := sm.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(cfg.Endpoint)})
		must("describe endpoint", err)
		if out.EndpointStatus == smtypes.EndpointStatusInService {
			if aws.ToString(out.EndpointConfigName) != cfg.ConfigB {
				t.Fatalf("endpoint on %s after the refresh, expected %s: the refresher did not update it", aws.ToString(out.EndpointConfigName), cfg.ConfigB)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("endpoint still %s", out.EndpointStatus)
		}
		time.Sleep(50 * time.Millisecond)
	}
	invoke(map[string]any{
		"version": "0", "id": "sched-1", "detail-type": "Scheduled Event", "source": "aws.events", "account": testkit.DefaultAccountID,
		"time": time.Now().UTC().Format(time.RFC3339), "region": testkit.Region, "resources": []string{}, "detail": map[string]any{},
	})
	run.calls = rec.Calls()
	emu := &iamcheck.Emulator{Configs: map[string]aws.Config{testkit.DefaultAccountID: admin}, Buckets: map[string]string{bucket: testkit.DefaultAccountID}}
	run.checker = &iamcheck.Checker{Roles: map[string]iamcheck.Role{run.role.Name: run.role}, Facts: emu, Policies: emu}
	return run
}

func endpointARN(kind, name string) string {
	return "arn:aws:sagemaker:" + testkit.Region + ":" + testkit.DefaultAccountID + ":" + kind + "/" + strings.ToLower(name)
}

// TestRefresherCallsAllowed: every call the refresher makes through a refresh is allowed by the
// role the endpoint construct synthesizes for it, under the permissions boundary.
func TestRefresherCallsAllowed(t *testing.T) {
	for _, c := range refresherCases {
		t.Run(c.name, func(t *testing.T) {
			run := runRefresher(t, c)
			decisions, err := run.checker.Evaluate(context.Background(), run.calls)
			if err != nil {
				t.Fatal(err)
			}
			table := "arn:aws:dynamodb:" + testkit.Region + ":" + testkit.DefaultAccountID + ":table/" + run.cfg.Table
			want := []string{
				"sagemaker:DescribeEndpoint on " + endpointARN("endpoint", c.endpointName),
				"sagemaker:UpdateEndpoint on " + endpointARN("endpoint", c.endpointName),
				"sagemaker:UpdateEndpoint on " + endpointARN("endpoint-config", run.cfg.ConfigB),
				"dynamodb:GetItem on " + table,
				"dynamodb:PutItem on " + table,
			}
			for _, a := range c.alarms {
				want = append(want, "cloudwatch:DescribeAlarms on arn:aws:cloudwatch:"+testkit.Region+":"+testkit.DefaultAccountID+":alarm:"+a)
			}
			if c.kms {
				want = append(want, "kms:CreateGrant on "+run.keyARN, "kms:DescribeKey on "+run.keyARN)
			}
			requireAllowed(t, decisions, want...)
		})
	}
}
