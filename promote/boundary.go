package promote

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
)

// permissionsBoundary is an aspect that sets the permissions boundary of every IAM role it
// visits. Added to the stack, it reaches roles CDK creates behind the scenes too (custom resource
// providers, log retention, bucket notifications).
type permissionsBoundary struct {
	arn *string
}

// Visit sets the boundary on node when it is an AWS::IAM::Role.
func (b *permissionsBoundary) Visit(node constructs.IConstruct) {
	if role, ok := node.(awsiam.CfnRole); ok {
		role.SetPermissionsBoundary(b.arn)
	}
}
