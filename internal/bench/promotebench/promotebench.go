// Package promotebench measures promotion on the local emulator: a package of many objects is
// promoted by smcd (server-side copies), by `aws s3 cp --recursive` (awscli v1, also server-side)
// and by the original pipeline's path (download, zip, upload), and the results are printed as a
// table with ratios.
//
// Method: wall time is measured around each run; "artifact bytes through host" counts the bytes
// of object data carried by HTTP bodies of this process (GetObject responses, PutObject and
// UploadPart requests) with a counting http.RoundTripper, and "HTTP body bytes" counts every
// request and response body (API XML/JSON included). Peak RSS for in-process runs is VmHWM from
// /proc/self/status after resetting it by writing 5 to /proc/self/clear_refs (after a GC), so it
// includes the process's resident baseline; for awscli it is the child's ru_maxrss.
//
// The emulator executes one request at a time, so its own time per request (measured in the same
// run) bounds every method from below. The copy schedules are therefore also compared against
// package s3copytest's model of S3, where requests overlap: many small objects, the multipart
// threshold, and big objects.
package promotebench

import (
	"archive/zip"
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-cd/sagemaker-cd/internal/bench/median"
	"github.com/sagemaker-cd/sagemaker-cd/internal/faultproxy"
	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
	"github.com/sagemaker-cd/sagemaker-cd/promotion"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promoter/promotertest"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

// Options size the benchmark; zero means default.
type Options struct {
	Objects int   // default 500
	MinSize int64 // smallest object, default 4 KiB
	MaxSize int64 // largest object, default 64 KiB
	Runs    int   // default 3 (medians are reported)
	// Delays are the per-request delays the proxy adds (default 0 and 20 ms).
	Delays []time.Duration
	// CopyRate is the modelled server-side copy rate of one request, bytes/s (default 64 MiB/s).
	CopyRate float64
	// Existing are the sizes of target group the no-op table measures (default 0 and 100).
	Existing []int
	// ThresholdSizes are the object sizes of the modelled threshold rows (default 8, 16, 24
	// and 32 MiB), BigSizes those of the big-object rows (default 256 MiB and 5 GiB).
	ThresholdSizes, BigSizes []int64
	// ModelScale divides every modelled duration (default 10; higher runs faster, but
	// scheduling overheads on a busy machine then count for more).
	ModelScale float64
}

func (o *Options) defaults() {
	if o.Objects == 0 {
		o.Objects = 500
	}
	if o.MinSize == 0 {
		o.MinSize = 4 << 10
	}
	if o.MaxSize == 0 {
		o.MaxSize = 64 << 10
	}
	if o.Runs == 0 {
		o.Runs = 3
	}
	if o.Delays == nil {
		o.Delays = []time.Duration{0, 20 * time.Millisecond}
	}
	if o.CopyRate == 0 {
		o.CopyRate = 64 << 20
	}
	if o.Existing == nil {
		o.Existing = []int{0, 100}
	}
	if o.ThresholdSizes == nil {
		o.ThresholdSizes = []int64{8 << 20, 16 << 20, 24 << 20, 32 << 20}
	}
	if o.BigSizes == nil {
		o.BigSizes = []int64{256 << 20, 5 << 30}
	}
	if o.ModelScale == 0 {
		o.ModelScale = 10
	}
}

// Run starts an emulator, runs the benchmark with default options and prints the tables to w.
func Run(ctx context.Context, w io.Writer) error {
	return RunWith(ctx, w, Options{})
}

// Measurement is one method's result (medians over runs).
type Measurement struct {
	Method        string
	Wall          time.Duration
	ArtifactBytes int64
	HTTPBytes     int64
	PeakRSS       int64 // bytes
	S3Requests    int   // counted by the proxy
	Registry      int   // SageMaker requests counted by the proxy
	HeadObject    int
}

// bench is one emulator with a fault proxy in front (its Latency delays every request) and the seeded source package.
type bench struct {
	opts     Options
	env      *promotertest.Env
	proxy    *faultproxy.Proxy
	groupARN string
	sizes    map[string]int64
	total    int64
	seq      int
}

// RunWith runs the benchmark with opts.
func RunWith(ctx context.Context, w io.Writer, opts Options) error {
	opts.defaults()
	moto, err := testkit.Start(ctx, testkit.Options{})
	if err != nil {
		return err
	}
	defer moto.Stop()
	b := &bench{opts: opts, sizes: map[string]int64{}}
	b.proxy, err = faultproxy.Start(moto.URL)
	if err != nil {
		return err
	}
	defer b.proxy.Close()
	if b.env, err = promotertest.New(ctx, moto.Via(b.proxy.URL)); err != nil {
		return err
	}
	if b.groupARN, err = b.env.CreateGroup(ctx, "bench"); err != nil {
		return err
	}
	for i := range opts.Objects {
		key := fmt.Sprintf("bench/model/shard-%04d.bin", i)
		size := b.size(i)
		if _, err := b.env.Put(ctx, key, promotertest.Data(uint64(i), int(size))); err != nil {
			return err
		}
		b.sizes[b.env.SourceBucket+"/"+key] = size
		b.total += size
	}
	in := &sagemaker.CreateModelPackageInput{InferenceSpecification: &types.InferenceSpecification{
		Containers: []types.ModelPackageContainerDefinition{{Image: aws.String("bench"), ModelDataSource: &types.ModelDataSource{S3DataSource: &types.S3ModelDataSource{
			S3Uri: aws.String("s3://" + b.env.SourceBucket + "/bench/model/"), S3DataType: types.S3ModelDataTypeS3Prefix, CompressionType: types.ModelCompressionTypeNone}}}},
		SupportedContentTypes: []string{"application/octet-stream"}, SupportedResponseMIMETypes: []string{"application/json"}}}
	if _, err := b.env.Register(ctx, "bench", types.ModelApprovalStatusApproved, "", in); err != nil {
		return err
	}
	if err := b.smallObjects(ctx, w); err != nil {
		return err
	}
	if err := b.nothingToPromote(ctx, w); err != nil {
		return err
	}
	return modelled(ctx, w, opts, b.size)
}

// size is the size of the i-th seeded object: spread over [MinSize, MaxSize].
func (b *bench) size(i int) int64 {
	return b.opts.MinSize + int64(i)*7919%(b.opts.MaxSize-b.opts.MinSize+1)
}

func (b *bench) model(delay time.Duration) faultproxy.Latency {
	return faultproxy.Latency{Delay: delay, CopyRate: b.opts.CopyRate, SizeOf: func(bucket, key string) int64 {
		if n, ok := b.sizes[bucket+"/"+key]; ok {
			return n
		}
		return -1
	}}
}

// smallObjects compares smcd, awscli and the original path on the seeded package at each delay.
func (b *bench) smallObjects(ctx context.Context, w io.Writer) error {
	fmt.Fprintf(w, "Promotion of one package: %d objects of %d-%d KiB (%.1f MiB), moto on loopback behind a proxy that delays each request\n",
		b.opts.Objects, b.opts.MinSize>>10, b.opts.MaxSize>>10, float64(b.total)/(1<<20))
	fmt.Fprintf(w, "and each server-side copy by its bytes at %.0f MiB/s; median of %d runs. Ratios are to aws s3 cp at the same delay.\n\n",
		b.opts.CopyRate/(1<<20), b.opts.Runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "delay\tmethod\twall\tvs aws s3 cp\tS3 requests\tper object\tHeadObject\tSageMaker requests\tartifact bytes through host\tpeak RSS\t")
	var last []Measurement // the rows at the largest delay
	for _, d := range b.opts.Delays {
		b.proxy.SetLatency(b.model(d))
		var smcd, cli, orig []Measurement
		for range b.opts.Runs {
			b.seq++
			m, err := b.measureSmcd(ctx)
			if err != nil {
				return err
			}
			smcd = append(smcd, m)
			if m, err = b.measureAWSCLI(ctx); err != nil {
				return err
			}
			cli = append(cli, m)
			if m, err = b.measureOriginal(ctx); err != nil {
				return err
			}
			orig = append(orig, m)
		}
		rows := []Measurement{medianRun(smcd), medianRun(cli), medianRun(orig)}
		last = rows
		for _, r := range rows {
			rss := "n/a"
			if r.PeakRSS > 0 {
				rss = fmt.Sprintf("%.0f MiB", float64(r.PeakRSS)/(1<<20))
			}
			artifact := strconv.FormatInt(r.ArtifactBytes, 10)
			if r.ArtifactBytes < 0 {
				artifact = "not counted (child)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.2fx\t%d\t%.3f\t%d\t%d\t%s\t%s\t\n", d, r.Method, r.Wall.Round(time.Millisecond),
				float64(r.Wall)/float64(rows[1].Wall), r.S3Requests, float64(r.S3Requests)/float64(b.opts.Objects), r.HeadObject, r.Registry, artifact, rss)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "Targets at 20 ms: smcd <= 0.50x the wall time of aws s3 cp, <= 1.05 S3 requests per object.")
	floor, err := b.serialFloor(ctx)
	if err != nil {
		return err
	}
	total := time.Duration(b.opts.Objects) * floor
	fmt.Fprintf(w, "The emulator serves one request at a time: %s per CopyObject here (%d sequential copies, no delay), so %d copies take\n",
		floor.Round(10*time.Microsecond), floorCopies, b.opts.Objects)
	fmt.Fprintf(w, "at least %s whatever the client's concurrency; at %s smcd took %.2fx that floor and aws s3 cp %.2fx. The modelled table\n",
		total.Round(time.Millisecond), slices.Max(b.opts.Delays), float64(last[0].Wall)/float64(total), float64(last[1].Wall)/float64(total))
	fmt.Fprintln(w, "below compares the two schedules where requests overlap, as on S3.")
	fmt.Fprintln(w, "S3 and SageMaker requests are counted by the proxy (awscli's too). artifact bytes: object data in this process's HTTP bodies;")
	fmt.Fprintln(w, "awscli is a child process, so its bytes are not counted here. peak RSS: VmHWM after resetting it (clear_refs), includes the")
	fmt.Fprintln(w, "process baseline; ru_maxrss of the child for awscli. The original path here stops after upload; the original pipeline also")
	fmt.Fprintln(w, "unzips in a Lambda and uploads again.")
	return nil
}

// floorCopies is how many sequential CopyObject calls serialFloor times.
const floorCopies = 50

// serialFloor is the emulator's own time per CopyObject: the median of floorCopies sequential
// copies of seeded objects with no delay added. The emulator executes requests one at a time
// (concurrent clients queue), so this bounds every method's wall time from below.
func (b *bench) serialFloor(ctx context.Context) (time.Duration, error) {
	b.proxy.SetLatency(b.model(0))
	var each []time.Duration
	for i := range floorCopies {
		key := fmt.Sprintf("bench/model/shard-%04d.bin", i%b.opts.Objects)
		start := time.Now()
		if _, err := b.env.TargetS3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(b.env.TargetBucket), Key: aws.String(fmt.Sprintf("floor/%d", i)),
			CopySource: aws.String(b.env.SourceBucket + "/" + key)}); err != nil {
			return 0, fmt.Errorf("bench floor copy: %w", err)
		}
		each = append(each, time.Since(start))
	}
	return median.Of(each, func(d time.Duration) time.Duration { return d }), nil
}

