// Package promotecmd holds `smcd promote` and `smcd promote grants`: promote the latest approved
// model package of a source group into a target account, and print what the source account must
// grant for that. Errors map to documented exit codes.
package promotecmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/sagemaker-cd/sagemaker-cd/events"
	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/cmdutil"
	"github.com/sagemaker-cd/sagemaker-cd/promotion"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

// Commands returns the group's top-level commands.
func Commands(f *cmdutil.Factory) []*cobra.Command {
	return []*cobra.Command{NewCmdPromote(f, nil)}
}

// Options are the flags of `smcd promote`: the promotion's settings (promotion.Config, one flag
// and one SMCD_* variable per setting, see promotion.Settings) and the run's own options.
type Options struct {
	// Config is the promotion's configuration, from flags and the environment.
	Config    promotion.Config
	EventFile string
	DryRun    bool
	Output    string

	// Copier tunes the copy (tests lower the multipart threshold); zero means default.
	Copier s3copy.Options
	// Now is the clock (the factory's).
	Now func() time.Time

	values map[string]*string // flag values by setting env
}

// flagHelp is the help of each setting's flag (the flag and its variable come from the
// contract, promotion.Settings).
var flagHelp = map[string]string{
	promotion.EnvSourceGroupARN: "source model package group ARN (required)",
	promotion.EnvTargetBucket:   "bucket in this account that receives the artifacts (required)",
	promotion.EnvTargetGroup:    "target model package group name (default: the source group's name)",
	promotion.EnvTargetPrefix:   "key prefix in the target bucket",
	promotion.EnvKMSKeyARN:      "KMS key ARN to encrypt the copies with SSE-KMS (required when the target bucket's default encryption is a customer managed key)",
	promotion.EnvSourceRoleARN:  "role in the source account to read the group and artifacts through",
	promotion.EnvApprovalStatus: "status of the registered package: Approved or PendingManualApproval",
	promotion.EnvProjectID:      "SageMaker project ID to tag a created target group with",
	promotion.EnvProjectName:    "SageMaker project name to tag a created target group with",
	promotion.EnvVerify:         "how copies are verified: checksum (size + CRC or MD5 ETag; refuse what cannot be) or size (also accept objects without a checksum: size + source ETag pinned)",
	promotion.EnvConcurrency:    fmt.Sprintf("at most `N` S3 requests in flight at once (1-%d), shared by whole-object copies and the parts of multipart copies; S3 serves thousands of requests per second per prefix", promotion.MaxConcurrency),
}

// flagDefaults are the defaults shown in help (the Config's zero values mean the same).
var flagDefaults = map[string]string{
	promotion.EnvApprovalStatus: string(types.ModelApprovalStatusApproved),
	promotion.EnvVerify:         string(s3copy.VerifyChecksum),
	promotion.EnvConcurrency:    strconv.Itoa(s3copy.DefaultConcurrency),
}

// envBindings binds every flag that has an environment variable to it (flags win).
func envBindings() []cmdutil.EnvFlag {
	var b []cmdutil.EnvFlag
	for _, s := range promotion.Settings() {
		b = append(b, cmdutil.EnvFlag{Flag: s.Flag, Env: s.Env})
	}
	return append(b, cmdutil.EnvFlag{Flag: "event", Env: promotion.EnvEvent})
}

// envList names every variable of envBindings, wrapped for help text.
func envList() string {
	var lines []string
	line := ""
	for _, b := range envBindings() {
		if line != "" && len(line)+len(b.Env)+2 > 96 {
			lines = append(lines, line+",")
			line = ""
		}
		if line != "" {
			line += ", "
		}
		line += b.Env
	}
	return strings.Join(append(lines, line), "\n")
}

