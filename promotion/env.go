package promotion

import (
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

// Environment variables of `smcd promote`. The promote construct sets them on the pipeline's
// build; ConfigFromEnv reads them. They are the whole contract between the two, so both sides
// (and the CLI's flags, see Settings) use these constants.
const (
	EnvSourceGroupARN = "SMCD_SOURCE_GROUP_ARN"
	EnvTargetBucket   = "SMCD_TARGET_BUCKET"
	EnvTargetGroup    = "SMCD_TARGET_GROUP"
	EnvTargetPrefix   = "SMCD_TARGET_PREFIX"
	EnvKMSKeyARN      = "SMCD_KMS_KEY_ARN"
	EnvSourceRoleARN  = "SMCD_SOURCE_ROLE_ARN"
	EnvApprovalStatus = "SMCD_APPROVAL_STATUS"
	EnvProjectID      = "SMCD_PROJECT_ID"
	EnvProjectName    = "SMCD_PROJECT_NAME"
	EnvVerify         = "SMCD_VERIFY"
	EnvConcurrency    = "SMCD_CONCURRENCY"
	// EnvEvent is a run input, not a setting: the triggering EventBridge event as a JSON file,
	// logged only (a run converges on the source group's current state whatever started it).
	EnvEvent = "SMCD_EVENT"
)

// Setting is one promotion setting: its environment variable (its identity), the smcd promote
// flag that sets it, and its name in messages.
type Setting struct {
	Env, Flag, Label string
	// get reads the setting from a Config, set writes it.
	get func(*Config) string
	set func(*Config, string)
}

// Settings lists every Config setting once, in the order help text shows them. Each is an
// environment variable of the pipeline's build and a flag of smcd promote; the construct and the
// Seedfarmer module have a prop and a parameter for each (their tests check it).
func Settings() []Setting {
	str := func(f func(*Config) *string) (func(*Config) string, func(*Config, string)) {
		return func(c *Config) string { return *f(c) }, func(c *Config, v string) { *f(c) = v }
	}
	s := func(env, flag, label string, f func(*Config) *string) Setting {
		g, w := str(f)
		return Setting{Env: env, Flag: flag, Label: label, get: g, set: w}
	}
	return []Setting{
		s(EnvSourceGroupARN, "source-group-arn", "source group ARN", func(c *Config) *string { return &c.SourceGroupARN }),
		s(EnvTargetBucket, "target-bucket", "target bucket", func(c *Config) *string { return &c.TargetBucket }),
		s(EnvTargetGroup, "target-group", "target group", func(c *Config) *string { return &c.TargetGroup }),
		s(EnvTargetPrefix, "target-prefix", "target prefix", func(c *Config) *string { return &c.TargetPrefix }),
		s(EnvKMSKeyARN, "kms-key-arn", "KMS key ARN", func(c *Config) *string { return &c.KMSKeyARN }),
		s(EnvSourceRoleARN, "source-role-arn", "source role ARN", func(c *Config) *string { return &c.SourceRoleARN }),
		{Env: EnvApprovalStatus, Flag: "approval-status", Label: "approval status",
			get: func(c *Config) string { return string(c.ApprovalStatus) },
			set: func(c *Config, v string) { c.ApprovalStatus = types.ModelApprovalStatus(v) }},
		s(EnvProjectID, "project-id", "project ID", func(c *Config) *string { return &c.ProjectID }),
		s(EnvProjectName, "project-name", "project name", func(c *Config) *string { return &c.ProjectName }),
		{Env: EnvVerify, Flag: "verify", Label: "verify mode",
			get: func(c *Config) string { return string(c.Verify) },
			set: func(c *Config, v string) { c.Verify = s3copy.VerifyMode(v) }},
		{Env: EnvConcurrency, Flag: "concurrency", Label: "copy concurrency",
			get: func(c *Config) string {
				if c.badConcurrency != "" {
					return c.badConcurrency
				}
				if c.Concurrency == 0 {
					return ""
				}
				return strconv.Itoa(c.Concurrency)
			},
			set: func(c *Config, v string) {
				// Text that is not an integer is kept for Validate to name in its error.
				n, err := strconv.Atoi(v)
				c.Concurrency, c.badConcurrency = n, ""
				if err != nil && v != "" {
					c.Concurrency, c.badConcurrency = 0, v
				}
			}},
	}
}

// SettingOf returns the setting of an environment variable (a Setting with only Label, the
// variable itself, when it is not one).
func SettingOf(env string) Setting {
	for _, s := range Settings() {
		if s.Env == env {
			return s
		}
	}
	return Setting{Env: env, Label: env}
}

// Get returns the setting's value in c.
func (s Setting) Get(c Config) string {
	if s.get == nil {
		return ""
	}
	return s.get(&c)
}

// Set sets the setting's value in c.
func (s Setting) Set(c *Config, v string) {
	if s.set != nil {
		s.set(c, v)
	}
}

// Env returns c as environment variables: one per non-empty setting.
func (c Config) Env() map[string]string {
	env := map[string]string{}
	for _, s := range Settings() {
		if v := s.Get(c); v != "" {
			env[s.Env] = v
		}
	}
	return env
}

// ConfigFromEnv reads a Config from environment variables through getenv (empty means unset).
// It does not validate: call Validate.
func ConfigFromEnv(getenv func(string) string) Config {
	var c Config
	for _, s := range Settings() {
		s.Set(&c, getenv(s.Env))
	}
	return c
}
