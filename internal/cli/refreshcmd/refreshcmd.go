// Package refreshcmd holds the smcd commands of the refresh group: `smcd refresh` (one
// reconcile pass now), `smcd status` (what the refresher knows and would do next) and
// `smcd events replay` (run the refresher Lambda's handler on a captured event).
package refreshcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/spf13/cobra"

	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/cmdutil"
	"github.com/sagemaker-cd/sagemaker-cd/refresh"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

// Commands returns the group's top-level commands.
func Commands(f *cmdutil.Factory) []*cobra.Command {
	return []*cobra.Command{NewCmdRefresh(f), NewCmdStatus(f), NewCmdEvents(f)}
}

// TargetOptions name the endpoint, its A/B configs and the state table. Empty fields fall back
// to the refresher's environment variables, then to the endpoint's tags (refresher.TagStateTable,
// TagConfigA, TagConfigB, set by the endpoint construct), then, for A/B, to what the state table
// recorded.
type TargetOptions struct {
	Endpoint, ConfigA, ConfigB, Table string
}

func (o *TargetOptions) addFlags(cmd *cobra.Command, tableHelp string) {
	cmd.Flags().StringVar(&o.Endpoint, "endpoint", "", "endpoint name (env "+refresher.EnvEndpointName+")")
	cmd.Flags().StringVar(&o.ConfigA, "config-a", "", "endpoint config A (env "+refresher.EnvConfigA+"; default: the endpoint's "+refresher.TagConfigA+" tag, else as recorded in the state table)")
	cmd.Flags().StringVar(&o.ConfigB, "config-b", "", "endpoint config B (env "+refresher.EnvConfigB+"; default: the endpoint's "+refresher.TagConfigB+" tag, else as recorded in the state table)")
	cmd.Flags().StringVar(&o.Table, "table", "", tableHelp+" (env "+refresher.EnvTableName+"; default: the endpoint's "+refresher.TagStateTable+" tag)")
}

// targetEnv binds each target flag to the refresher's environment variable, which sets it when
// the flag is not given (cmdutil.Factory.ApplyEnv, as for every smcd command).
func targetEnv() []cmdutil.EnvFlag {
	return []cmdutil.EnvFlag{
		{Flag: "endpoint", Env: refresher.EnvEndpointName},
		{Flag: "config-a", Env: refresher.EnvConfigA},
		{Flag: "config-b", Env: refresher.EnvConfigB},
		{Flag: "table", Env: refresher.EnvTableName},
	}
}

// target is a resolved endpoint with its clients and stored state.
type target struct {
	cfg      refresher.Config
	sm       *sagemaker.Client
	db       *dynamodb.Client
	item     refresher.Item
	hasTable bool
	// tableTag is true when the table name came from the endpoint's tag.
	tableTag bool
}