// NewCmdPromote builds `smcd promote`. run replaces the run function in tests (nil: runPromote).
func NewCmdPromote(f *cmdutil.Factory, run func(context.Context, *cmdutil.Factory, *Options) error) *cobra.Command {
	opts := &Options{}
	if run == nil {
		run = runPromote
	}
	cmd := &cobra.Command{
		Use:   "promote --source-group-arn ARN --target-bucket NAME [flags]",
		Short: "Promote the latest approved model package into this account",
		Long: fmt.Sprintf(`Promote the latest Approved model package of a source model package group (usually in
another account) into a target model package group in this account.

Every S3 artifact of the package (model data, S3-prefix model data, metrics, drift baselines,
sample payloads, additional inference specifications) is copied server-side into the target
bucket (CopyObject; above 16 MiB, 8 MiB parts with UploadPartCopy in parallel), pinned to the
source ETag seen while planning (a source overwritten meanwhile fails with exit 5), each copy is verified
(size and CRC checksum, or ETag), and only then is the package registered, with the source
package ARN recorded as lineage. Re-runs converge: a package already promoted is not promoted
again, a promoted package whose source is now Rejected is set to Rejected, and when that source
is approved again its copy is set back to --approval-status ("re-approved", nothing copied). A
copy rejected in the target by a person (another approval description) is left Rejected.

Fields left out of the target package (the dry run and the output name each with the reason):
ValidationSpecification, whose ValidationRole is a source-account role the target account cannot
pass (the validation ran in the source account; its inputs are not copied), and SecurityConfig,
whose KMS key belongs to the source account. The source package's tags are copied, except
"aws:" keys and the source's sagemaker:project-id/-name (the lineage tag wins); when the reader
may not call sagemaker:ListTags (reading by ARN: the group policy cannot grant it; a role without
it) the package is promoted without them and the output says "source tags not readable".

Verification (--verify): "checksum" (the default) refuses, before copying, an object that has no
full-object CRC checksum when its ETag cannot be compared (SSE-KMS target or source, multipart
source, copies made in parts: above 16 MiB), as with artifacts uploaded before S3's default checksums (late 2024).
"size" copies such objects anyway, pinned to their planned ETag, and verifies them by size (and
KMS key); the copy gets a CRC32 checksum so later promotions of it are verified strictly.

Target keys: <target-prefix>/<source-group>/<source-version>/<source-bucket>/<source-key>

Every flag has an environment variable for CodeBuild (the flag wins):
%s.

Exit codes:
  0  promoted, re-approved, already up to date, or nothing approved (the message says which)
  2  bad input (ARN, bucket name, approval status, project id or name, verify mode, concurrency,
     output format, unsafe source keys)
  3  access denied (source group, bucket or key policy, or the role to assume)
  4  not found (source group, package, bucket or object)
  5  integrity failure (a copy does not match its source, its source changed after planning,
     or it cannot be verified: add checksums or pass --verify size)
  1  any other error`, envList()),
		Example: `  # Promote the latest approved package of a group in account 444333666777
  smcd promote --source-group-arn arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn \
    --target-bucket mlops-artifacts-111222333444

  # Show what would be copied and registered, without changing anything
  smcd promote --source-group-arn arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn \
    --target-bucket mlops-artifacts-111222333444 --dry-run

  # Read the source through a role, encrypt copies with a key, register for manual approval
  smcd promote --source-group-arn arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn \
    --target-bucket mlops-artifacts-111222333444 --source-role-arn arn:aws:iam::444333666777:role/promote-read \
    --kms-key-arn arn:aws:kms:eu-west-1:111222333444:key/1234abcd-12ab-34cd-56ef-1234567890ab \
    --approval-status PendingManualApproval

  # Artifacts uploaded without checksums, into a KMS-encrypted bucket: accept size + pinned ETag
  smcd promote --source-group-arn arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn \
    --target-bucket mlops-artifacts-111222333444 \
    --kms-key-arn arn:aws:kms:eu-west-1:111222333444:key/1234abcd-12ab-34cd-56ef-1234567890ab --verify size

  # In CodeBuild: configuration from the environment, a JSON summary on stdout
  SMCD_SOURCE_GROUP_ARN=arn:aws:sagemaker:eu-west-1:444333666777:model-package-group/churn \
    SMCD_TARGET_BUCKET=mlops-artifacts-111222333444 smcd promote --output json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := f.ApplyEnv(c.Flags(), envBindings()); err != nil {
				return err
			}
			if err := opts.resolve(c); err != nil {
				return &cmdutil.UsageError{Command: c.CommandPath(), Err: err}
			}
			opts.Now = f.Clock()
			return run(c.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	opts.values = map[string]*string{}
	for _, s := range promotion.Settings() {
		opts.values[s.Env] = fl.String(s.Flag, flagDefaults[s.Env], flagHelp[s.Env]+" (env "+s.Env+")")
	}
	fl.StringVar(&opts.EventFile, "event", "", "triggering EventBridge model package state change event JSON file, logged only (env "+promotion.EnvEvent+")")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the plan (source chosen and why, objects and sizes, target package) and change nothing")
	cmdutil.AddOutputFlag(cmd, &opts.Output)
	cmd.AddCommand(NewCmdGrants(f))
	return cmd
}

// resolve builds the Config from the flags and validates it: the one rule set of
// promotion.Config.Validate, with errors naming the flag (and its variable).
func (o *Options) resolve(c *cobra.Command) error {
	o.Config = promotion.Config{}
	for _, s := range promotion.Settings() {
		s.Set(&o.Config, *o.values[s.Env])
	}
	if err := cmdutil.CheckOutput(c, o.Output); err != nil {
		var u *cmdutil.UsageError
		errors.As(err, &u)
		return u.Err
	}
	err := o.Config.Validate()
	var missing *promotion.MissingError
	var bad *promotion.ConfigError
	switch {
	case errors.As(err, &missing):
		var names []string
		for _, env := range missing.Envs {
			names = append(names, "--"+promotion.SettingOf(env).Flag+" (or "+env+")")
		}
		return fmt.Errorf("%s required", strings.Join(names, " and "))
	case errors.As(err, &bad):
		s := promotion.SettingOf(bad.Env)
		return errors.New(bad.Named("--" + s.Flag + " (" + s.Label + ")"))
	}
	return err
}

// Summary is the --output json document.
type Summary struct {
	Result    string   `json:"result"`
	Message   string   `json:"message"`
	SourceARN string   `json:"sourceArn,omitempty"`
	TargetARN string   `json:"targetArn,omitempty"`
	Objects   int      `json:"objects"`
	Bytes     int64    `json:"bytes"`
	Verified  bool     `json:"verified"`
	Rejected  []string `json:"rejected,omitempty"`
	// Dropped lists source package fields the target package leaves out, with the reason.
	Dropped []promotion.Dropped `json:"dropped,omitempty"`
	// Warnings are things a person should know (also printed on stderr).
	Warnings   []string `json:"warnings,omitempty"`
	DurationMS int64    `json:"durationMs"`
	DryRun     bool     `json:"dryRun,omitempty"`
	// Verify is the verify mode: checksum or size.
	Verify string `json:"verify"`
	// Plan is set with --dry-run.
	Plan *PlanJSON `json:"plan,omitempty"`
}

// PlanJSON is the dry-run plan in JSON.
type PlanJSON struct {
	Reason        string                             `json:"reason"`
	CreateGroup   bool                               `json:"createGroup"`
	TargetGroup   string                             `json:"targetGroup"`
	Reject        []string                           `json:"reject,omitempty"`
	Objects       []PlanObjectJSON                   `json:"objects,omitempty"`
	Dropped       []promotion.Dropped                `json:"dropped,omitempty"`
	TargetPackage *sagemaker.CreateModelPackageInput `json:"targetPackage,omitempty"`
}

// PlanObjectJSON is one planned copy.
type PlanObjectJSON struct {
	Source       string   `json:"source"`
	Target       string   `json:"target"`
	Size         int64    `json:"size"`
	Verification string   `json:"verification"`
	Fields       []string `json:"fields"`
}

// Build makes the promoter from AWS configuration: source clients in the source group's region,
// through the source role when given.
func (o *Options) Build(cfg aws.Config) (*promoter.Promoter, error) {
	arn, err := promotion.ParseGroupARN(o.Config.SourceGroupARN)
	if err != nil {
		return nil, cmdutil.BadInput(err)
	}
	src := cfg.Copy()
	src.Region = arn.Region
	if o.Config.SourceRoleARN != "" {
		src.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), o.Config.SourceRoleARN,
			func(p *stscreds.AssumeRoleOptions) { p.RoleSessionName = "smcd-promote" }))
	}
	pathStyle := func(opt *s3.Options) { opt.UsePathStyle = cfg.BaseEndpoint != nil }
	copts := o.Copier
	copts.KMSKeyARN, copts.Verify = o.Config.KMSKeyARN, o.Config.VerifyMode()
	if o.Config.Concurrency != 0 {
		copts.Concurrency = o.Config.Concurrency
	}
	target := s3.NewFromConfig(cfg, pathStyle, func(opt *s3.Options) { opt.HTTPClient = s3copy.HTTPClient(copts.Concurrency) })
	return &promoter.Promoter{
		Config:         o.Config,
		SourceRegistry: sagemaker.NewFromConfig(src),
		SourceStorage:  s3.NewFromConfig(src, pathStyle),
		TargetRegistry: sagemaker.NewFromConfig(cfg),
		TargetStorage:  target,
		Copier:         s3copy.New(target, func(c *s3copy.Options) { *c = copts }),
		Clock:          o.Now,
	}, nil
}

func runPromote(ctx context.Context, f *cmdutil.Factory, o *Options) error {
	if o.EventFile != "" {
		b, err := os.ReadFile(o.EventFile)
		if err != nil {
			return cmdutil.BadInput(fmt.Errorf("read event file: %w", err))
		}
		ev, err := events.Decode(b)
		if err != nil {
			return cmdutil.BadInput(fmt.Errorf("event file %s: %w", o.EventFile, err))
		}
		detail, err := events.ParseModelPackageStateChange(ev)
		if err != nil {
			return cmdutil.BadInput(fmt.Errorf("event file %s: %w", o.EventFile, err))
		}
		fmt.Fprintf(f.Stderr, "triggered by %s: %s is %s (converging to the source group's current state)\n",
			ev.ID, detail.ModelPackageArn, detail.ModelApprovalStatus)
	}
	cfg, err := f.LoadAWS(ctx)
	if err != nil {
		return err
	}
	p, err := o.Build(cfg)
	if err != nil {
		return err
	}
	if o.DryRun {
		plan, err := p.Plan(ctx)
		if err != nil {
			return mapErr(err, p.Copier.Options.Verify)
		}
		warn(f.Stderr, plan.Warnings)
		return printPlan(f.Stdout, o.Output, plan, p.Copier.Options.Verify)
	}
	r := newRenderer(f, o.Output)
	p.Copier.Options.Progress = r.event
	res, err := p.Promote(ctx)
	if err != nil {
		return mapErr(err, p.Copier.Options.Verify)
	}
	warn(f.Stderr, slices.DeleteFunc(slices.Clone(res.Warnings), func(m string) bool { return r.warned[m] }))
	return printResult(f.Stdout, o.Output, res, p.Copier.Options.Verify)
}

// warn prints warnings on stderr, one line each.
func warn(w io.Writer, warnings []string) {
	for _, m := range warnings {
		fmt.Fprintf(w, "warning: %s\n", m)
	}
}

// mapErr gives promotion errors their exit codes; AWS errors keep cmdutil's mapping. In checksum
// mode, an object that cannot be verified names --verify size as the way out.
func mapErr(err error, verify s3copy.VerifyMode) error {
	var integrity *s3copy.IntegrityError
	var unsafe *promotion.UnsafeKeyError
	var notFound *promotion.NotFoundError
	var key *promoter.TargetKeyError
	switch {
	case errors.As(err, &key):
		return cmdutil.BadInput(err)
	case errors.As(err, &integrity):
		if errors.Is(err, s3copy.ErrUnverifiable) && verify == s3copy.VerifyChecksum {
			err = fmt.Errorf("%w, or pass --verify size (%s=size) to accept size + pinned ETag", err, promotion.EnvVerify)
		}
		return cmdutil.WithCode(cmdutil.ExitIntegrity, err)
	case errors.As(err, &unsafe):
		return cmdutil.WithCode(cmdutil.ExitBadInput, err)
	case errors.As(err, &notFound):
		if code := cmdutil.ExitCode(notFound.Err); code == cmdutil.ExitDenied {
			return err
		}
		return cmdutil.WithCode(cmdutil.ExitNotFound, err)
	}
	return err
}

func message(res *promoter.Result) string {
	switch res.Action {
	case promotion.ActionPromote:
		return fmt.Sprintf("promoted %s as %s (%d objects, %s, verified)", res.SourceARN, res.TargetARN, len(res.Objects), humanBytes(res.Bytes))
	case promotion.ActionUpToDate:
		return "already up to date: " + res.Reason
	case promotion.ActionReapprove:
		return fmt.Sprintf("re-approved %s in the target (now %s): its source %s is Approved again; nothing copied", res.TargetARN, res.Status, res.SourceARN)
	default:
		return "nothing approved: " + res.Reason + "; nothing to promote"
	}
}

func printResult(w io.Writer, output string, res *promoter.Result, verify s3copy.VerifyMode) error {
	var rejected []string
	for _, r := range res.Rejected {
		rejected = append(rejected, r.ARN)
	}
	if output == cmdutil.OutputJSON {
		return writeJSON(w, Summary{Result: string(res.Action), Message: message(res), SourceARN: res.SourceARN, TargetARN: res.TargetARN,
			Objects: len(res.Objects), Bytes: res.Bytes, Verified: res.Verified, Rejected: rejected, Dropped: res.Dropped, Warnings: res.Warnings, DurationMS: res.Duration.Milliseconds(),
			Verify: string(verify)})
	}
	for _, r := range res.Rejected {
		fmt.Fprintf(w, "rejected %s: its source %s is Rejected\n", r.ARN, r.SourceARN)
	}
	for _, d := range res.Dropped {
		fmt.Fprintf(w, "left out %s: %s\n", d.Field, d.Reason)
	}
	_, err := fmt.Fprintln(w, message(res))
	return err
}

func printPlan(w io.Writer, output string, plan *promoter.Plan, verify s3copy.VerifyMode) error {
	pj := &PlanJSON{Reason: plan.Reason, CreateGroup: plan.CreateGroup, TargetGroup: plan.TargetGroup, Dropped: plan.Dropped, TargetPackage: plan.Target}
	for _, r := range plan.Reject {
		pj.Reject = append(pj.Reject, r.ARN)
	}
	for _, o := range plan.Objects {
		pj.Objects = append(pj.Objects, PlanObjectJSON{Source: o.Source.URI(), Target: o.Target.URI(), Size: o.Size, Verification: o.Verification, Fields: o.Fields})
	}
	if output == cmdutil.OutputJSON {
		return writeJSON(w, Summary{Result: string(plan.Action), Message: "dry run: " + plan.Reason, Objects: len(plan.Objects), Bytes: plan.TotalBytes, DryRun: true, Warnings: plan.Warnings,
			Verify: string(verify), Plan: pj})
	}
	fmt.Fprintf(w, "dry run: nothing will be changed\n")
	fmt.Fprintf(w, "decision: %s\n  why: %s\n", plan.Action, plan.Reason)
	for _, r := range plan.Reject {
		fmt.Fprintf(w, "would reject %s (its source %s is Rejected)\n", r.ARN, r.SourceARN)
	}
	if plan.Action == promotion.ActionReapprove {
		fmt.Fprintf(w, "would set %s back to %s (its source %s is Approved again); nothing to copy\n", plan.Existing.ARN, plan.Status, plan.Existing.SourceARN)
	}
	if plan.Action != promotion.ActionPromote {
		return nil
	}
	if plan.CreateGroup {
		fmt.Fprintf(w, "would create target group %s\n", plan.TargetGroup)
	}
	fmt.Fprintf(w, "would copy %d objects (%s), verify mode %s:\n", len(plan.Objects), humanBytes(plan.TotalBytes), verify)
	for _, o := range plan.Objects {
		fmt.Fprintf(w, "  %s -> %s  %s  [%s]  (%s)\n", o.Source.URI(), o.Target.URI(), humanBytes(o.Size), o.Verification, strings.Join(o.Fields, ", "))
	}
	for _, d := range plan.Dropped {
		fmt.Fprintf(w, "would leave out %s: %s\n", d.Field, d.Reason)
	}
	fmt.Fprintf(w, "would register in %s:\n", plan.TargetGroup)
	b, err := json.MarshalIndent(plan.Target, "  ", "  ")
	if err != nil {
		return fmt.Errorf("encode target package: %w", err)
	}
	_, err = fmt.Fprintf(w, "  %s\n", b)
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// renderer draws copy progress: a progress bar on a terminal, log lines otherwise, on stderr.
type renderer struct {
	w      io.Writer
	tty    bool
	output string
	bar    *progressbar.ProgressBar
	// warned holds the copy warnings already printed.
	warned map[string]bool
}

func newRenderer(f *cmdutil.Factory, output string) *renderer {
	return &renderer{w: f.Stderr, tty: f.IsTerminal, output: output, warned: map[string]bool{}}
}

func (r *renderer) event(e s3copy.Event) {
	switch e.Kind {
	case s3copy.EventStart:
		if r.tty {
			r.bar = progressbar.NewOptions64(e.TotalBytes,
				progressbar.OptionSetWriter(r.w),
				progressbar.OptionSetDescription(fmt.Sprintf("copying %d objects", e.TotalObjects)),
				progressbar.OptionShowBytes(true),
				progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionSetRenderBlankState(true),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(r.w) }),
			)
			return
		}
		fmt.Fprintf(r.w, "copying %d objects (%s) server-side\n", e.TotalObjects, humanBytes(e.TotalBytes))
	case s3copy.EventBytes:
		if r.bar != nil {
			_ = r.bar.Add64(e.Bytes)
		}
	case s3copy.EventObjectDone:
		if r.bar == nil {
			how := "CopyObject"
			if e.Copied.Parts > 0 {
				how = fmt.Sprintf("UploadPartCopy x %d", e.Copied.Parts)
			}
			fmt.Fprintf(r.w, "copied %s -> %s (%s, %s, verified: %s)\n", e.Copied.Source.URI(), e.Copied.Target.URI(), humanBytes(e.Copied.Size), how, e.Copied.Verified)
		}
	case s3copy.EventDone:
		if r.bar != nil {
			_ = r.bar.Finish()
		}
		fmt.Fprintf(r.w, "copied and verified %d objects (%s)\n", e.TotalObjects, humanBytes(e.TotalBytes))
	case s3copy.EventWarning:
		// Printed when it happens, so it is seen even if the promotion then fails.
		if e.Err != nil {
			if r.bar != nil {
				_ = r.bar.Clear()
			}
			warn(r.w, []string{e.Err.Error()})
			r.warned[e.Err.Error()] = true
		}
	case s3copy.EventFailed:
		if r.bar != nil {
			_ = r.bar.Exit()
		}
		fmt.Fprintf(r.w, "copy failed: %v\n", e.Err)
	}
}
