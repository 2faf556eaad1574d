package refreshdemo_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/sagemaker-cd/sagemaker-cd/internal/demo/refreshdemo"
	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { testkit.RunWithMoto(m, &moto, testkit.Options{}) }

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := refreshdemo.Run(context.Background(), &out, moto); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	t.Log("\n" + text)
	for _, want := range []string{
		"1. Build the world",
		`-> EventBridge "Object Created" -> SQS message in`,
		"refresher: update - 1 change(s) since the last deployment",
		"DescribeEndpoint: Updating (serving ",
		"refresher: change recorded (coalesced into pending work: yes)",
		"UpdateEndpoint calls so far: 1.",
		`EventBridge "SageMaker Endpoint State Change" (IN_SERVICE) -> SQS -> refresher:`,
		"refresher: update - 3 change(s) since the last deployment",
		"4 uploads, 2 UpdateEndpoint calls",
		"refresher: noop - up to date",
		"$ smcd status --endpoint demo-", // the state table and A/B configs come from the endpoint's tags
		"desired 4, deployed 4, failed 0 (pending: no)",
		"UpdateStarted    2",
		"Coalesced        3",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if strings.Contains(text, "--table") {
		t.Errorf("demo output names --table; the endpoint's tags should suffice")
	}
	if strings.Count(text, "refresher: update -") != 2 {
		t.Errorf("want exactly 2 updates narrated")
	}
}