// resolve loads AWS, settles the table and the A/B names (flags, environment, endpoint tags),
// reads the state item (when a table is known) and takes A/B from it when still unknown.
// requireConfigs makes unknown A/B names an error; requireTable a missing table.
func resolve(ctx context.Context, f *cmdutil.Factory, cmd *cobra.Command, o *TargetOptions, requireTable, requireConfigs bool) (*target, error) {
	if err := f.ApplyEnv(cmd.Flags(), targetEnv()); err != nil {
		return nil, err
	}
	if o.Endpoint == "" {
		return nil, &cmdutil.UsageError{Command: cmd.CommandPath(), Err: fmt.Errorf("no endpoint: pass --endpoint NAME or set %s", refresher.EnvEndpointName)}
	}
	if (o.ConfigA == "") != (o.ConfigB == "") {
		return nil, &cmdutil.UsageError{Command: cmd.CommandPath(), Err: errors.New("pass both --config-a and --config-b, or neither")}
	}
	awsCfg, err := f.LoadAWS(ctx)
	if err != nil {
		return nil, err
	}
	t := &target{sm: sagemaker.NewFromConfig(awsCfg), db: dynamodb.NewFromConfig(awsCfg)}
	if o.Table == "" || o.ConfigA == "" {
		tags, found, err := endpointTags(ctx, t.sm, o.Endpoint)
		switch {
		case err != nil && o.Table != "" && cmdutil.ExitCode(err) == cmdutil.ExitDenied:
			// The table is known; the A/B pair can still come from its record. Tags are a
			// convenience, so a role without sagemaker:ListTags keeps working as before.
			fmt.Fprintf(f.Stderr, "note: cannot read the tags of endpoint %s (%v); using the state table's record\n", o.Endpoint, err)
			tags, found = nil, true
		case err != nil:
			return nil, err
		}
		if !found && requireTable && o.Table == "" {
			return nil, cmdutil.WithCode(cmdutil.ExitNotFound, fmt.Errorf("endpoint %s not found", o.Endpoint))
		}
		if o.Table == "" && tags[refresher.TagStateTable] != "" {
			o.Table, t.tableTag = tags[refresher.TagStateTable], true
		}
		if o.ConfigA == "" && tags[refresher.TagConfigA] != "" && tags[refresher.TagConfigB] != "" {
			o.ConfigA, o.ConfigB = tags[refresher.TagConfigA], tags[refresher.TagConfigB]
		}
	}
	if requireTable && o.Table == "" {
		return nil, &cmdutil.UsageError{Command: cmd.CommandPath(), Err: fmt.Errorf("no state table: pass --table NAME or set %s (endpoint %s has no %s tag)",
			refresher.EnvTableName, o.Endpoint, refresher.TagStateTable)}
	}
	t.hasTable = o.Table != ""
	t.cfg = refresher.Config{Endpoint: o.Endpoint, ConfigA: o.ConfigA, ConfigB: o.ConfigB, Table: o.Table,
		RetainAllVariantProperties: true, MetricsNamespace: refresher.DefaultMetricsNamespace}
	t.item = refresher.Item{State: refresh.State{Endpoint: o.Endpoint}}
	if t.hasTable {
		t.item, err = t.store().Load(ctx, o.Endpoint)
		if errors.Is(err, refresher.ErrTableNotFound) {
			if t.tableTag {
				return nil, cmdutil.WithCode(cmdutil.ExitNotFound, fmt.Errorf("state table %s (tag %s of endpoint %s) not found", o.Table, refresher.TagStateTable, o.Endpoint))
			}
			return nil, cmdutil.WithCode(cmdutil.ExitNotFound, fmt.Errorf("state table %s not found", o.Table))
		}
		if err != nil {
			return nil, err
		}
	}
	if t.cfg.ConfigA == "" {
		t.cfg.ConfigA, t.cfg.ConfigB = t.item.ConfigA, t.item.ConfigB
	}
	if requireConfigs && t.cfg.ConfigA == "" {
		obs, err := t.reconciler(io.Discard).Observe(ctx)
		if err != nil {
			return nil, err
		}
		if !obs.Found {
			return nil, cmdutil.WithCode(cmdutil.ExitNotFound, fmt.Errorf("endpoint %s not found", o.Endpoint))
		}
		return nil, cmdutil.BadInput(fmt.Errorf("endpoint configs A and B of endpoint %s are unknown (it is on %s, has no %s/%s tags, and table %s has no record of its pair): pass --config-a and --config-b, or set %s and %s",
			o.Endpoint, obs.Config, refresher.TagConfigA, refresher.TagConfigB, o.Table, refresher.EnvConfigA, refresher.EnvConfigB))
	}
	return t, nil
}

func (t *target) store() *refresher.Store { return &refresher.Store{DB: t.db, Table: t.cfg.Table} }

// reconciler returns a Reconciler over t that logs JSON to logs and emits no metrics.
func (t *target) reconciler(logs io.Writer) *refresher.Reconciler {
	return &refresher.Reconciler{SageMaker: t.sm, Store: t.store(), Config: t.cfg, Logger: slog.New(slog.NewJSONHandler(logs, nil))}
}

// decisionError maps a Report decision to smcd's exit codes: 4 when the endpoint is missing,
// 6 when it failed or drifted onto a config that is neither A nor B.
func decisionError(endpoint string, d refresh.Decision) error {
	if d.Kind != refresh.Report {
		return nil
	}
	for _, e := range d.Events {
		if e == refresh.EventNotFound {
			return cmdutil.WithCode(cmdutil.ExitNotFound, fmt.Errorf("endpoint %s not found", endpoint))
		}
	}
	return cmdutil.WithCode(cmdutil.ExitEndpointFailed, fmt.Errorf("endpoint %s needs attention: %s", endpoint, d.Reason))
}
