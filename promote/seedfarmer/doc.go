// Package seedfarmer is the CDK app of the Seedfarmer module
// sagemaker-model-package-promote-pipeline: it reads the module's parameters from the
// SEEDFARMER_PARAMETER_* variables Seedfarmer sets and synthesizes one promote pipeline (package
// promote) in the stack <project>-<deployment>-<module>, whose "metadata" output
// `seedfarmer metadata convert` publishes.
//
// The module directory holds only a small main package that calls Main, pinned to a released
// version of this module, so the app's logic is tested here, next to the construct it deploys.
package seedfarmer
