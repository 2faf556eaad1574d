package iamcheck

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Call is one AWS API call made through an instrumented configuration.
type Call struct {
	// Role is the name of the IAM role that makes the call in production.
	Role string
	// Service is the SDK's service ID ("SageMaker", "S3", "DynamoDB", ...).
	Service string
	// Operation is the API operation name ("UpdateEndpoint").
	Operation string
	// Region the call was sent to.
	Region string
	// Input is the operation's input struct (such as *sagemaker.UpdateEndpointInput).
	Input any
	// Output is the operation's output struct, nil when the call failed.
	Output any
	// Err is the call's error, nil when it succeeded.
	Err error
}

// Recorder records the calls made through the configurations it instruments. It is safe for
// concurrent use.
type Recorder struct {
	mu    sync.Mutex
	calls []Call
}

// Instrument returns a copy of cfg whose clients record every call as made by role.
func (r *Recorder) Instrument(cfg aws.Config, role string) aws.Config {
	out := cfg.Copy()
	out.APIOptions = append(out.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("smcd-iamcheck-record",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				c := Call{
					Role: role, Service: awsmiddleware.GetServiceID(ctx), Operation: awsmiddleware.GetOperationName(ctx),
					Region: awsmiddleware.GetRegion(ctx), Input: in.Parameters, Err: err,
				}
				if err == nil {
					c.Output = out.Result
				}
				r.mu.Lock()
				r.calls = append(r.calls, c)
				r.mu.Unlock()
				return out, md, err
			}), middleware.After) // after the SDK's own, which put service, operation and region in ctx
	})
	return out
}

// Calls returns the calls recorded so far, in the order they finished.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}
