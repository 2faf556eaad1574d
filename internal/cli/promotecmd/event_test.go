package promotecmd_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestEventAsSageMakerDocumentsIt: `smcd promote --event` takes the Model Package State Change
// events in the shapes of SageMaker's documentation sample (ISO 8601 times, the sample's repeated
// "source"), which it used to refuse.
func TestEventAsSageMakerDocumentsIt(t *testing.T) {
	s := newSource(t)
	for _, tc := range []struct{ file, id, status string }{
		{"sagemaker-model-package-approved.json", "4c3ab0e8-1f2c-3b4a-9a5e-6f7d8e9a0b1c", "Approved"},
		{"sagemaker-model-package-rejected.json", "844e2571-85d4-695f-b930-0153b71dcb42", "Rejected"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			file := filepath.Join("..", "..", "..", "events", "testdata", tc.file)
			code, out, errOut := smcd(t, nil, "promote", "--source-group-arn", s.groupARN, "--target-bucket", s.env.TargetBucket,
				"--source-role-arn", s.env.SourceRoleARN, "--event", file, "--dry-run")
			want := "triggered by " + tc.id + ": arn:aws:sagemaker:eu-west-1:444333666777:model-package/churn/2 is " + tc.status
			if code != 0 || !strings.Contains(errOut, want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 0 and %q", code, out, errOut, want)
			}
		})
	}
}
