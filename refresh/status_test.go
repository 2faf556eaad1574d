package refresh

import "testing"

// statusTable is the test's own copy of the SageMaker status table: both spellings and the class
// the refresher must give each status. It is deliberately not derived from Class().
var statusTable = []struct {
	api, event string
	class      Class
}{
	{"InService", "IN_SERVICE", ClassReady},
	{"Creating", "CREATING", ClassBusy},
	{"Updating", "UPDATING", ClassBusy},
	{"SystemUpdating", "SYSTEM_UPDATING", ClassBusy},
	{"RollingBack", "ROLLING_BACK", ClassBusy},
	{"Deleting", "DELETING", ClassBusy},
	{"OutOfService", "OUT_OF_SERVICE", ClassBusy},
	{"Failed", "FAILED", ClassTerminal},
	{"UpdateRollbackFailed", "UPDATE_ROLLBACK_FAILED", ClassTerminal},
	{"Hibernating", "HIBERNATING", ClassUnknown},
	{"", "", ClassUnknown},
}

func TestParseStatus(t *testing.T) {
	for _, tc := range statusTable {
		for _, in := range []string{tc.api, tc.event} {
			t.Run(in, func(t *testing.T) {
				got := ParseStatus(in)
				if string(got) != tc.api {
					t.Fatalf("ParseStatus(%q) = %q, want %q", in, got, tc.api)
				}
				if got.Class() != tc.class {
					t.Fatalf("ParseStatus(%q).Class() = %v, want %v", in, got.Class(), tc.class)
				}
			})
		}
	}
	// Lower snake case (seen in some hand-written events) parses like the upper case.
	if got := ParseStatus("in_service"); got != StatusInService {
		t.Fatalf("ParseStatus(in_service) = %q, want InService", got)
	}
}
