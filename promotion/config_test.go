package promotion_test

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/sagemaker-cd/sagemaker-cd/promotion"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

func validConfig() promotion.Config {
	return promotion.Config{
		SourceGroupARN: "arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn",
		TargetBucket:   "mlops-artifacts-111222333444",
	}
}

// TestConfigValidate is the one rule set of every front end (CLI, construct, module): each bad
// value is refused naming the setting, the value and what was expected.
func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*promotion.Config)
		env    string // the setting named ("" for a valid config)
		want   string
	}{
		{"minimal", func(*promotion.Config) {}, "", ""},
		{"everything", func(c *promotion.Config) {
			c.TargetGroup, c.TargetPrefix = "churn-prod", "promoted/v1"
			c.KMSKeyARN = "arn:aws:kms:eu-west-1:111222333444:key/1234abcd-12ab-34cd-56ef-1234567890ab"
			c.SourceRoleARN = "arn:aws:iam::444333666777:role/path/promote-read"
			c.ApprovalStatus, c.ProjectID, c.ProjectName, c.Verify = "PendingManualApproval", "p-abcdef123456", "churn", s3copy.VerifySize
		}, "", ""},
		{"govcloud", func(c *promotion.Config) {
			c.SourceGroupARN = "arn:aws-us-gov:sagemaker:us-gov-west-1:444333666777:model-package-group/churn"
		}, "", ""},
		{"not an ARN", func(c *promotion.Config) { c.SourceGroupARN = "churn" }, promotion.EnvSourceGroupARN, "expected arn:<partition>:sagemaker"},
		{"short account", func(c *promotion.Config) {
			c.SourceGroupARN = "arn:aws:sagemaker:us-east-1:123:model-package-group/x"
		}, promotion.EnvSourceGroupARN, `account "123" is not a 12-digit account ID`},
		{"package ARN", func(c *promotion.Config) {
			c.SourceGroupARN = "arn:aws:sagemaker:us-east-1:444333666777:model-package/x/1"
		}, promotion.EnvSourceGroupARN, `resource "model-package/x/1"`},
		{"unknown partition", func(c *promotion.Config) {
			c.SourceGroupARN = "arn:aws-moon:sagemaker:us-east-1:444333666777:model-package-group/x"
		}, promotion.EnvSourceGroupARN, `partition "aws-moon" is not an AWS partition`},
		{"region of another partition", func(c *promotion.Config) {
			c.SourceGroupARN = "arn:aws:sagemaker:cn-north-1:444333666777:model-package-group/x"
		}, promotion.EnvSourceGroupARN, "region cn-north-1 is not in partition aws"},
		{"wrong service", func(c *promotion.Config) {
			c.SourceGroupARN = "arn:aws:s3:us-east-1:444333666777:model-package-group/x"
		}, promotion.EnvSourceGroupARN, `service "s3"`},
		{"group name", func(c *promotion.Config) {
			c.SourceGroupARN = "arn:aws:sagemaker:us-east-1:444333666777:model-package-group/a_b"
		}, promotion.EnvSourceGroupARN, `group name "a_b"`},
		{"bucket upper case", func(c *promotion.Config) { c.TargetBucket = "My_Bucket" }, promotion.EnvTargetBucket, "expected an S3 bucket name"},
		{"bucket too short", func(c *promotion.Config) { c.TargetBucket = "ab" }, promotion.EnvTargetBucket, "expected an S3 bucket name"},
		{"bucket IP", func(c *promotion.Config) { c.TargetBucket = "192.168.1.1" }, promotion.EnvTargetBucket, "formatted as an IP address"},
		{"bucket adjacent periods", func(c *promotion.Config) { c.TargetBucket = "my..bucket" }, promotion.EnvTargetBucket, "two adjacent periods"},
		{"bucket reserved prefix", func(c *promotion.Config) { c.TargetBucket = "xn--bucket" }, promotion.EnvTargetBucket, `the prefix "xn--" is reserved`},
		{"bucket reserved suffix", func(c *promotion.Config) { c.TargetBucket = "bucket--ol-s3" }, promotion.EnvTargetBucket, `the suffix "--ol-s3" is reserved`},
		{"target group", func(c *promotion.Config) { c.TargetGroup = "-prod" }, promotion.EnvTargetGroup, "expected 1-63"},
		{"target group too long", func(c *promotion.Config) { c.TargetGroup = strings.Repeat("a", 64) }, promotion.EnvTargetGroup, "expected 1-63"},
		{"prefix with dot-dot", func(c *promotion.Config) { c.TargetPrefix = "a/../b" }, promotion.EnvTargetPrefix, `without ".."`},
		{"KMS alias", func(c *promotion.Config) {
			c.KMSKeyARN = "arn:aws:kms:eu-west-1:111222333444:alias/x"
		}, promotion.EnvKMSKeyARN, "an alias cannot scope IAM permissions"},
		{"KMS not an ARN", func(c *promotion.Config) { c.KMSKeyARN = "1234abcd" }, promotion.EnvKMSKeyARN, "expected arn:<partition>:kms"},
		{"KMS other region", func(c *promotion.Config) {
			c.KMSKeyARN = "arn:aws:kms:us-east-1:111222333444:key/abcd"
		}, promotion.EnvKMSKeyARN, "expected a key in aws eu-west-1"},
		{"role not IAM", func(c *promotion.Config) {
			c.SourceRoleARN = "arn:aws:sts::444333666777:assumed-role/r/s"
		}, promotion.EnvSourceRoleARN, `service "sts"`},
		{"role with region", func(c *promotion.Config) {
			c.SourceRoleARN = "arn:aws:iam:eu-west-1:444333666777:role/r"
		}, promotion.EnvSourceRoleARN, "iam ARNs have no region"},
		{"role is a user", func(c *promotion.Config) {
			c.SourceRoleARN = "arn:aws:iam::444333666777:user/u"
		}, promotion.EnvSourceRoleARN, `resource "user/u"`},
		{"role in another account", func(c *promotion.Config) {
			c.SourceRoleARN = "arn:aws:iam::111222333444:role/r"
		}, promotion.EnvSourceRoleARN, "expected a role in the source account 444333666777"},
		{"approval status", func(c *promotion.Config) { c.ApprovalStatus = "approved" }, promotion.EnvApprovalStatus, "expected Approved or PendingManualApproval"},
		{"project id underscore", func(c *promotion.Config) { c.ProjectID = "p_123" }, promotion.EnvProjectID, "expected a SageMaker project ID"},
		{"project id over 20", func(c *promotion.Config) { c.ProjectID = "p-abcdefghijklmnopqrs" }, promotion.EnvProjectID, "1-20"},
		{"project id ending in a hyphen", func(c *promotion.Config) { c.ProjectID = "p-" }, promotion.EnvProjectID, "1-20"},
		{"project name with a space", func(c *promotion.Config) { c.ProjectName = "my project" }, promotion.EnvProjectName, "expected 1-32"},
		{"project name over 32", func(c *promotion.Config) { c.ProjectName = strings.Repeat("a", 33) }, promotion.EnvProjectName, "expected 1-32"},
		{"verify mode", func(c *promotion.Config) { c.Verify = "md5" }, promotion.EnvVerify, "expected checksum or size"},
		{"concurrency unset: the default", func(c *promotion.Config) { promotion.SettingOf(promotion.EnvConcurrency).Set(c, "") }, "", ""},
		{"concurrency 0: the default", func(c *promotion.Config) { promotion.SettingOf(promotion.EnvConcurrency).Set(c, "0") }, "", ""},
		{"concurrency 1", func(c *promotion.Config) { promotion.SettingOf(promotion.EnvConcurrency).Set(c, "1") }, "", ""},
		{"concurrency 1000", func(c *promotion.Config) { c.Concurrency = 1000 }, "", ""},
		{"concurrency 1001", func(c *promotion.Config) { c.Concurrency = 1001 }, promotion.EnvConcurrency, `copy concurrency "1001": expected an integer 1-1000`},
		{"concurrency negative", func(c *promotion.Config) { promotion.SettingOf(promotion.EnvConcurrency).Set(c, "-4") }, promotion.EnvConcurrency, `"-4": expected an integer 1-1000`},
		{"concurrency not a number", func(c *promotion.Config) { promotion.SettingOf(promotion.EnvConcurrency).Set(c, "x") }, promotion.EnvConcurrency, `copy concurrency "x": expected an integer 1-1000`},
		{"concurrency not an integer", func(c *promotion.Config) { promotion.SettingOf(promotion.EnvConcurrency).Set(c, "2.5") }, promotion.EnvConcurrency, `"2.5": expected an integer`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			tc.change(&c)
			err := c.Validate()
			if tc.env == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var ce *promotion.ConfigError
			if !errors.As(err, &ce) || ce.Env != tc.env || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want a ConfigError for %s containing %q", err, tc.env, tc.want)
			}
			if got, want := ce.Named("--x"), `--x "`+ce.Value+`": `; !strings.HasPrefix(got, want) {
				t.Errorf("Named = %q, want prefix %q", got, want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error has several lines: %q", err)
			}
		})
	}
}

