// Package layering has no code: its tests keep the repository's layers apart, so that a
// change cannot quietly pull the CDK into a Lambda binary or the emulator into a pure core's
// tests. They read the import graph with `go list`.
package layering
