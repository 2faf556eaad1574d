package promotebench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/internal/bench/median"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy/s3copytest"
)

// schedule is a copy schedule measured against the S3 model: the real engine with options.
type schedule struct {
	name string
	opts s3copy.Options
}

// modelled runs the real copy engine (Prepare + CopyAll, unchanged) against s3copytest.Model,
// where requests overlap as they do on S3: the emulator serves one request at a time, and moving
// gigabytes through it on a shared machine would measure the machine, not the schedule.
func modelled(ctx context.Context, w io.Writer, opts Options, small func(i int) int64) error {
	latency := slices.Max(opts.Delays)
	fmt.Fprintf(w, "\nModelled S3: the copy engine (Prepare + CopyAll, unchanged) runs against an in-process S3 in which every request takes\n")
	fmt.Fprintf(w, "%s and a copy request also its bytes at %.0f MiB/s (one server-side copy request runs at tens of MiB/s up to about\n", latency, opts.CopyRate/(1<<20))
	fmt.Fprintf(w, "100 MiB/s), requests overlap freely, no bytes move; durations run %.0fx faster and are scaled back; median of %d runs.\n", opts.ModelScale, opts.Runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\ncase\tschedule\tS3 requests\tmodelled wall\tratio\t")
	row := func(name string, base *time.Duration, s schedule, objs func(m *s3copytest.Model) []s3copy.Object) error {
		var walls []time.Duration
		requests := 0
		for range opts.Runs {
			m := &s3copytest.Model{Latency: latency, Rate: opts.CopyRate, Scale: opts.ModelScale}
			wall, err := m.Run(ctx, s.opts, objs(m))
			if err != nil {
				return fmt.Errorf("modelled %s (%s): %w", name, s.name, err)
			}
			walls = append(walls, wall)
			requests = m.Requests()
		}
		wall := median.Of(walls, func(d time.Duration) time.Duration { return d })
		if *base == 0 {
			*base = wall
		}
		_, err := fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.2fx\t\n", name, s.name, requests, wall.Round(time.Millisecond), float64(wall)/float64(*base))
		return err
	}

	// Many small objects: awscli's schedule is one CopyObject per object, 10 in flight (its
	// default max_concurrent_requests), after one listing: the engine with Concurrency 10 makes
	// the same requests. Ratio: to awscli's schedule.
	var base time.Duration
	name := fmt.Sprintf("%d objects of %d-%d KiB", opts.Objects, opts.MinSize>>10, opts.MaxSize>>10)
	for _, s := range []schedule{
		{"awscli's: 10 in flight", s3copy.Options{Concurrency: 10}},
		{"smcd: 64 in flight", s3copy.Options{}},
	} {
		if err := row(name, &base, s, func(m *s3copytest.Model) []s3copy.Object { return m.Objects(opts.Objects, small) }); err != nil {
			return err
		}
	}

	// The threshold: one CopyObject against 8 MiB parts (planning HEAD and tags, create,
	// complete and sweep included) at the same concurrency, around DefaultMultipartThreshold.
	// Ratio: to one CopyObject.
	for _, size := range opts.ThresholdSizes {
		base = 0
		for _, s := range []schedule{
			{"one CopyObject", s3copy.Options{MultipartThreshold: s3copy.MaxSingleCopySize}},
			{"8 MiB parts, 64 in flight", s3copy.Options{MultipartThreshold: 1}},
		} {
			one := func(m *s3copytest.Model) []s3copy.Object { return m.Objects(1, func(int) int64 { return size }) }
			if err := row("one object of "+humanSize(size), &base, s, one); err != nil {
				return err
			}
		}
	}

	// Big objects: one CopyObject (the engine before: single copies up to 5 GiB), awscli's
	// multipart defaults, and smcd's. Ratio: to one CopyObject.
	for _, size := range opts.BigSizes {
		base = 0
		for _, s := range []schedule{
			{"one CopyObject (before)", s3copy.Options{MultipartThreshold: s3copy.MaxSingleCopySize}},
			{"awscli's: parts above 8 MiB, 8 MiB parts, 10 in flight", s3copy.Options{MultipartThreshold: 8 << 20, PartSize: 8 << 20, Concurrency: 10}},
			{"smcd: parts above 16 MiB, 8 MiB parts, 64 in flight", s3copy.Options{}},
		} {
			one := func(m *s3copytest.Model) []s3copy.Object { return m.Objects(1, func(int) int64 { return size }) }
			if err := row("one object of "+humanSize(size), &base, s, one); err != nil {
				return err
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "Small objects: target <= 0.50x of awscli's schedule. Threshold rows: parts break even at about twice the part size")
	fmt.Fprintln(w, "and win above it, hence s3copy.DefaultMultipartThreshold = 16 MiB. The model has no aggregate bandwidth cap (S3 scales")
	fmt.Fprintln(w, "server-side copies across requests); requests include the source HEAD and tags a multipart copy needs and the")
	fmt.Fprintln(w, "incomplete-upload sweeps.")
	return nil
}

func humanSize(n int64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%g GiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%g MiB", float64(n)/(1<<20))
}
