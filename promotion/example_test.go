package promotion_test

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/promotion"
)

func ExampleLatestApproved() {
	at := func(m int) *time.Time { t := time.Date(2026, 5, 1, 9, m, 0, 0, time.UTC); return &t }
	latest, ok := promotion.LatestApproved([]types.ModelPackageSummary{
		{ModelPackageArn: aws.String("churn/1"), ModelApprovalStatus: types.ModelApprovalStatusApproved, CreationTime: at(1)},
		{ModelPackageArn: aws.String("churn/2"), ModelApprovalStatus: types.ModelApprovalStatusApproved, CreationTime: at(2)},
		{ModelPackageArn: aws.String("churn/3"), ModelApprovalStatus: types.ModelApprovalStatusRejected, CreationTime: at(3)},
	})
	fmt.Println(aws.ToString(latest.ModelPackageArn), ok)
	// Output: churn/2 true
}

func ExampleTargetKey() {
	src := promotion.S3Location{Bucket: "mlops-models-444333666777", Key: "churn/model.tar.gz"}
	fmt.Println(promotion.TargetKey("promoted", "churn", 2, src))
	// Output: promoted/churn/2/mlops-models-444333666777/churn/model.tar.gz
}

func ExampleDecide() {
	latest := types.ModelPackageSummary{ModelPackageArn: aws.String("src/2"), ModelApprovalStatus: types.ModelApprovalStatusApproved}
	d := promotion.Decide(&latest, map[string]bool{"src/3": true}, []promotion.TargetCopy{
		{ARN: "tgt/1", SourceARN: "src/2", Status: types.ModelApprovalStatusApproved},
		{ARN: "tgt/2", SourceARN: "src/3", Status: types.ModelApprovalStatusApproved},
	}, types.ModelApprovalStatusApproved)
	fmt.Println(d.Action, d.Reject[0].ARN)

	// src/2 was rejected (and its copy with it), then approved again: the copy is set back.
	d = promotion.Decide(&latest, nil, []promotion.TargetCopy{
		{ARN: "tgt/1", SourceARN: "src/2", Status: types.ModelApprovalStatusRejected, ApprovalDescription: promotion.RejectionNote("src/2")},
	}, types.ModelApprovalStatusApproved)
	fmt.Println(d.Action, d.Existing.ARN, d.Status)
	// Output:
	// up-to-date tgt/2
	// re-approve tgt/1 Approved
}

func ExampleCheckKey() {
	fmt.Println(promotion.CheckKey("models", "llm/weights/", 0, true))
	// Output: unsafe source key s3://models/llm/weights/: 0-byte folder marker under a model prefix
}

func ExampleBuildGrants() {
	g, err := promotion.BuildGrants(promotion.GrantsInput{
		SourceGroupARN:  "arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn",
		TargetAccountID: "111222333444",
		Buckets:         []string{"mlops-models-444333666777"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(g.EventRule.Name, g.EventRule.TargetARN)
	// Output: smcd-forward-churn arn:aws:events:eu-west-1:111222333444:event-bus/default
}