func medianRun(ms []Measurement) Measurement {
	pick := func(f func(Measurement) int64) int64 { return median.Of(ms, f) }
	count := func(f func(Measurement) int) int { return median.Of(ms, f) }
	return Measurement{Method: ms[0].Method,
		Wall:          median.Of(ms, func(m Measurement) time.Duration { return m.Wall }),
		ArtifactBytes: pick(func(m Measurement) int64 { return m.ArtifactBytes }),
		HTTPBytes:     pick(func(m Measurement) int64 { return m.HTTPBytes }),
		PeakRSS:       pick(func(m Measurement) int64 { return m.PeakRSS }),
		S3Requests:    count(func(m Measurement) int { return m.S3Requests }),
		Registry:      count(func(m Measurement) int { return m.Registry }),
		HeadObject:    count(func(m Measurement) int { return m.HeadObject })}
}

// counts fills m's request columns from the proxy's counts.
func (b *bench) counts(m *Measurement) {
	// JSON-protocol calls are SageMaker's here (STS speaks the query protocol).
	m.S3Requests, m.Registry = b.proxy.CountProtocol(faultproxy.RESTXML), b.proxy.CountProtocol(faultproxy.JSON)
	m.HeadObject = b.proxy.Count("HeadObject")
}

// Counter is an http.RoundTripper that counts body bytes.
type Counter struct {
	Next http.RoundTripper
	// Artifact counts object data: GetObject response bodies, PutObject/UploadPart request bodies.
	Artifact atomic.Int64
	// All counts every request and response body.
	All atomic.Int64
}

