package endpoint

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/sagemaker-cd/sagemaker-cd/internal/cdktest"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

// Synthesizing costs seconds, so each stack is built once and shared by the tests that read it.

const pytorchImage = "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310"

// synthesized is one stack and its template, built once.
type synthesized struct {
	stack awscdk.Stack
	eps   []SagemakerEndpoint
	tmpl  assertions.Template
	res   map[string]resource // logical ID -> resource
}

type resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
}

func (s *synthesized) ofType(typ string) map[string]resource {
	out := map[string]resource{}
	for id, r := range s.res {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

// one returns the only resource of typ whose logical ID starts with prefix.
func (s *synthesized) one(t *testing.T, typ, prefix string) resource {
	t.Helper()
	var found []resource
	for id, r := range s.ofType(typ) {
		if len(id) >= len(prefix) && id[:len(prefix)] == prefix {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s %s*: found %d, expected 1", typ, prefix, len(found))
	}
	return found[0]
}

func synth(build func(stack awscdk.Stack) []SagemakerEndpoint) func() *synthesized {
	return sync.OnceValue(func() *synthesized {
		app := cdktest.NewApp()
		stack := awscdk.NewStack(app, jsii.String("Test"), &awscdk.StackProps{Env: cdktest.Env()})
		eps := build(stack)
		tmpl := assertions.Template_FromStack(stack, nil)
		body, err := json.Marshal(tmpl.ToJSON())
		if err != nil {
			panic(err)
		}
		var doc struct{ Resources map[string]resource }
		if err := json.Unmarshal(body, &doc); err != nil {
			panic(err)
		}
		if dir := os.Getenv("SMCD_DUMP_TEMPLATES"); dir != "" {
			os.WriteFile(fmt.Sprintf("%s/%s.json", dir, *eps[0].Node().Id()), body, 0o644)
		}
		return &synthesized{stack: stack, eps: eps, tmpl: tmpl, res: doc.Resources}
	})
}

// ownedBucket is a test bucket; its own findings are the test's, not the construct's.
func ownedBucket(stack awscdk.Stack, id string) awss3.Bucket {
	b := awss3.NewBucket(stack, jsii.String(id), &awss3.BucketProps{
		EnforceSSL: jsii.Bool(true), BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption: awss3.BucketEncryption_S3_MANAGED,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(b, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-S1"), Reason: jsii.String("Test bucket: access logs are the application's choice, not the construct's"),
	}}, nil)
	return b
}

func modelProps(dataURL string) *awssagemaker.CfnModelProps {
	return &awssagemaker.CfnModelProps{
		ExecutionRoleArn: jsii.String("arn:aws:iam::111222333444:role/sagemaker-execution"),
		PrimaryContainer: &awssagemaker.CfnModel_ContainerDefinitionProperty{
			Image:        jsii.String(pytorchImage),
			ModelDataUrl: jsii.String(dataURL),
		},
	}
}

func prefixModelProps(uri string) *awssagemaker.CfnModelProps {
	return &awssagemaker.CfnModelProps{
		ExecutionRoleArn: jsii.String("arn:aws:iam::111222333444:role/sagemaker-execution"),
		PrimaryContainer: &awssagemaker.CfnModel_ContainerDefinitionProperty{
			Image: jsii.String(pytorchImage),
			ModelDataSource: &awssagemaker.CfnModel_ModelDataSourceProperty{
				S3DataSource: &awssagemaker.CfnModel_S3DataSourceProperty{
					S3Uri: jsii.String(uri), S3DataType: jsii.String("S3Prefix"), CompressionType: jsii.String("None"),
				},
			},
		},
	}
}

func variant(name, model, instance string) *awssagemaker.CfnEndpointConfig_ProductionVariantProperty {
	v := &awssagemaker.CfnEndpointConfig_ProductionVariantProperty{
		VariantName: jsii.String(name), InstanceType: jsii.String(instance),
		InitialInstanceCount: jsii.Number(1), InitialVariantWeight: jsii.Number(1),
	}
	if model != "" {
		v.ModelName = jsii.String(model)
	}
	return v
}

// defaultProps is the smallest useful endpoint: one single-object model in an owned bucket.
func defaultProps(b awss3.IBucket) *SagemakerEndpointProps {
	return &SagemakerEndpointProps{
		Models: []ModelProps{{Props: modelProps("s3://" + *b.BucketName() + "/models/model.tar.gz")}},
		EndpointConfigProps: &awssagemaker.CfnEndpointConfigProps{
			ProductionVariants: []*awssagemaker.CfnEndpointConfig_ProductionVariantProperty{variant("AllTraffic", "", "ml.m5.large")},
		},
		ModelsBucket: b,
	}
}

var defaultStack = synth(func(stack awscdk.Stack) []SagemakerEndpoint {
	return []SagemakerEndpoint{NewSagemakerEndpoint(stack, jsii.String("Basic"), defaultProps(ownedBucket(stack, "Models")))}
})

// volumeKeyID is the KMS key ID of the full stack's endpoint configs (KmsKeyId).
const volumeKeyID = "1234abcd-12ab-34cd-56ef-1234567890ab"

// fullStack sets every option: imported bucket, two models (one an S3 prefix), named endpoint
// and config, KMS, deployment config, custom bucket events, marker, long quiet period, tracing.
var fullStack = synth(func(stack awscdk.Stack) []SagemakerEndpoint {
	key := awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)})
	bucket := awss3.Bucket_FromBucketName(stack, jsii.String("Imported"), jsii.String("my-models"))
	return []SagemakerEndpoint{NewSagemakerEndpoint(stack, jsii.String("Full"), &SagemakerEndpointProps{
		Models: []ModelProps{
			{Props: modelProps("s3://my-models/ranker/model.tar.gz"), CustomID: jsii.String("ranker")},
			{Props: prefixModelProps("s3://my-models/llm/"), CustomID: jsii.String("llm")},
		},
		EndpointConfigProps: &awssagemaker.CfnEndpointConfigProps{
			EndpointConfigName: jsii.String("shop-config"),
			KmsKeyId:           jsii.String(volumeKeyID),
			ProductionVariants: []*awssagemaker.CfnEndpointConfig_ProductionVariantProperty{
				variant("Ranker", "ranker", "ml.m5.large"),
				variant("Llm", "llm", "ml.g5.xlarge"),
			},
		},
		EndpointProps: &awssagemaker.CfnEndpointProps{
			EndpointName:       jsii.String("shop-endpoint"),
			EndpointConfigName: jsii.String("shop-config"),
			Tags:               &[]*awscdk.CfnTag{{Key: jsii.String("team"), Value: jsii.String("search")}},
		},
		ModelsBucket: bucket,
		BucketEvents: &BucketEvents{
			EventTypes: []awss3.EventType{awss3.EventType_OBJECT_CREATED_PUT, awss3.EventType_OBJECT_CREATED_COMPLETE_MULTIPART_UPLOAD, awss3.EventType_OBJECT_REMOVED},
			Filters: []*awss3.NotificationKeyFilter{
				{Prefix: jsii.String("ranker/"), Suffix: jsii.String(".tar.gz")},
				{Prefix: jsii.String("llm/")},
			},
		},
		CompletionMarkerKey: jsii.String("llm/_SUCCESS"),
		QuietPeriod:         awscdk.Duration_Minutes(jsii.Number(20)),
		DeploymentConfig: &awssagemaker.CfnEndpoint_DeploymentConfigProperty{
			BlueGreenUpdatePolicy: &awssagemaker.CfnEndpoint_BlueGreenUpdatePolicyProperty{
				TrafficRoutingConfiguration: &awssagemaker.CfnEndpoint_TrafficRoutingConfigProperty{
					Type:                  jsii.String("CANARY"),
					CanarySize:            &awssagemaker.CfnEndpoint_CapacitySizeProperty{Type: jsii.String("CAPACITY_PERCENT"), Value: jsii.Number(10)},
					WaitIntervalInSeconds: jsii.Number(300),
				},
				TerminationWaitInSeconds: jsii.Number(120),
			},
			AutoRollbackConfiguration: &awssagemaker.CfnEndpoint_AutoRollbackConfigProperty{
				Alarms: []*awssagemaker.CfnEndpoint_AlarmProperty{{AlarmName: jsii.String("shop-5xx")}},
			},
		},
		RetainAllVariantProperties: jsii.Bool(false),
		EncryptionKey:              key,
		LogRetention:               awslogs.RetentionDays_ONE_WEEK,
		ReconcileSchedule:          nil,
		Tracing:                    jsii.Bool(true),
	})}
})

