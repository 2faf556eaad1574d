package refreshcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sagemaker-cd/sagemaker-cd/events"
	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/cmdutil"
	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

// ReplayOptions are the flags of `smcd events replay`.
type ReplayOptions struct {
	TargetOptions
	// Bucket and Prefix restrict which S3 changes count (all when Bucket is empty).
	Bucket, Prefix string
}

// NewCmdEvents builds `smcd events` and its subcommands.
func NewCmdEvents(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Work with the events the refresher receives",
		Long: `Work with the events the refresher Lambda receives: S3 "Object Created"/"Object Deleted"
events and SageMaker "Endpoint State Change" events (through SQS), and scheduled events.`,
		Example: `  # Replay a captured SQS batch against the endpoint's real state
  smcd events replay batch.json --endpoint churn --table churn-refresh-state`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return &cmdutil.UsageError{Command: cmd.CommandPath(), Err: errors.New("missing subcommand: expected replay")}
		},
	}
	cmd.AddCommand(NewCmdReplay(f))
	return cmd
}

// NewCmdReplay builds `smcd events replay`.
func NewCmdReplay(f *cmdutil.Factory) *cobra.Command {
	o := &ReplayOptions{}
	cmd := &cobra.Command{
		Use:   "replay FILE [--endpoint NAME] [--table NAME] [--bucket NAME [--prefix P]]",
		Short: "Run the refresher's Lambda handler on a captured event",
		Long: `Run the refresher Lambda's real handler on a captured event, against whatever AWS the global
flags point to (an account, or a local emulator with --endpoint-url).

FILE holds the invocation payload as JSON: either an SQS batch ({"Records": [...]}, bodies are
EventBridge events) or one EventBridge event (an S3 object event, a SageMaker endpoint state
change or a scheduled event). S3 changes are recorded in the state table, then one reconcile
pass runs, exactly as in the Lambda. The handler's JSON logs go to stderr; the response
(the batch item failures of an SQS batch) goes to stdout.

Without --endpoint, the endpoint of a SageMaker state change event is used. Without --table
(or SMCD_TABLE_NAME), the endpoint's smcd:state-table tag names it. Without --bucket, every S3
change in the file counts; with it, only changes in that bucket under --prefix.

Exit codes: 0 handled; 1 the handler failed or reported batch item failures; 2 unreadable or
malformed file, or missing flags; 4 table not found.`,
		Example: `  # Replay an S3 upload event captured from the refresh queue (table and A/B from the endpoint's tags)
  smcd events replay s3-object-created.json --endpoint churn --bucket models --prefix churn/

  # Replay a whole SQS batch against the local emulator
  smcd --endpoint-url http://127.0.0.1:5000 events replay batch.json --endpoint churn --table churn-refresh-state

  # Wake the refresher with a state change event (the endpoint name comes from the event)
  smcd events replay endpoint-in-service.json --table churn-refresh-state`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &cmdutil.UsageError{Command: cmd.CommandPath(), Err: fmt.Errorf("expected one event FILE, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReplay(cmd.Context(), f, cmd, o, args[0])
		},
	}
	o.addFlags(cmd, "DynamoDB state table of the refresher")
	cmd.Flags().StringVar(&o.Bucket, "bucket", "", "watched bucket: S3 changes elsewhere are ignored (default: every bucket)")
	cmd.Flags().StringVar(&o.Prefix, "prefix", "", "watched key prefix within --bucket")
	return cmd
}

func runReplay(ctx context.Context, f *cmdutil.Factory, cmd *cobra.Command, o *ReplayOptions, file string) error {
	payload, err := os.ReadFile(file)
	if err != nil {
		return cmdutil.BadInput(fmt.Errorf("read event file %s: %w", file, err))
	}
	if err := checkJSON(file, payload); err != nil {
		return err
	}
	var probe struct {
		Records    []json.RawMessage `json:"Records"`
		DetailType string            `json:"detail-type"`
	}
	if err := json.Unmarshal(payload, &probe); err != nil {
		return cmdutil.BadInput(fmt.Errorf("event file %s: %w", file, err))
	}
	if probe.Records == nil && probe.DetailType == "" {
		return cmdutil.BadInput(fmt.Errorf("event file %s: expected an SQS batch ({\"Records\": [...]}) or an EventBridge event (with \"detail-type\")", file))
	}
	if o.Prefix != "" && o.Bucket == "" {
		return &cmdutil.UsageError{Command: cmd.CommandPath(), Err: errors.New("--prefix needs --bucket")}
	}
	if err := f.ApplyEnv(cmd.Flags(), targetEnv()); err != nil {
		return err
	}
	if o.Endpoint == "" && probe.DetailType == events.DetailTypeEndpointStateChange {
		if e, err := events.Decode(payload); err == nil {
			if d, err := events.ParseEndpointStateChange(e); err == nil {
				o.Endpoint = d.EndpointName
			}
		}
	}
	t, err := resolve(ctx, f, cmd, &o.TargetOptions, true, true)
	if err != nil {
		return err
	}
	if o.Bucket != "" {
		t.cfg.Watch = refresher.Watch{Bucket: o.Bucket}
		if o.Prefix != "" {
			t.cfg.Watch.Filters = []refresher.Filter{{Prefix: o.Prefix}}
		}
	}
	r := t.reconciler(f.Stderr)
	h := &refresher.Handler{Reconciler: r, Logger: r.Logger}
	resp, err := h.Handle(ctx, payload)
	if err != nil {
		return fmt.Errorf("replay %s: %w", file, err)
	}
	if resp != nil {
		b, _ := json.MarshalIndent(resp, "", "  ")
		fmt.Fprintln(f.Stdout, string(b))
		if n := len(resp.BatchItemFailures); n > 0 {
			return fmt.Errorf("replay %s: %d of %d messages failed (see the logs above)", file, n, len(probe.Records))
		}
	}
	fmt.Fprintf(f.Stderr, "replayed %s against endpoint %s\n", file, t.cfg.Endpoint)
	return nil
}

// checkJSON reports malformed JSON with the file name, line and column.
func checkJSON(file string, b []byte) error {
	var v any
	err := json.Unmarshal(b, &v)
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line := 1 + bytes.Count(b[:syn.Offset], []byte("\n"))
		col := int(syn.Offset) - bytes.LastIndexByte(b[:syn.Offset], '\n') - 1
		return cmdutil.BadInput(fmt.Errorf("event file %s: malformed JSON at line %d, column %d: %v", file, line, col, err))
	}
	return cmdutil.BadInput(fmt.Errorf("event file %s: malformed JSON: %v", file, err))
}