type countingBody struct {
	io.ReadCloser
	n []*atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	k, err := b.ReadCloser.Read(p)
	for _, n := range b.n {
		n.Add(int64(k))
	}
	return k, err
}

// RoundTrip counts the request and response bodies.
func (c *Counter) RoundTrip(req *http.Request) (*http.Response, error) {
	q := req.URL.Query()
	objectPath := strings.Count(strings.Trim(req.URL.Path, "/"), "/") >= 1
	isPut := req.Method == http.MethodPut && objectPath && req.Header.Get("X-Amz-Copy-Source") == "" && q.Get("x-id") != "UploadPartCopy"
	isGet := req.Method == http.MethodGet && objectPath && !q.Has("uploads") && !q.Has("list-type") && !q.Has("uploadId")
	if req.Body != nil {
		counters := []*atomic.Int64{&c.All}
		if isPut {
			counters = append(counters, &c.Artifact)
		}
		req.Body = &countingBody{ReadCloser: req.Body, n: counters}
	}
	resp, err := c.Next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	counters := []*atomic.Int64{&c.All}
	if isGet {
		counters = append(counters, &c.Artifact)
	}
	resp.Body = &countingBody{ReadCloser: resp.Body, n: counters}
	return resp, nil
}

func counted(cfg aws.Config) (aws.Config, *Counter) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = s3copy.DefaultConcurrency
	c := &Counter{Next: t}
	cfg = cfg.Copy()
	cfg.HTTPClient = &http.Client{Transport: c}
	return cfg, c
}

