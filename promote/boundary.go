package promote

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// boundaryID is the ID, under the stack, of the construct that holds the imported boundary
// policy, whose ID is the policy's name. There is one per stack, shared by its promote pipelines.
const boundaryID = "PromotePermissionsBoundary"

// boundaryConflict reports a promote pipeline of stack that already applies a boundary other
// than name: the boundary covers every role of the stack, so one stack can have only one.
func boundaryConflict(stack awscdk.Stack, name string) error {
	holder := stack.Node().TryFindChild(jsii.String(boundaryID))
	if name == "" || holder == nil || holder.Node().TryFindChild(jsii.String(name)) != nil {
		return nil
	}
	var other string
	for _, c := range *holder.Node().Children() {
		other = *c.Node().Id()
	}
	return fmt.Errorf("PermissionsBoundaryName %q: stack %s already has promote pipeline permissions boundary %q, which applies to every role of the stack; give all promote pipelines of a stack the same PermissionsBoundaryName",
		name, *stack.StackName(), other)
}

// applyBoundary attaches the managed policy name, in the stack's account and partition, as
// permissions boundary to every IAM role of stack: the pipeline's, the helper roles CDK creates
// behind the scenes and roles the user adds to the same stack (IAM users of the stack too). A
// second call for the same stack adds nothing; boundaryConflict rejects a different name first.
//
// CDK's own PermissionsBoundary aspect does it: it matches every CfnResource of type
// AWS::IAM::Role, so it also reaches the roles CDK renders as a generic CfnResource rather than
// an awsiam.CfnRole, such as those of a CustomResourceProvider (the provider behind a bucket's
// AutoDeleteObjects, for one). It runs in Node, without a jsii round trip per construct.
func applyBoundary(stack awscdk.Stack, name string) {
	if stack.Node().TryFindChild(jsii.String(boundaryID)) != nil {
		return
	}
	holder := constructs.NewConstruct(stack, jsii.String(boundaryID))
	policy := awsiam.ManagedPolicy_FromManagedPolicyName(holder, jsii.String(name), jsii.String(name))
	awsiam.PermissionsBoundary_Of(stack).Apply(policy)
}
