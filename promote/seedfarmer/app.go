package seedfarmer

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-cd/sagemaker-cd/promote"
)

// newStack builds the module's stack in app: one promote pipeline, whose outputs include
// "metadata" for `seedfarmer metadata convert`.
func newStack(app awscdk.App, c *config) awscdk.Stack {
	props := &awscdk.StackProps{
		Description: jsii.String("sagemaker-cd: SageMaker model package promote pipeline (Seedfarmer module)"),
	}
	if c.Account != "" || c.Region != "" {
		props.Env = &awscdk.Environment{}
		if c.Account != "" {
			props.Env.Account = jsii.String(c.Account)
		}
		if c.Region != "" {
			props.Env.Region = jsii.String(c.Region)
		}
	}
	stack := awscdk.NewStack(app, jsii.String(c.StackName()), props)
	promote.NewModelPackagePromotePipeline(stack, jsii.String("PromotePipeline"), &c.Props)
	return stack
}

// Run synthesizes the module into outdir ("" lets the CDK CLI choose, through CDK_OUTDIR). A
// construct that panics (CDK's way to fail a synth) is reported as an error.
func Run(getenv func(string) string, outdir string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synth: %v", r)
		}
	}()
	c, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	var appProps *awscdk.AppProps
	if outdir != "" {
		appProps = &awscdk.AppProps{Outdir: jsii.String(outdir)}
	}
	app := awscdk.NewApp(appProps)
	newStack(app, c)
	app.Synth(nil)
	return nil
}

// Main is the module app's entry point: Run with the process environment, and on failure one
// line on stderr and exit status 1 (the CDK CLI then reports the synth as failed).
func Main() {
	if err := Run(os.Getenv, ""); err != nil {
		fmt.Fprintln(os.Stderr, "sagemaker-model-package-promote-pipeline:", err)
		os.Exit(1)
	}
}
