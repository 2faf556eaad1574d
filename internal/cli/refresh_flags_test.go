package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/sagemaker-cd/sagemaker-cd/refresh/refresher"
)

// TestRefreshGroupEnvironment: the refresh group reads SMCD_* through the factory with the same
// mechanism as promote (flags win over the environment), and refuses an incomplete target before
// any AWS call, naming the flag and the variable.
func TestRefreshGroupEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no endpoint anywhere", []string{"status"}, nil, "no endpoint: pass --endpoint NAME or set SMCD_ENDPOINT_NAME"},
		{"no endpoint for refresh", []string{"refresh", "--table", "t"}, nil, "no endpoint: pass --endpoint NAME or set SMCD_ENDPOINT_NAME"},
		{"config A from the environment without B", []string{"refresh"},
			map[string]string{"SMCD_ENDPOINT_NAME": "churn", "SMCD_CONFIG_A": "churn-a"}, "pass both --config-a and --config-b"},
		{"a flag given empty wins over its variable", []string{"status", "--config-b", "churn-b", "--config-a", ""},
			map[string]string{"SMCD_ENDPOINT_NAME": "churn", "SMCD_CONFIG_A": "churn-a"}, "pass both --config-a and --config-b"},
		{"replay reads its event file first", []string{"events", "replay", "/nonexistent/event.json"},
			map[string]string{"SMCD_ENDPOINT_NAME": "churn"}, "read event file /nonexistent/event.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, stdout, stderr := noAWS(t, tc.env)
			code := Execute(context.Background(), f, tc.args)
			if code != ExitBadInput {
				t.Fatalf("exit %d, want %d; stderr: %s", code, ExitBadInput, stderr)
			}
			if got := stderr.String(); !strings.Contains(got, tc.want) {
				t.Errorf("stderr = %q, want it to contain %q", got, tc.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}

// TestRefreshGroupHelpNamesTheContract: the help of each refresh command names every variable it
// reads as the refresher's contract spells it (refresher.Env*), in its text and on its flags.
func TestRefreshGroupHelpNamesTheContract(t *testing.T) {
	vars := []string{refresher.EnvEndpointName, refresher.EnvConfigA, refresher.EnvConfigB, refresher.EnvTableName}
	for _, args := range [][]string{{"refresh", "--help"}, {"status", "--help"}, {"events", "replay", "--help"}} {
		f, stdout, stderr := noAWS(t, nil)
		if code := Execute(context.Background(), f, args); code != ExitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		for _, v := range vars {
			if n := strings.Count(stdout.String(), v); n == 0 || args[0] != "events" && n < 2 {
				t.Errorf("%v names %s %d times, want it in the text and on its flag:\n%s", args, v, n, stdout)
			}
		}
	}
}
