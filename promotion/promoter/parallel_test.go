package promoter_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/promotion"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter/promotertest"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

// rendezvous holds each guarded call until n of them are in flight together. A caller that makes
// them one after another never gets there: the first call fails after patience, naming the
// calls, instead of the test hanging. Once n arrived, every call passes straight through.
type rendezvous struct {
	n        int
	patience time.Duration
	mu       sync.Mutex
	arrived  []string
	all      chan struct{}
}

func newRendezvous(n int) *rendezvous {
	return &rendezvous{n: n, patience: 20 * time.Second, all: make(chan struct{})}
}

func (r *rendezvous) wait(ctx context.Context, call string) error {
	r.mu.Lock()
	if len(r.arrived) < r.n {
		r.arrived = append(r.arrived, call)
		if len(r.arrived) == r.n {
			close(r.all)
		}
	}
	r.mu.Unlock()
	select {
	case <-r.all:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(r.patience):
		r.mu.Lock()
		defer r.mu.Unlock()
		return fmt.Errorf("%s waited %s for %d calls in flight together, only %q came: the calls are made one after another", call, r.patience, r.n, r.arrived)
	}
}

// gatedSource makes the source registry's group reads meet at r.
type gatedSource struct {
	promoter.SourceRegistry
	r *rendezvous
}

func (g gatedSource) DescribeModelPackageGroup(ctx context.Context, in *sagemaker.DescribeModelPackageGroupInput, o ...func(*sagemaker.Options)) (*sagemaker.DescribeModelPackageGroupOutput, error) {
	if err := g.r.wait(ctx, "source DescribeModelPackageGroup"); err != nil {
		return nil, err
	}
	return g.SourceRegistry.DescribeModelPackageGroup(ctx, in, o...)
}

func (g gatedSource) ListModelPackages(ctx context.Context, in *sagemaker.ListModelPackagesInput, o ...func(*sagemaker.Options)) (*sagemaker.ListModelPackagesOutput, error) {
	if err := g.r.wait(ctx, "source ListModelPackages "+string(in.ModelApprovalStatus)); err != nil {
		return nil, err
	}
	return g.SourceRegistry.ListModelPackages(ctx, in, o...)
}

// gatedTarget makes the target registry's group description and package updates meet at r.
type gatedTarget struct {
	promoter.TargetRegistry
	r                *rendezvous
	describe, update bool
}

func (g gatedTarget) DescribeModelPackageGroup(ctx context.Context, in *sagemaker.DescribeModelPackageGroupInput, o ...func(*sagemaker.Options)) (*sagemaker.DescribeModelPackageGroupOutput, error) {
	if g.describe {
		if err := g.r.wait(ctx, "target DescribeModelPackageGroup"); err != nil {
			return nil, err
		}
	}
	return g.TargetRegistry.DescribeModelPackageGroup(ctx, in, o...)
}

func (g gatedTarget) UpdateModelPackage(ctx context.Context, in *sagemaker.UpdateModelPackageInput, o ...func(*sagemaker.Options)) (*sagemaker.UpdateModelPackageOutput, error) {
	if g.update {
		if err := g.r.wait(ctx, "target UpdateModelPackage "+*in.ModelPackageArn); err != nil {
			return nil, err
		}
	}
	return g.TargetRegistry.UpdateModelPackage(ctx, in, o...)
}

// TestPlanReadsAtOnce: the source group's description, its Approved and Rejected listings and
// the target group's description are independent, so a pass makes them together (one round trip
// instead of four).
func TestPlanReadsAtOnce(t *testing.T) {
	ctx, env := newEnv(t)
	groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
	uri := must[string](t)(env.Put(ctx, "v1/model.tar.gz", promotertest.Data(1, 100)))
	want := must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, uri, nil))
	p := env.Promoter(promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket}, s3copy.Options{}, false)
	r := newRendezvous(4)
	p.SourceRegistry = gatedSource{p.SourceRegistry, r}
	p.TargetRegistry = gatedTarget{TargetRegistry: p.TargetRegistry, r: r, describe: true}
	res, err := p.Promote(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != promotion.ActionPromote || res.SourceARN != want {
		t.Errorf("result %s %s, want promote %s", res.Action, res.SourceARN, want)
	}
}

// TestRejectionsAtOnce: copies whose sources were rejected are set to Rejected together, and
// reported in the plan's order.
func TestRejectionsAtOnce(t *testing.T) {
	ctx, env := newEnv(t)
	groupARN := must[string](t)(env.CreateGroup(ctx, "churn"))
	cfg := promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket}
	var sources, copies []string
	for i := range 3 {
		uri := must[string](t)(env.Put(ctx, fmt.Sprintf("v%d/model.tar.gz", i+1), promotertest.Data(uint64(i), 100)))
		sources = append(sources, must[string](t)(env.Register(ctx, "churn", types.ModelApprovalStatusApproved, uri, nil)))
		res := must[*promoter.Result](t)(env.Promoter(cfg, s3copy.Options{}, false).Promote(ctx))
		copies = append(copies, res.TargetARN)
	}
	for _, s := range sources {
		if err := env.Reject(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	p := env.Promoter(cfg, s3copy.Options{}, false)
	p.TargetRegistry = gatedTarget{TargetRegistry: p.TargetRegistry, r: newRendezvous(3), update: true}
	res, err := p.Promote(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != promotion.ActionNothingApproved || len(res.Rejected) != 3 {
		t.Fatalf("result %s with %d rejected, want nothing approved and 3 rejected", res.Action, len(res.Rejected))
	}
	got := map[string]bool{}
	for _, c := range res.Rejected {
		if c.Status != types.ModelApprovalStatusRejected {
			t.Errorf("rejected copy %s reported as %s", c.ARN, c.Status)
		}
		got[c.ARN] = true
	}
	for _, c := range copies {
		if !got[c] {
			t.Errorf("copy %s not rejected (rejected: %v)", c, res.Rejected)
		}
	}
}