// TestConfigConcurrencyFromEnv: SMCD_CONCURRENCY is parsed into Concurrency, whose default is
// s3copy's, and written back by Env.
func TestConfigConcurrencyFromEnv(t *testing.T) {
	env := validConfig().Env()
	if c := promotion.ConfigFromEnv(func(k string) string { return env[k] }); c.Concurrency != 0 || c.CopyConcurrency() != s3copy.DefaultConcurrency {
		t.Errorf("unset: Concurrency %d, CopyConcurrency %d; want 0 and %d", c.Concurrency, c.CopyConcurrency(), s3copy.DefaultConcurrency)
	}
	env[promotion.EnvConcurrency] = "16"
	c := promotion.ConfigFromEnv(func(k string) string { return env[k] })
	if c.Concurrency != 16 || c.CopyConcurrency() != 16 || c.Validate() != nil || c.Env()[promotion.EnvConcurrency] != "16" {
		t.Errorf("%s=16: Concurrency %d, CopyConcurrency %d, Validate %v, Env %v", promotion.EnvConcurrency, c.Concurrency, c.CopyConcurrency(), c.Validate(), c.Env())
	}
	if s := promotion.SettingOf(promotion.EnvConcurrency); s.Flag != "concurrency" || s.Label != "copy concurrency" {
		t.Errorf("setting = %+v, want flag concurrency, label copy concurrency", s)
	}
}

