package promotebench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sagemaker-cd/sagemaker-cd/internal/bench/median"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

// bigObjects runs the real copy engine on big objects against rateModel (below), since moving
// 5 GiB through the emulator on a shared machine would measure the machine, not the schedule.
func bigObjects(ctx context.Context, w io.Writer, opts Options) error {
	latency := slices.Max(opts.Delays)
	fmt.Fprintf(w, "\nOne big object, modelled: the copy engine (Prepare + CopyAll, unchanged) runs against an in-process S3 model in which\n")
	fmt.Fprintf(w, "every request takes %s and a copy request also its bytes at %.0f MiB/s (one server-side copy request runs at tens of\n", latency, opts.CopyRate/(1<<20))
	fmt.Fprintf(w, "MiB/s up to about 100 MiB/s); no bytes move, durations run %.0fx faster and are scaled back; median of %d runs.\n\n", opts.ModelScale, opts.Runs)
	type method struct {
		name string
		opts s3copy.Options
	}
	methods := []method{
		{"one CopyObject (before: single copy up to 5 GiB)", s3copy.Options{MultipartThreshold: s3copy.MaxSingleCopySize}},
		{"parts above 8 MiB, 8 MiB parts, 10 in flight (awscli's defaults)", s3copy.Options{MultipartThreshold: 8 << 20, PartSize: 8 << 20, Concurrency: 10}},
		{"smcd: parts above 16 MiB, 8 MiB parts, 64 in flight", s3copy.Options{}},
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "size\tmethod\tS3 requests\tmodelled wall\tvs one CopyObject\t")
	for _, size := range opts.BigSizes {
		var base time.Duration
		for _, m := range methods {
			var walls []time.Duration
			requests := 0
			for range opts.Runs {
				model := &rateModel{latency: latency, rate: opts.CopyRate, scale: opts.ModelScale, size: size, counts: map[string]int{}}
				wall, err := model.copy(ctx, m.opts)
				if err != nil {
					return fmt.Errorf("modelled copy of %d bytes (%s): %w", size, m.name, err)
				}
				walls = append(walls, wall)
				requests = model.total()
			}
			wall := median.Of(walls, func(d time.Duration) time.Duration { return d })
			if base == 0 {
				base = wall
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.3fx\t\n", humanSize(size), m.name, requests, wall.Round(10*time.Millisecond), float64(wall)/float64(base))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "The model has no aggregate bandwidth cap (S3 scales server-side copies across requests); requests include the")
	fmt.Fprintln(w, "source HEAD and tags read a multipart copy needs and the incomplete-upload sweeps.")
	return nil
}

func humanSize(n int64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%g GiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%g MiB", float64(n)/(1<<20))
}

// rateModel is an in-process S3 for one source object of size bytes: each request waits
// latency, a copy request also its bytes at rate, all divided by scale. Answers carry the ETag
// and CRC32 the engine verifies against. It implements s3copy.API and s3copy.SourceAPI.
type rateModel struct {
	latency time.Duration
	rate    float64
	scale   float64
	size    int64

	mu     sync.Mutex
	counts map[string]int
}

const (
	modelETag  = `"0cc175b9c0f1b6a831c399e269772661"`
	modelCRC32 = "6Jvmxw=="
)

var (
	_ s3copy.API       = (*rateModel)(nil)
	_ s3copy.SourceAPI = (*rateModel)(nil)
)

func (m *rateModel) total() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, v := range m.counts {
		n += v
	}
	return n
}

// copy plans the object as a listing would describe it and copies it with opts; it returns
// the modelled wall time.
func (m *rateModel) copy(ctx context.Context, opts s3copy.Options) (time.Duration, error) {
	obj := s3copy.FromListing("source", types.Object{Key: aws.String("model/model.tar.gz"), Size: aws.Int64(m.size), ETag: aws.String(modelETag),
		ChecksumAlgorithm: []types.ChecksumAlgorithm{types.ChecksumAlgorithmCrc32}, ChecksumType: types.ChecksumTypeFullObject})
	obj.Target = s3copy.Location{Bucket: "target", Key: "promoted/model.tar.gz"}
	objs := []s3copy.Object{obj}
	c := s3copy.New(m, func(o *s3copy.Options) { *o = opts })
	start := time.Now()
	if err := c.Prepare(ctx, m, objs); err != nil {
		return 0, err
	}
	if _, err := c.CopyAll(ctx, objs); err != nil {
		return 0, err
	}
	return time.Duration(float64(time.Since(start)) * m.scale), nil
}

func (m *rateModel) wait(ctx context.Context, op string, bytes int64) error {
	m.mu.Lock()
	m.counts[op]++
	m.mu.Unlock()
	d := m.latency + time.Duration(float64(bytes)/m.rate*float64(time.Second))
	select {
	case <-time.After(time.Duration(float64(d) / m.scale)):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *rateModel) CopyObject(ctx context.Context, _ *s3.CopyObjectInput, _ ...func(*s3.Options)) (*s3.CopyObjectOutput, error) {
	if err := m.wait(ctx, "CopyObject", m.size); err != nil {
		return nil, err
	}
	return &s3.CopyObjectOutput{CopyObjectResult: &types.CopyObjectResult{ETag: aws.String(modelETag), ChecksumCRC32: aws.String(modelCRC32)}}, nil
}

func (m *rateModel) CreateMultipartUpload(ctx context.Context, _ *s3.CreateMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	if err := m.wait(ctx, "CreateMultipartUpload", 0); err != nil {
		return nil, err
	}
	return &s3.CreateMultipartUploadOutput{UploadId: aws.String("model-upload")}, nil
}

func (m *rateModel) UploadPartCopy(ctx context.Context, in *s3.UploadPartCopyInput, _ ...func(*s3.Options)) (*s3.UploadPartCopyOutput, error) {
	first, last, _ := strings.Cut(strings.TrimPrefix(aws.ToString(in.CopySourceRange), "bytes="), "-")
	a, err1 := strconv.ParseInt(first, 10, 64)
	b, err2 := strconv.ParseInt(last, 10, 64)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("model: copy source range %q", aws.ToString(in.CopySourceRange))
	}
	if err := m.wait(ctx, "UploadPartCopy", b-a+1); err != nil {
		return nil, err
	}
	return &s3.UploadPartCopyOutput{CopyPartResult: &types.CopyPartResult{ETag: aws.String(`"part"`)}}, nil
}

func (m *rateModel) CompleteMultipartUpload(ctx context.Context, in *s3.CompleteMultipartUploadInput, _ ...func(*s3.Options)) (*s3.CompleteMultipartUploadOutput, error) {
	if err := m.wait(ctx, "CompleteMultipartUpload", 0); err != nil {
		return nil, err
	}
	return &s3.CompleteMultipartUploadOutput{ETag: aws.String(fmt.Sprintf(`"x-%d"`, len(in.MultipartUpload.Parts))),
		ChecksumCRC32: aws.String(modelCRC32), ChecksumType: types.ChecksumTypeFullObject}, nil
}

func (m *rateModel) AbortMultipartUpload(ctx context.Context, _ *s3.AbortMultipartUploadInput, _ ...func(*s3.Options)) (*s3.AbortMultipartUploadOutput, error) {
	return &s3.AbortMultipartUploadOutput{}, m.wait(ctx, "AbortMultipartUpload", 0)
}

func (m *rateModel) ListMultipartUploads(ctx context.Context, _ *s3.ListMultipartUploadsInput, _ ...func(*s3.Options)) (*s3.ListMultipartUploadsOutput, error) {
	return &s3.ListMultipartUploadsOutput{}, m.wait(ctx, "ListMultipartUploads", 0)
}

func (m *rateModel) HeadObject(ctx context.Context, _ *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	if err := m.wait(ctx, "HeadObject", 0); err != nil {
		return nil, err
	}
	return &s3.HeadObjectOutput{ContentLength: aws.Int64(m.size), ETag: aws.String(modelETag), ChecksumCRC32: aws.String(modelCRC32),
		ChecksumType: types.ChecksumTypeFullObject, ContentType: aws.String("application/x-tar")}, nil
}

func (m *rateModel) GetObjectTagging(ctx context.Context, _ *s3.GetObjectTaggingInput, _ ...func(*s3.Options)) (*s3.GetObjectTaggingOutput, error) {
	return &s3.GetObjectTaggingOutput{}, m.wait(ctx, "GetObjectTagging", 0)
}
