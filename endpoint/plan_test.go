package endpoint

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

// testScope is a fresh app and stack; the construct path is Test/Ep.
func testScope() awscdk.Stack {
	return awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Test"), &awscdk.StackProps{Env: &awscdk.Environment{
		Account: jsii.String("111222333444"), Region: jsii.String("eu-west-1"),
	}})
}

// planOf derives a plan the way NewSagemakerEndpoint does, without building anything.
func planOf(stack awscdk.Stack, p *SagemakerEndpointProps) *plan {
	return newPlan(stack, constructs.NewConstruct(stack, jsii.String("Ep")), p)
}

// panicOf runs f and returns its panic message ("" when it did not panic).
func panicOf(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

func TestValidation(t *testing.T) {
	long := strings.Repeat("x", 64)
	for _, c := range []struct {
		name   string
		change func(p *SagemakerEndpointProps)
		want   string
	}{
		{"no models", func(p *SagemakerEndpointProps) { p.Models = nil }, "Models: expected at least one model, got none"},
		{"nil model props", func(p *SagemakerEndpointProps) { p.Models[0].Props = nil }, "Models[0].Props: expected CfnModelProps, got nil"},
		{"no config props", func(p *SagemakerEndpointProps) { p.EndpointConfigProps = nil }, "EndpointConfigProps: expected endpoint config props"},
		{"no bucket", func(p *SagemakerEndpointProps) { p.ModelsBucket = nil }, "ModelsBucket: expected a bucket"},
		{"config name mismatch", func(p *SagemakerEndpointProps) {
			p.EndpointConfigProps.EndpointConfigName = jsii.String("cfg-one")
			p.EndpointProps = &awssagemaker.CfnEndpointProps{EndpointConfigName: jsii.String("cfg-two")}
		}, `EndpointProps.EndpointConfigName "cfg-two": expected "cfg-one"`},
		{"variant names unknown model", func(p *SagemakerEndpointProps) {
			p.EndpointConfigProps.ProductionVariants = []*awssagemaker.CfnEndpointConfig_ProductionVariantProperty{variant("V", "nope", "ml.m5.large")}
		}, `ProductionVariants[0].ModelName "nope": expected a model's CustomID or ModelName, one of ["Model0"]`},
		{"variant without model among two", func(p *SagemakerEndpointProps) {
			p.Models = append(p.Models, ModelProps{Props: modelProps("s3://b/other.tar.gz"), CustomID: jsii.String("other")})
		}, `ProductionVariants[0].ModelName: expected one of ["Model0" "other"], got none`},
		{"no variants", func(p *SagemakerEndpointProps) {
			p.EndpointConfigProps.ProductionVariants = []*awssagemaker.CfnEndpointConfig_ProductionVariantProperty{}
		}, "ProductionVariants: expected at least one production variant"},
		{"variants not a list", func(p *SagemakerEndpointProps) { p.EndpointConfigProps.ProductionVariants = "x" },
			"ProductionVariants: expected a list of CfnEndpointConfig_ProductionVariantProperty, got string"},
		{"duplicate model IDs", func(p *SagemakerEndpointProps) {
			p.Models = append(p.Models, ModelProps{Props: modelProps("s3://b/m.tar.gz"), CustomID: jsii.String("Model0")})
		}, `Models[1] custom ID "Model0": expected a unique ID`},
		{"empty event types", func(p *SagemakerEndpointProps) { p.BucketEvents = &BucketEvents{} },
			"BucketEvents.EventTypes: expected at least one S3 event type"},
		{"unknown event type", func(p *SagemakerEndpointProps) {
			p.BucketEvents = &BucketEvents{EventTypes: []awss3.EventType{awss3.EventType_OBJECT_RESTORE_COMPLETED}}
		}, `BucketEvents.EventTypes "OBJECT_RESTORE_COMPLETED": expected an OBJECT_CREATED or OBJECT_REMOVED event type`},
		{"duplicate event type", func(p *SagemakerEndpointProps) {
			p.BucketEvents = &BucketEvents{EventTypes: []awss3.EventType{awss3.EventType_OBJECT_CREATED, awss3.EventType_OBJECT_CREATED}}
		}, `BucketEvents.EventTypes "OBJECT_CREATED": expected each event type once`},
		{"prefix with leading slash", func(p *SagemakerEndpointProps) {
			p.BucketEvents = &BucketEvents{EventTypes: []awss3.EventType{awss3.EventType_OBJECT_CREATED},
				Filters: []*awss3.NotificationKeyFilter{{Prefix: jsii.String("/models/")}}}
		}, `BucketEvents.Filters[0].Prefix "/models/": expected a key prefix without a leading "/"`},
		{"duplicate filters", func(p *SagemakerEndpointProps) {
			p.BucketEvents = &BucketEvents{EventTypes: []awss3.EventType{awss3.EventType_OBJECT_CREATED},
				Filters: []*awss3.NotificationKeyFilter{{Prefix: jsii.String("m/"), Suffix: jsii.String(".gz")}, {Prefix: jsii.String("m/"), Suffix: jsii.String(".gz")}}}
		}, `BucketEvents.Filters[1] {Prefix: "m/", Suffix: ".gz"}: expected each filter once`},
		{"marker outside filters", func(p *SagemakerEndpointProps) {
			p.CompletionMarkerKey = jsii.String("done/_SUCCESS")
			p.BucketEvents = &BucketEvents{EventTypes: []awss3.EventType{awss3.EventType_OBJECT_CREATED},
				Filters: []*awss3.NotificationKeyFilter{{Prefix: jsii.String("models/")}}}
		}, `CompletionMarkerKey "done/_SUCCESS": expected a key that BucketEvents.Filters match`},
		{"endpoint name too long", func(p *SagemakerEndpointProps) {
			p.EndpointProps = &awssagemaker.CfnEndpointProps{EndpointName: jsii.String(long)}
		}, `endpoint name "` + long + `": expected at most 63 characters, got 64`},
		{"endpoint name is a token", func(p *SagemakerEndpointProps) {
			p.EndpointProps = &awssagemaker.CfnEndpointProps{EndpointName: awscdk.Aws_STACK_NAME()}
		}, `EndpointProps.EndpointName "${Token[AWS.StackName`},
		{"reserved tag key", func(p *SagemakerEndpointProps) {
			p.EndpointProps = &awssagemaker.CfnEndpointProps{Tags: &[]*awscdk.CfnTag{
				{Key: jsii.String("team"), Value: jsii.String("search")}, {Key: jsii.String("smcd:state-table"), Value: jsii.String("mine")}}}
		}, `EndpointProps.Tags[1] key "smcd:state-table": expected a key outside "smcd:", which is reserved`},
		{"endpoint name with underscore", func(p *SagemakerEndpointProps) {
			p.EndpointProps = &awssagemaker.CfnEndpointProps{EndpointName: jsii.String("my_endpoint")}
		}, `endpoint name "my_endpoint": expected letters, digits and hyphens`},
		{"config name starting with hyphen", func(p *SagemakerEndpointProps) {
			p.EndpointConfigProps.EndpointConfigName = jsii.String("-cfg")
		}, `endpoint config name "-cfg": expected letters, digits and hyphens`},
		{"model name too long", func(p *SagemakerEndpointProps) { p.Models[0].Props.ModelName = jsii.String(long) },
			`Models[0] model name "` + long + `": expected at most 63 characters`},
		{"custom ID with dot", func(p *SagemakerEndpointProps) { p.Models[0].CustomID = jsii.String("v1.2") },
			`Models[0] custom ID "v1.2": expected letters, digits and hyphens`},
		{"quiet period over limit", func(p *SagemakerEndpointProps) { p.QuietPeriod = awscdk.Duration_Minutes(jsii.Number(61)) },
			"QuietPeriod 1h1m0s: expected at most 1h0m0s"},
		{"quiet period fractional", func(p *SagemakerEndpointProps) { p.QuietPeriod = awscdk.Duration_Millis(jsii.Number(1500)) },
			"QuietPeriod 1.5s: expected whole seconds"},
		{"model URL not s3", func(p *SagemakerEndpointProps) { p.Models[0].Props = modelProps("https://example.com/m.tar.gz") },
			`Models[0] S3 URI "https://example.com/m.tar.gz": expected s3://<bucket>/<key>`},
		{"model in another bucket", func(p *SagemakerEndpointProps) { p.Models[0].Props = modelProps("s3://elsewhere/m.tar.gz") },
			`Models[0] S3 URI "s3://elsewhere/m.tar.gz": expected an object in ModelsBucket "my-models"`},
		{"nothing to watch", func(p *SagemakerEndpointProps) {
			p.Models[0].Props = &awssagemaker.CfnModelProps{PrimaryContainer: &awssagemaker.CfnModel_ContainerDefinitionProperty{ModelPackageName: jsii.String("pkg")}}
		}, "BucketEvents: expected filters, and no model has an S3 ModelDataUrl or ModelDataSource"},
		{"deployment config twice", func(p *SagemakerEndpointProps) {
			p.DeploymentConfig = &awssagemaker.CfnEndpoint_DeploymentConfigProperty{}
			p.EndpointProps = &awssagemaker.CfnEndpointProps{DeploymentConfig: &awssagemaker.CfnEndpoint_DeploymentConfigProperty{}}
		}, "EndpointProps.DeploymentConfig: expected nil when DeploymentConfig is set"},
	} {
		t.Run(c.name, func(t *testing.T) {
			stack := testScope()
			p := defaultProps(awss3.Bucket_FromBucketName(stack, jsii.String("B"), jsii.String("my-models")))
			c.change(p)
			got := panicOf(func() { NewSagemakerEndpoint(stack, jsii.String("Ep"), p) })
			if !strings.HasPrefix(got, "endpoint: ") || !strings.Contains(got, c.want) || strings.Contains(got, "\n") {
				t.Errorf("panic = %q, expected one line containing %q", got, c.want)
			}
			// Nothing was created: validation runs before any resource.
			if n := len(*stack.Node().FindAll(constructs.ConstructOrder_PREORDER)); n > 3 {
				t.Errorf("stack has %d constructs after a validation error, expected only the stack, the bucket and the endpoint scope", n)
			}
		})
	}
}

// names is what a plan derives for props built by change in a fresh stack.
func names(t *testing.T, change func(stack awscdk.Stack, p *SagemakerEndpointProps)) (model, a, b string) {
	t.Helper()
	stack := testScope()
	p := defaultProps(awss3.NewBucket(stack, jsii.String("Models"), nil))
	change(stack, p)
	pl := planOf(stack, p)
	return pl.models[0].name, pl.configA, pl.configB
}

func TestContentDerivedNames(t *testing.T) {
	baseModel, baseA, baseB := names(t, func(awscdk.Stack, *SagemakerEndpointProps) {})
	for _, c := range []struct {
		name                       string
		change                     func(stack awscdk.Stack, p *SagemakerEndpointProps)
		modelChanges, configChange bool
	}{
		{"same props", func(awscdk.Stack, *SagemakerEndpointProps) {}, false, false},
		{"token numbers shifted by unrelated constructs", func(stack awscdk.Stack, p *SagemakerEndpointProps) {
			for i := range 5 {
				awss3.NewBucket(stack, jsii.String(fmt.Sprintf("Unrelated%d", i)), nil)
			}
		}, false, false},
		{"endpoint tags", func(_ awscdk.Stack, p *SagemakerEndpointProps) {
			p.EndpointProps = &awssagemaker.CfnEndpointProps{Tags: &[]*awscdk.CfnTag{{Key: jsii.String("k"), Value: jsii.String("v")}}}
		}, false, false},
		{"deployment config", func(_ awscdk.Stack, p *SagemakerEndpointProps) {
			p.DeploymentConfig = &awssagemaker.CfnEndpoint_DeploymentConfigProperty{RollingUpdatePolicy: &awssagemaker.CfnEndpoint_RollingUpdatePolicyProperty{}}
		}, false, false},
		{"model image", func(_ awscdk.Stack, p *SagemakerEndpointProps) {
			p.Models[0].Props.PrimaryContainer.(*awssagemaker.CfnModel_ContainerDefinitionProperty).Image = jsii.String(pytorchImage + "-v2")
		}, true, true},
		{"model environment", func(_ awscdk.Stack, p *SagemakerEndpointProps) {
			p.Models[0].Props.PrimaryContainer.(*awssagemaker.CfnModel_ContainerDefinitionProperty).Environment = &map[string]*string{"SAGEMAKER_PROGRAM": jsii.String("serve.py")}
		}, true, true},
		{"instance type", func(_ awscdk.Stack, p *SagemakerEndpointProps) {
			p.EndpointConfigProps.ProductionVariants = []*awssagemaker.CfnEndpointConfig_ProductionVariantProperty{variant("AllTraffic", "", "ml.c5.xlarge")}
		}, false, true},
		{"data capture", func(_ awscdk.Stack, p *SagemakerEndpointProps) {
			p.EndpointConfigProps.KmsKeyId = jsii.String("alias/endpoint")
		}, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			model, a, b := names(t, c.change)
			if (model != baseModel) != c.modelChanges {
				t.Errorf("model name %s vs %s: expected changed=%v", model, baseModel, c.modelChanges)
			}
			if (a != baseA) != c.configChange || (b != baseB) != c.configChange {
				t.Errorf("config names %s/%s vs %s/%s: expected changed=%v", a, b, baseA, baseB, c.configChange)
			}
		})
	}
}

