package refreshcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/cmdutil"
	"github.com/sagemaker-cd/sagemaker-cd/refresh"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

// StatusOptions are the flags of `smcd status`.
type StatusOptions struct {
	TargetOptions
	Output string
}

// Status is what `smcd status` reports (and prints with --output json).
type Status struct {
	Endpoint      string `json:"endpoint"`
	ConfigA       string `json:"configA,omitempty"`
	ConfigB       string `json:"configB,omitempty"`
	Found         bool   `json:"found"`
	Status        string `json:"status,omitempty"`
	CurrentConfig string `json:"currentConfig,omitempty"`
	FailureReason string `json:"failureReason,omitempty"`
	// Table is empty when no state table was given; the fields below are then absent.
	Table         string              `json:"table,omitempty"`
	Desired       int64               `json:"desired"`
	Deployed      int64               `json:"deployed"`
	Failed        int64               `json:"failed"`
	Pending       bool                `json:"pending"`
	InFlight      *refresh.Deployment `json:"inFlight,omitempty"`
	LastResult    *refresh.Result     `json:"lastResult,omitempty"`
	LastChangeKey string              `json:"lastChangeKey,omitempty"`
	LastChangeAt  time.Time           `json:"lastChangeAt,omitzero"`
	UpdatedAt     time.Time           `json:"updatedAt,omitzero"`
	// Next is what a refresh pass would do now, and why.
	Next       string `json:"next,omitempty"`
	NextReason string `json:"nextReason,omitempty"`
}

