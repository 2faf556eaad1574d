package promoter_test

import (
	"context"
	"testing"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter/promotertest"
)

var moto *testkit.Moto

func TestMain(m *testing.M) { testkit.RunWithMoto(m, &moto, testkit.Options{}) }

func newEnv(t *testing.T) (context.Context, *promotertest.Env) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	env, err := promotertest.New(ctx, moto)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, env
}