func TestNamesStayWithinLimits(t *testing.T) {
	name := "e" + strings.Repeat("-x", 31) // 63 characters
	stack := testScope()
	p := defaultProps(awss3.NewBucket(stack, jsii.String("Models"), nil))
	p.EndpointProps = &awssagemaker.CfnEndpointProps{EndpointName: jsii.String(name)}
	p.Models[0].CustomID = jsii.String("a-model-with-a-long-custom-id")
	pl := planOf(stack, p)
	for _, n := range []string{pl.endpointName, pl.configA, pl.configB, pl.models[0].name} {
		if len(n) > MaxNameLength || !nameRE.MatchString(n) {
			t.Errorf("name %q (%d characters): expected a valid SageMaker name within %d", n, len(n), MaxNameLength)
		}
	}
	if pl.configA == pl.configB {
		t.Errorf("configs A and B share the name %s", pl.configA)
	}
}

func TestDefaults(t *testing.T) {
	for _, c := range []struct {
		name    string
		change  func(p *SagemakerEndpointProps)
		quiet   time.Duration
		filters []refresher.Filter
		rules   []s3Rule
	}{
		{"single object: no quiet period, its key", func(*SagemakerEndpointProps) {}, 0,
			[]refresher.Filter{{Prefix: "models/model.tar.gz"}}, []s3Rule{{detailType: "Object Created"}}},
		{"S3 prefix: two minutes, the prefix", func(p *SagemakerEndpointProps) {
			p.Models = append(p.Models, ModelProps{Props: prefixModelProps("s3://my-models/llm/"), CustomID: jsii.String("llm")})
			p.EndpointConfigProps.ProductionVariants = []*awssagemaker.CfnEndpointConfig_ProductionVariantProperty{variant("A", "Model0", "ml.m5.large"), variant("B", "llm", "ml.g5.xlarge")}
		}, 2 * time.Minute, []refresher.Filter{{Prefix: "models/model.tar.gz"}, {Prefix: "llm/"}}, []s3Rule{{detailType: "Object Created"}}},
		{"S3 prefix with marker: no quiet period, the marker", func(p *SagemakerEndpointProps) {
			p.Models[0].Props = prefixModelProps("s3://my-models/llm/")
			p.CompletionMarkerKey = jsii.String("llm/_SUCCESS")
		}, 0, []refresher.Filter{{Prefix: "llm/_SUCCESS"}}, []s3Rule{{detailType: "Object Created"}}},
		{"explicit quiet period, created and deleted", func(p *SagemakerEndpointProps) {
			p.QuietPeriod = awscdk.Duration_Seconds(jsii.Number(45))
			p.BucketEvents = &BucketEvents{EventTypes: []awss3.EventType{awss3.EventType_OBJECT_CREATED_COPY, awss3.EventType_OBJECT_REMOVED_DELETE_MARKER_CREATED, awss3.EventType_OBJECT_REMOVED_DELETE}}
		}, 45 * time.Second, nil, []s3Rule{{"Object Created", []string{"CopyObject"}}, {"Object Deleted", []string{"Delete Marker Created", "Permanently Deleted"}}}},
		{"model in the owned bucket by token", func(p *SagemakerEndpointProps) {
			p.ModelsBucket = awss3.NewBucket(awscdk.Stack_Of(p.ModelsBucket), jsii.String("Owned"), nil)
			p.Models[0].Props = modelProps("s3://" + *p.ModelsBucket.BucketName() + "/v1/model.tar.gz")
		}, 0, []refresher.Filter{{Prefix: "v1/model.tar.gz"}}, []s3Rule{{detailType: "Object Created"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			stack := testScope()
			p := defaultProps(awss3.Bucket_FromBucketName(stack, jsii.String("B"), jsii.String("my-models")))
			p.Models[0].Props = modelProps("s3://my-models/models/model.tar.gz")
			c.change(p)
			pl := planOf(stack, p)
			if pl.quiet != c.quiet {
				t.Errorf("quiet period = %s, expected %s", pl.quiet, c.quiet)
			}
			if fmt.Sprint(pl.filters) != fmt.Sprint(c.filters) {
				t.Errorf("filters = %v, expected %v", pl.filters, c.filters)
			}
			if fmt.Sprint(pl.rules) != fmt.Sprint(c.rules) {
				t.Errorf("rules = %v, expected %v", pl.rules, c.rules)
			}
		})
	}
}
