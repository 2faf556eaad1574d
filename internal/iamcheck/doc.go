// Package iamcheck evaluates, in emulator tests, every AWS call the runtime makes against the IAM
// policies the constructs synthesize, with a real policy engine (@cloud-copilot/iam-simulate,
// run by Node from this directory; `make deps` installs it with npm ci).
//
// A Recorder instruments the aws.Config a runtime component is built from and records each call
// with the role that makes it in production. Authorize turns a call into the IAM requests AWS
// makes for it, on the ARNs AWS uses (SageMaker names lower-cased; UpdateEndpoint on the endpoint
// and the endpoint config; CopyObject and UploadPartCopy on source and target; the KMS calls S3
// and SageMaker make on the caller's behalf), with the request context keys AWS sets. A Checker
// evaluates them with the role's identity policies (read from the synthesized template), its
// permissions boundary and the resource's policy (read from the emulator), and reports each
// denied request with the role, action, resource and the policy that should allow it.
package iamcheck