// sharedBucketStack has two endpoints watching overlapping prefixes of one owned bucket. Tags
// added to the whole stack reach the endpoints, except under the reserved smcd: prefix. The
// second endpoint encrypts with an imported key.
var sharedBucketStack = synth(func(stack awscdk.Stack) []SagemakerEndpoint {
	awscdk.Tags_Of(stack).Add(jsii.String("cost-center"), jsii.String("ml"), nil)
	awscdk.Tags_Of(stack).Add(jsii.String(refresher.TagConfigA), jsii.String("hijacked"), nil)
	b := ownedBucket(stack, "Shared")
	one := defaultProps(b)
	two := defaultProps(b)
	two.EncryptionKey = awskms.Key_FromKeyArn(stack, jsii.String("ImportedKey"), jsii.String("arn:aws:kms:eu-west-1:111222333444:key/"+volumeKeyID))
	two.BucketEvents = &BucketEvents{
		EventTypes: []awss3.EventType{awss3.EventType_OBJECT_CREATED},
		Filters:    []*awss3.NotificationKeyFilter{{Prefix: jsii.String("models/")}},
	}
	return []SagemakerEndpoint{
		NewSagemakerEndpoint(stack, jsii.String("One"), one),
		NewSagemakerEndpoint(stack, jsii.String("Two"), two),
	}
})

// prefixStack has one S3-prefix model in an owned bucket and no marker: the default quiet
// period (DefaultPrefixQuietPeriod), so the S3 rule feeds both queues. Its endpoint configs
// name their KMS key by alias.
var prefixStack = synth(func(stack awscdk.Stack) []SagemakerEndpoint {
	b := ownedBucket(stack, "Models")
	p := defaultProps(b)
	p.Models = []ModelProps{{Props: prefixModelProps("s3://" + *b.BucketName() + "/llm/")}}
	p.EndpointConfigProps.KmsKeyId = jsii.String("alias/endpoint-volumes")
	return []SagemakerEndpoint{NewSagemakerEndpoint(stack, jsii.String("Prefix"), p)}
})
