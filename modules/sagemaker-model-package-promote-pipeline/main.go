// Command sagemaker-model-package-promote-pipeline is the Seedfarmer module's CDK app. Its logic
// lives in github.com/sagemaker-cd/sagemaker-cd/promote/seedfarmer, at the version this
// directory's go.mod pins; deployspec.yaml runs it with `cdk deploy --app "go run ."`.
package main

import "github.com/sagemaker-cd/sagemaker-cd/promote/seedfarmer"

func main() { seedfarmer.Main() }