func resetPeak() {
	runtime.GC()
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func (b *bench) promoter(src, tgt aws.Config, group, prefix string) *promoter.Promoter {
	pathStyle := func(o *s3.Options) { o.UsePathStyle = true }
	target := s3.NewFromConfig(tgt, pathStyle)
	// As smcd promote builds it (promotecmd.Options.Build), with the bench's counting clients.
	return &promoter.Promoter{
		Config:         promotion.Config{SourceGroupARN: b.groupARN, TargetBucket: b.env.TargetBucket, TargetGroup: group, TargetPrefix: prefix},
		SourceRegistry: sagemaker.NewFromConfig(src), SourceStorage: s3.NewFromConfig(src, pathStyle),
		TargetRegistry: sagemaker.NewFromConfig(tgt), TargetStorage: target,
		Copier: s3copy.New(target),
	}
}

func (b *bench) measureSmcd(ctx context.Context) (Measurement, error) {
	src, sc := counted(b.env.SourceCfg)
	tgt, tc := counted(b.env.TargetCfg)
	p := b.promoter(src, tgt, fmt.Sprintf("bench-run-%d", b.seq), fmt.Sprintf("smcd-%d", b.seq))
	// Credentials for the source account (an AssumeRole) are fetched before the clock starts,
	// as awscli's are read from the environment.
	if _, err := src.Credentials.Retrieve(ctx); err != nil {
		return Measurement{}, err
	}
	resetPeak()
	b.proxy.Reset()
	start := time.Now()
	res, err := p.Promote(ctx)
	wall := time.Since(start)
	if err != nil {
		return Measurement{}, fmt.Errorf("bench promote: %w", err)
	}
	if res.Action != promotion.ActionPromote || len(res.Objects) != b.opts.Objects {
		return Measurement{}, fmt.Errorf("bench promote: %s with %d objects, want promote of %d", res.Action, len(res.Objects), b.opts.Objects)
	}
	m := Measurement{Method: "smcd promote", Wall: wall, ArtifactBytes: sc.Artifact.Load() + tc.Artifact.Load(),
		HTTPBytes: sc.All.Load() + tc.All.Load(), PeakRSS: peakRSS()}
	b.counts(&m)
	return m, nil
}

func (b *bench) measureAWSCLI(ctx context.Context) (Measurement, error) {
	cmd := exec.CommandContext(ctx, "aws", "s3", "cp", "--recursive", "--only-show-errors", "--endpoint-url", b.proxy.URL,
		"s3://"+b.env.SourceBucket+"/bench/model/", fmt.Sprintf("s3://%s/awscli-%d/", b.env.TargetBucket, b.seq))
	cmd.Env = append(os.Environ(), b.env.Moto.Env()...)
	b.proxy.Reset()
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if err != nil {
		return Measurement{}, fmt.Errorf("aws s3 cp --recursive (awscli v1 required: apt-get install awscli or pip install awscli): %w: %s", err, out)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss * 1024
	}
	m := Measurement{Method: "aws s3 cp --recursive", Wall: wall, ArtifactBytes: -1, HTTPBytes: -1, PeakRSS: rss}
	b.counts(&m)
	return m, nil
}

// measureOriginal follows the original pipeline: download every object, zip them, upload the zip.
func (b *bench) measureOriginal(ctx context.Context) (Measurement, error) {
	env := b.env
	src, sc := counted(env.SourceCfg)
	tgt, tc := counted(env.TargetCfg)
	pathStyle := func(o *s3.Options) { o.UsePathStyle = true }
	s3src, s3tgt := s3.NewFromConfig(src, pathStyle), s3.NewFromConfig(tgt, pathStyle)
	if _, err := src.Credentials.Retrieve(ctx); err != nil {
		return Measurement{}, err
	}
	dir, err := os.MkdirTemp("", "smcd-bench-")
	if err != nil {
		return Measurement{}, err
	}
	defer os.RemoveAll(dir)
	resetPeak()
	b.proxy.Reset()
	start := time.Now()
	zf, err := os.Create(dir + "/model.zip")
	if err != nil {
		return Measurement{}, err
	}
	zw := zip.NewWriter(zf)
	pager := s3.NewListObjectsV2Paginator(s3src, &s3.ListObjectsV2Input{Bucket: aws.String(env.SourceBucket), Prefix: aws.String("bench/model/")})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return Measurement{}, err
		}
		for _, o := range page.Contents {
			obj, err := s3src.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(env.SourceBucket), Key: o.Key})
			if err != nil {
				return Measurement{}, err
			}
			fw, err := zw.Create(aws.ToString(o.Key))
			if err == nil {
				_, err = io.Copy(fw, obj.Body)
			}
			obj.Body.Close()
			if err != nil {
				return Measurement{}, err
			}
		}
	}
	if err := zw.Close(); err != nil {
		return Measurement{}, err
	}
	if _, err := zf.Seek(0, io.SeekStart); err != nil {
		return Measurement{}, err
	}
	if _, err := s3tgt.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(env.TargetBucket), Key: aws.String(fmt.Sprintf("original-%d/model.zip", b.seq)), Body: zf}); err != nil {
		return Measurement{}, err
	}
	zf.Close()
	wall := time.Since(start)
	m := Measurement{Method: "original: download, zip, upload", Wall: wall, ArtifactBytes: sc.Artifact.Load() + tc.Artifact.Load(),
		HTTPBytes: sc.All.Load() + tc.All.Load(), PeakRSS: peakRSS()}
	b.counts(&m)
	return m, nil
}
