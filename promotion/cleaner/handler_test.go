package cleaner

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
	"github.com/sagemaker-cd/sagemaker-cd/promotion"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { testkit.RunWithMoto(m, &moto, testkit.Options{}) }

// fixture is a target account with two groups: the target group holds two packages promoted from
// the source group, one registered by hand, one promoted from a look-alike group and one with
// other metadata; another group holds a package promoted from the same source group.
type fixture struct {
	sm       *sagemaker.Client
	cf       *cloudformation.Client
	promoted []string // ARNs the cleaner must delete
	kept     []string // ARNs in the target group it must keep
	other    string   // package in another group
	stackID  string
}

func setup(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	cfg := moto.Fresh(t)
	f := &fixture{sm: sagemaker.NewFromConfig(cfg), cf: cloudformation.NewFromConfig(cfg)}
	for _, g := range []string{"target-group", "other-group"} {
		if _, err := f.sm.CreateModelPackageGroup(ctx, &sagemaker.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String(g)}); err != nil {
			t.Fatal(err)
		}
	}
	create := func(group string, md map[string]string) string {
		out, err := f.sm.CreateModelPackage(ctx, &sagemaker.CreateModelPackageInput{
			ModelPackageGroupName:      aws.String(group),
			ModelApprovalStatus:        smtypes.ModelApprovalStatusApproved,
			CustomerMetadataProperties: md,
			InferenceSpecification: &smtypes.InferenceSpecification{
				Containers:                              []smtypes.ModelPackageContainerDefinition{{Image: aws.String("111222333444.dkr.ecr.us-east-1.amazonaws.com/m:1"), ModelDataUrl: aws.String("s3://target/m.tar.gz")}},
				SupportedContentTypes:                   []string{"text/csv"},
				SupportedResponseMIMETypes:              []string{"text/csv"},
				SupportedRealtimeInferenceInstanceTypes: []smtypes.ProductionVariantInstanceType{smtypes.ProductionVariantInstanceTypeMlM5Large},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ModelPackageArn)
	}
	src := "arn:aws:sagemaker:us-east-1:444333666777:model-package/my-model-pkg/"
	f.promoted = append(f.promoted, create("target-group", map[string]string{promotion.LineageKey: src + "1"}))
	f.kept = append(f.kept, create("target-group", nil))
	f.promoted = append(f.promoted, create("target-group", map[string]string{promotion.LineageKey: src + "2", "team": "ml"}))
	f.kept = append(f.kept, create("target-group", map[string]string{promotion.LineageKey: "arn:aws:sagemaker:us-east-1:444333666777:model-package/my-model-pkg-2/1"}))
	f.kept = append(f.kept, create("target-group", map[string]string{"team": "ml"}))
	f.other = create("other-group", map[string]string{promotion.LineageKey: src + "1"})

	st, err := f.cf.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:    aws.String("promote-stack"),
		TemplateBody: aws.String(`{"Resources":{"H":{"Type":"AWS::CloudFormation::WaitConditionHandle"}}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.stackID = aws.ToString(st.StackId)
	return f
}

func (f *fixture) remaining(t *testing.T) []string {
	t.Helper()
	var arns []string
	for _, g := range []string{"target-group", "other-group"} {
		out, err := f.sm.ListModelPackages(context.Background(), &sagemaker.ListModelPackagesInput{ModelPackageGroupName: aws.String(g)})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range out.ModelPackageSummaryList {
			arns = append(arns, aws.ToString(s.ModelPackageArn))
		}
	}
	sort.Strings(arns)
	return arns
}

// invoke drives the handler the way Lambda does: a JSON payload into cfn.LambdaWrap, whose
// response PUT goes to a loopback server standing in for CloudFormation's pre-signed URL.
func invoke(t *testing.T, h *Handler, ev cfn.Event) cfn.Response {
	t.Helper()
	var got cfn.Response
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &got); err != nil {
			t.Errorf("response body %q: %v", body, err)
		}
	}))
	defer srv.Close()
	ev.ResponseURL = srv.URL
	ev.RequestID, ev.LogicalResourceID, ev.ResourceType = "req-1", "PackageCleaner", "Custom::PackageCleaner"
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lambda.NewHandler(cfn.LambdaWrap(h.Handle)).Invoke(context.Background(), payload); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestHandler(t *testing.T) {
	props := map[string]any{
		PropSourceModelPackageGroupARN:  "arn:aws:sagemaker:us-east-1:444333666777:model-package-group/my-model-pkg",
		PropTargetModelPackageGroupName: "target-group",
		"ServiceToken":                  "arn:aws:lambda:us-east-1:123456789012:function:cleaner",
	}
	tests := []struct {
		name        string
		req         cfn.RequestType
		physicalID  string
		deleteStack bool // the stack is deleted (DELETE_* status) before the request
		props       map[string]any
		wantStatus  cfn.StatusType
		wantID      string
		wantDeleted string
		wantGone    bool
		wantReason  string
	}{
		{name: "create is a no-op with a stable id", req: cfn.RequestCreate, props: props,
			wantStatus: cfn.StatusSuccess, wantID: "smcd-package-cleaner-target-group", wantDeleted: "0"},
		{name: "update is a no-op that keeps the id", req: cfn.RequestUpdate, physicalID: "smcd-package-cleaner-target-group", props: props,
			wantStatus: cfn.StatusSuccess, wantID: "smcd-package-cleaner-target-group", wantDeleted: "0"},
		{name: "delete during an update cleanup keeps everything", req: cfn.RequestDelete, physicalID: "smcd-package-cleaner-target-group", props: props,
			wantStatus: cfn.StatusSuccess, wantID: "smcd-package-cleaner-target-group", wantDeleted: "0"},
		{name: "stack delete removes only the promoted packages", req: cfn.RequestDelete, physicalID: "smcd-package-cleaner-target-group", props: props, deleteStack: true,
			wantStatus: cfn.StatusSuccess, wantID: "smcd-package-cleaner-target-group", wantDeleted: "2", wantGone: true},
		{name: "bad source ARN fails the request", req: cfn.RequestCreate, props: map[string]any{PropSourceModelPackageGroupARN: "my-model-pkg", PropTargetModelPackageGroupName: "target-group"},
			wantStatus: cfn.StatusFailed, wantID: "req-1", wantReason: `property SourceModelPackageGroupArn "my-model-pkg": expected arn:`},
		{name: "bad target group name fails the request, even on delete", req: cfn.RequestDelete, physicalID: "smcd-package-cleaner-target-group", deleteStack: true,
			props:      map[string]any{PropSourceModelPackageGroupARN: props[PropSourceModelPackageGroupARN], PropTargetModelPackageGroupName: "target_group"},
			wantStatus: cfn.StatusFailed, wantID: "smcd-package-cleaner-target-group", wantReason: `property TargetModelPackageGroupName "target_group": expected 1-63 letters`},
		{name: "missing target group name fails the request", req: cfn.RequestCreate, props: map[string]any{PropSourceModelPackageGroupARN: props[PropSourceModelPackageGroupARN]},
			wantStatus: cfn.StatusFailed, wantID: "req-1", wantReason: `property TargetModelPackageGroupName "": expected 1-63 letters`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			before := f.remaining(t)
			if tt.deleteStack {
				if _, err := f.cf.DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(f.stackID)}); err != nil {
					t.Fatal(err)
				}
			}
			var logs []string
			h := &Handler{SageMaker: f.sm, CloudFormation: f.cf, Logf: func(format string, a ...any) { logs = append(logs, format) }}
			resp := invoke(t, h, cfn.Event{RequestType: tt.req, StackID: f.stackID, PhysicalResourceID: tt.physicalID, ResourceProperties: tt.props})
			if resp.Status != tt.wantStatus || resp.PhysicalResourceID != tt.wantID {
				t.Fatalf("response = %s %q (%s), want %s %q", resp.Status, resp.PhysicalResourceID, resp.Reason, tt.wantStatus, tt.wantID)
			}
			if tt.wantReason != "" && !strings.Contains(resp.Reason, tt.wantReason) {
				t.Errorf("reason = %q, want it to contain %q", resp.Reason, tt.wantReason)
			}
			if tt.wantDeleted != "" && resp.Data["Deleted"] != tt.wantDeleted {
				t.Errorf("Deleted = %v, want %s", resp.Data["Deleted"], tt.wantDeleted)
			}
			after := f.remaining(t)
			want := before
			if tt.wantGone {
				want = append(append([]string{}, f.kept...), f.other)
				sort.Strings(want)
			}
			if strings.Join(after, ",") != strings.Join(want, ",") {
				t.Errorf("packages after = %v, want %v", after, want)
			}
		})
	}
}

// A target group that was never created (nothing promoted yet) holds nothing to delete.
func TestCleanMissingGroup(t *testing.T) {
	f := setup(t)
	h := &Handler{SageMaker: f.sm, CloudFormation: f.cf}
	n, err := h.Clean(context.Background(), "arn:aws:sagemaker:us-east-1:444333666777:model-package-group/my-model-pkg", "never-created")
	if err != nil || n != 0 {
		t.Fatalf("Clean = %d, %v; want 0, nil", n, err)
	}
	if got := f.remaining(t); len(got) != 6 {
		t.Errorf("packages after = %d, want the 6 untouched", len(got))
	}
}