func TestConfigMissing(t *testing.T) {
	err := promotion.Config{}.Validate()
	var me *promotion.MissingError
	if !errors.As(err, &me) || !errors.Is(err, promotion.ErrMissing) || len(me.Envs) != 2 ||
		me.Envs[0] != promotion.EnvSourceGroupARN || me.Envs[1] != promotion.EnvTargetBucket {
		t.Fatalf("Validate() = %v, want both required settings missing", err)
	}
}

// TestConfigEnvRoundTrip: what the construct writes with Env, the promoter reads back with
// ConfigFromEnv, setting by setting.
func TestConfigEnvRoundTrip(t *testing.T) {
	c := validConfig()
	for i, s := range promotion.Settings() {
		if s.Get(c) == "" {
			s.Set(&c, "value-"+s.Env)
		}
		if s.Env == "" || s.Flag == "" || s.Label == "" || !strings.HasPrefix(s.Env, "SMCD_") {
			t.Errorf("setting %d %+v: want an SMCD_ variable, a flag and a label", i, s)
		}
	}
	env := c.Env()
	if len(env) != len(promotion.Settings()) {
		t.Fatalf("Env() has %d variables, want one per setting (%d)", len(env), len(promotion.Settings()))
	}
	back := promotion.ConfigFromEnv(func(k string) string { return env[k] })
	if !maps.Equal(back.Env(), env) || back != c {
		t.Errorf("round trip: %+v, want %+v", back, c)
	}
	if got := validConfig().Env(); len(got) != 2 {
		t.Errorf("Env() of a minimal config = %v, want only the two required settings", got)
	}
}

func TestConfigDefaults(t *testing.T) {
	c := validConfig()
	if c.Group() != "churn" || c.Status() != "Approved" || c.VerifyMode() != s3copy.VerifyChecksum {
		t.Errorf("defaults: group %q status %q verify %q", c.Group(), c.Status(), c.VerifyMode())
	}
	c.TargetGroup = "prod"
	if c.Group() != "prod" {
		t.Errorf("Group() = %q, want prod", c.Group())
	}
}
