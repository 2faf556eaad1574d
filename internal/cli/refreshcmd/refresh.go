package refreshcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/cmdutil"
	"github.com/sagemaker-cd/sagemaker-cd/refresh"
)

// RefreshOptions are the flags of `smcd refresh`.
type RefreshOptions struct {
	TargetOptions
	// Force records a manual change first, so the pass deploys even when nothing changed.
	Force  bool
	Output string
}

// NewCmdRefresh builds `smcd refresh`.
func NewCmdRefresh(f *cmdutil.Factory) *cobra.Command {
	o := &RefreshOptions{}
	cmd := &cobra.Command{
		Use:   "refresh --endpoint NAME [--table NAME] [--config-a NAME --config-b NAME] [--force]",
		Short: "Run one refresh pass for an endpoint now",
		Long: `Run one reconcile pass of the endpoint refresher now, exactly as the refresher Lambda does.

The pass reads the refresher's state (pending changes, in-flight update, last result) from the
state table, describes the endpoint afresh and decides: when the endpoint is InService and
changes wait, it records the intent and calls UpdateEndpoint onto the other endpoint config
(A -> B or B -> A); when the endpoint is busy, it waits; when the endpoint Failed or is on a
config that is neither A nor B, it reports and changes nothing.

--force records a manual change first, so the endpoint is refreshed onto a fresh fleet even
when no artifact changed (for example after replacing bytes outside the watched prefix).

An endpoint made by the SagemakerEndpoint construct names its state table and A/B configs in
its tags (smcd:state-table, smcd:config-a, smcd:config-b), so --endpoint is enough (reading them
needs sagemaker:DescribeEndpoint and sagemaker:ListTags). Flags come first, then the environment
(SMCD_ENDPOINT_NAME, SMCD_CONFIG_A, SMCD_CONFIG_B, SMCD_TABLE_NAME), then the endpoint's tags;
A/B configs found nowhere else are the pair the refresher recorded in the state table.

Exit codes: 0 updated, waiting or up to date; 2 bad flags, no state table (none given and no
smcd:state-table tag) or unknown A/B configs; 4 endpoint or table not found; 6 endpoint Failed
or on a foreign config.`,
		Example: `  # Deploy whatever changed since the last deployment (table and A/B configs from the endpoint's tags)
  smcd refresh --endpoint churn

  # Force a refresh onto a fresh fleet although nothing changed
  smcd refresh --endpoint churn --force

  # An endpoint without smcd: tags: name the table and the A/B configs, print the outcome as JSON
  smcd refresh --endpoint churn --table churn-refresh-state --config-a churn-a --config-b churn-b --output json

  # Against the local emulator
  smcd --endpoint-url http://127.0.0.1:5000 refresh --endpoint churn`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(cmd, o.Output); err != nil {
				return err
			}
			return runRefresh(cmd.Context(), f, cmd, o)
		},
	}
	o.addFlags(cmd, "DynamoDB state table of the refresher")
	cmd.Flags().BoolVar(&o.Force, "force", false, "record a manual change first, so the endpoint is refreshed even if nothing changed")
	cmdutil.AddOutputFlag(cmd, &o.Output)
	return cmd
}

func runRefresh(ctx context.Context, f *cmdutil.Factory, cmd *cobra.Command, o *RefreshOptions) error {
	t, err := resolve(ctx, f, cmd, &o.TargetOptions, true, true)
	if err != nil {
		return err
	}
	r := t.reconciler(io.Discard)
	r.Clock = f.Clock()
	if o.Force {
		if _, err := r.Record(ctx, []refresh.Change{{Key: "smcd refresh --force", At: r.Clock()}}); err != nil {
			return err
		}
	}
	pass, err := r.Reconcile(ctx)
	if err != nil {
		return err
	}
	if o.Output == cmdutil.OutputJSON {
		b, _ := json.MarshalIndent(map[string]any{
			"endpoint": t.cfg.Endpoint, "decision": pass.Decision.Kind.String(), "reason": pass.Decision.Reason,
			"config": pass.Decision.Config, "started": pass.Started, "events": pass.Decision.Events,
			"status": pass.Observation.Status, "currentConfig": pass.Observation.Config, "state": pass.State,
		}, "", "  ")
		fmt.Fprintln(f.Stdout, string(b))
	} else {
		fmt.Fprintf(f.Stdout, "endpoint %s (%s on %s): %s: %s\n", t.cfg.Endpoint, orDash(string(pass.Observation.Status)),
			orDash(pass.Observation.Config), pass.Decision.Kind, pass.Decision.Reason)
		if pass.Started {
			follow := "smcd status --endpoint " + t.cfg.Endpoint
			if !t.tableTag {
				follow += " --table " + t.cfg.Table
			}
			fmt.Fprintf(f.Stdout, "update to %s started; `%s` follows it\n", pass.Decision.Config, follow)
		}
	}
	return decisionError(t.cfg.Endpoint, pass.Decision)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
