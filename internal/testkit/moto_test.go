package testkit

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

var moto *Moto

func TestMain(m *testing.M) { RunWithMoto(m, &moto, Options{UpdateSeconds: 0.5}) }

func TestAccounts(t *testing.T) {
	ctx := context.Background()
	for _, acct := range []string{DefaultAccountID, "444333666777"} {
		cfg, err := moto.AccountConfig(ctx, acct)
		if err != nil {
			t.Fatal(err)
		}
		out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(out.Account); got != acct {
			t.Fatalf("account %s, want %s", got, acct)
		}
	}
}

func TestMissingPythonGivesInstallHint(t *testing.T) {
	_, err := Start(context.Background(), Options{Python: "no-such-python-smcd"})
	if err == nil || !strings.Contains(err.Error(), "pip install") {
		t.Fatalf("Start with a missing interpreter: got %v, want an error with an install hint", err)
	}
}

// The UpdateEndpoint extension follows SageMaker: busy endpoints refuse updates, updates finish
// on the new config, and a flagged update rolls back with a FailureReason.
func TestUpdateEndpointExtension(t *testing.T) {
	ctx := context.Background()
	cfg := moto.Fresh(t)
	sm := sagemaker.NewFromConfig(cfg)
	mustEndpoint(t, sm, "ep")

	update := func(config string) error {
		_, err := sm.UpdateEndpoint(ctx, &sagemaker.UpdateEndpointInput{EndpointName: aws.String("ep"), EndpointConfigName: aws.String(config)})
		return err
	}
	describe := func() *sagemaker.DescribeEndpointOutput {
		out, err := sm.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String("ep")})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	waitInService := func() *sagemaker.DescribeEndpointOutput {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if out := describe(); out.EndpointStatus == types.EndpointStatusInService {
				return out
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatal("endpoint did not return to InService")
		return nil
	}

	if err := update("b"); err != nil {
		t.Fatal(err)
	}
	if got := describe(); got.EndpointStatus != types.EndpointStatusUpdating || aws.ToString(got.EndpointConfigName) != "a" {
		t.Fatalf("after UpdateEndpoint: %s on %s, want Updating on a", got.EndpointStatus, aws.ToString(got.EndpointConfigName))
	}
	var api smithy.APIError
	if err := update("a"); !errors.As(err, &api) || api.ErrorCode() != "ValidationException" || !strings.Contains(api.ErrorMessage(), "Cannot update in-progress endpoint") {
		t.Fatalf("UpdateEndpoint while Updating: got %v, want ValidationException Cannot update in-progress endpoint", err)
	}
	if got := waitInService(); aws.ToString(got.EndpointConfigName) != "b" || got.FailureReason != nil {
		t.Fatalf("after the update: config %s reason %v, want b and no reason", aws.ToString(got.EndpointConfigName), got.FailureReason)
	}

	ep := describe()
	if _, err := sm.AddTags(ctx, &sagemaker.AddTagsInput{ResourceArn: ep.EndpointArn, Tags: []types.Tag{{Key: aws.String("smcd:moto-fail-next-update"), Value: aws.String("1")}}}); err != nil {
		t.Fatal(err)
	}
	if err := update("a"); err != nil {
		t.Fatal(err)
	}
	got := waitInService()
	if aws.ToString(got.EndpointConfigName) != "b" || got.FailureReason == nil {
		t.Fatalf("after a failing update: config %s reason %v, want rolled back to b with a reason", aws.ToString(got.EndpointConfigName), got.FailureReason)
	}
	tags, err := sm.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: ep.EndpointArn})
	if err != nil {
		t.Fatal(err)
	}
	calls := ""
	for _, tag := range tags.Tags {
		if aws.ToString(tag.Key) == "smcd:moto-update-calls" {
			calls = aws.ToString(tag.Value)
		}
	}
	if calls != "2" {
		t.Fatalf("smcd:moto-update-calls = %q, want 2 (the refused call is not counted)", calls)
	}
	if err := update("nope"); !errors.As(err, &api) || !strings.Contains(api.ErrorMessage(), "Could not find endpoint configuration") {
		t.Fatalf("UpdateEndpoint to a missing config: got %v", err)
	}
}

func mustEndpoint(t *testing.T, sm *sagemaker.Client, name string) {
	t.Helper()
	ctx := context.Background()
	_, err := sm.CreateModel(ctx, &sagemaker.CreateModelInput{
		ModelName:        aws.String("m"),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/sm"),
		PrimaryContainer: &types.ContainerDefinition{Image: aws.String("img"), ModelDataUrl: aws.String("s3://b/model.tar.gz")},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"a", "b"} {
		_, err := sm.CreateEndpointConfig(ctx, &sagemaker.CreateEndpointConfigInput{
			EndpointConfigName: aws.String(c),
			ProductionVariants: []types.ProductionVariant{{VariantName: aws.String("v"), ModelName: aws.String("m"), InitialInstanceCount: aws.Int32(1), InstanceType: types.ProductionVariantInstanceTypeMlM5Large}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sm.CreateEndpoint(ctx, &sagemaker.CreateEndpointInput{EndpointName: aws.String(name), EndpointConfigName: aws.String("a")}); err != nil {
		t.Fatal(err)
	}
}
