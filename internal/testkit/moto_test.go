package testkit

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestAccounts(t *testing.T) {
	ctx := context.Background()
	m, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	for _, acct := range []string{DefaultAccountID, "444333666777"} {
		cfg, err := m.AccountConfig(ctx, acct)
		if err != nil {
			t.Fatal(err)
		}
		out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Account) != acct {
			t.Fatalf("account %s, want %s", aws.ToString(out.Account), acct)
		}
	}
}