// NewCmdStatus builds `smcd status`.
func NewCmdStatus(f *cmdutil.Factory) *cobra.Command {
	o := &StatusOptions{}
	cmd := &cobra.Command{
		Use:   "status --endpoint NAME [--table NAME] [--output text|json]",
		Short: "Show an endpoint's A/B configs, pending changes and in-flight update",
		Long: `Show what the refresher knows about an endpoint, and what a refresh pass would do now.

It describes the endpoint (status, current endpoint config, failure reason) and, with a state
table, reads the refresher's record: endpoint configs A and B, the number of changes recorded
(desired), deployed and known to fail, the update in flight, how the last update ended and the
last change seen. The "next" line is the refresher's decision for this moment; status only
reads, it never starts an update.

An endpoint made by the SagemakerEndpoint construct names its state table and A/B configs in
its tags (smcd:state-table, smcd:config-a, smcd:config-b), so --endpoint is enough (reading them
needs sagemaker:DescribeEndpoint and sagemaker:ListTags). Flags come first, then the environment
(SMCD_ENDPOINT_NAME, SMCD_CONFIG_A, SMCD_CONFIG_B, SMCD_TABLE_NAME), then the endpoint's tags;
A/B configs found nowhere else are the pair recorded in the state table. Without any table,
only the endpoint is shown.

Exit codes: 0 fine (updating, waiting or up to date); 2 bad flags; 4 endpoint or table not
found; 6 endpoint Failed or on a config that is neither A nor B.`,
		Example: `  # Everything the refresher knows about an endpoint (table and A/B configs from its tags)
  smcd status --endpoint churn

  # An endpoint without smcd: tags: name the state table
  smcd status --endpoint churn --table churn-refresh-state

  # Machine-readable output for scripts and alarms
  smcd status --endpoint churn --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cmdutil.CheckOutput(cmd, o.Output); err != nil {
				return err
			}
			return runStatus(cmd.Context(), f, cmd, o)
		},
	}
	o.addFlags(cmd, "DynamoDB state table of the refresher; without one only the endpoint is shown")
	cmdutil.AddOutputFlag(cmd, &o.Output)
	return cmd
}

func runStatus(ctx context.Context, f *cmdutil.Factory, cmd *cobra.Command, o *StatusOptions) error {
	t, err := resolve(ctx, f, cmd, &o.TargetOptions, false, false)
	if err != nil {
		return err
	}
	obs, err := t.reconciler(io.Discard).Observe(ctx)
	if err != nil {
		return err
	}
	st := t.item.State
	s := Status{Endpoint: t.cfg.Endpoint, ConfigA: t.cfg.ConfigA, ConfigB: t.cfg.ConfigB, Found: obs.Found,
		Status: string(obs.Status), CurrentConfig: obs.Config, FailureReason: obs.FailureReason, Table: t.cfg.Table}
	if t.hasTable {
		s.Desired, s.Deployed, s.Failed, s.Pending = st.Desired, st.Deployed, st.Failed, st.Pending()
		s.InFlight, s.LastResult, s.LastChangeKey, s.LastChangeAt, s.UpdatedAt = st.InFlight, st.LastResult, st.LastChangeKey, st.LastChangeAt, t.item.UpdatedAt
	}
	var next refresh.Decision
	if t.cfg.ConfigA != "" {
		_, next = refresh.Decide(st, obs, f.Clock()(), t.cfg.Policy())
		s.Next, s.NextReason = next.Kind.String(), next.Reason
	} else if !obs.Found {
		next = refresh.Decision{Kind: refresh.Report, Events: []refresh.Event{refresh.EventNotFound}}
	} else if obs.Status.Class() == refresh.ClassTerminal {
		next = refresh.Decision{Kind: refresh.Report, Reason: fmt.Sprintf("endpoint is %s: %s", obs.Status, obs.FailureReason)}
	}
	if o.Output == cmdutil.OutputJSON {
		b, _ := json.MarshalIndent(s, "", "  ")
		fmt.Fprintln(f.Stdout, string(b))
	} else {
		printStatus(f.Stdout, s)
	}
	return decisionError(t.cfg.Endpoint, next)
}

func printStatus(w io.Writer, s Status) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("Endpoint", s.Endpoint)
	if !s.Found {
		row("Status", "not found")
		tw.Flush()
		return
	}
	current := s.CurrentConfig
	switch {
	case s.ConfigA != "" && current == s.ConfigA:
		current += " (A)"
	case s.ConfigB != "" && current == s.ConfigB:
		current += " (B)"
	case s.ConfigA != "":
		current += " (neither A nor B)"
	}
	row("Status", s.Status)
	row("Current config", current)
	if s.FailureReason != "" {
		row("Failure reason", s.FailureReason)
	}
	row("Config A / B", orDash(s.ConfigA)+" / "+orDash(s.ConfigB))
	if s.Table == "" {
		row("State", "not read (pass --table, or tag the endpoint with "+refresher.TagStateTable+", to see pending changes)")
	} else {
		row("State table", s.Table)
		row("Changes", fmt.Sprintf("desired %d, deployed %d, failed %d (pending: %s)", s.Desired, s.Deployed, s.Failed, yesNo(s.Pending)))
		if d := s.InFlight; d != nil {
			state := "intent recorded"
			if d.Confirmed {
				state = "accepted by SageMaker"
			}
			row("In flight", fmt.Sprintf("%s -> %s (changes up to %d), started %s, %s", d.From, d.Config, d.Seq, stamp(d.StartedAt), state))
		} else {
			row("In flight", "none")
		}
		if r := s.LastResult; r != nil {
			outcome := "succeeded"
			if !r.Succeeded {
				outcome = "failed: " + r.Reason
			}
			row("Last result", fmt.Sprintf("update to %s (changes up to %d) %s at %s", r.Config, r.Seq, outcome, stamp(r.At)))
		} else {
			row("Last result", "none yet")
		}
		if s.LastChangeKey != "" {
			row("Last change", fmt.Sprintf("%s at %s", s.LastChangeKey, stamp(s.LastChangeAt)))
		} else {
			row("Last change", "none recorded")
		}
	}
	if s.Next != "" {
		row("Next", strings.TrimSpace(s.Next+": "+s.NextReason))
	}
	tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
