// Package refreshcmd holds the smcd commands of its group.
package refreshcmd

import (
	"github.com/spf13/cobra"

	"github.com/sagemaker-cd/sagemaker-cd/internal/cli/cmdutil"
)

// Commands returns the group's top-level commands.
func Commands(f *cmdutil.Factory) []*cobra.Command {
	return nil
}
