// Command sagemaker-model-package-promote-pipeline is the Seedfarmer module's CDK app: it reads
// the module parameters from SEEDFARMER_PARAMETER_* variables and deploys one promote pipeline
// (package promote) in the stack <project>-<deployment>-<module>. Run it with
// `cdk deploy --app "go run ."` from this directory, as deployspec.yaml does.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(os.Getenv, ""); err != nil {
		fmt.Fprintln(os.Stderr, "sagemaker-model-package-promote-pipeline:", err)
		os.Exit(1)
	}
}
