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
	"github.com/sagemaker-cd/sagemaker-cd/internal/testkit"
	"github.com/sagemaker-cd/sagemaker-cd/promotion"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/promotiontest"
	"github.com/sagemaker-cd/sagemaker-cd/promotion/s3copy"
)

// Options size the benchmark; zero means default.
type Options struct {
	Objects    int   // default 200
	TotalBytes int64 // default 64 MiB
	Runs       int   // default 3 (medians are reported)
}

// Run starts an emulator, runs the benchmark with default options and prints the table to w.
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
}

// RunWith runs the benchmark with opts.
func RunWith(ctx context.Context, w io.Writer, opts Options) error {
	if opts.Objects == 0 {
		opts.Objects = 200
	}
	if opts.TotalBytes == 0 {
		opts.TotalBytes = 64 << 20
	}
	if opts.Runs == 0 {
		opts.Runs = 3
	}
	moto, err := testkit.Start(ctx, testkit.Options{})
	if err != nil {
		return err
	}
	defer moto.Stop()
	env, err := promotiontest.New(ctx, moto)
	if err != nil {
		return err
	}
	groupARN, err := env.CreateGroup(ctx, "bench")
	if err != nil {
		return err
	}
	each := opts.TotalBytes / int64(opts.Objects)
	for i := range opts.Objects {
		if _, err := env.Put(ctx, fmt.Sprintf("bench/model/shard-%04d.bin", i), promotiontest.Data(uint64(i), int(each))); err != nil {
			return err
		}
	}
	in := &sagemaker.CreateModelPackageInput{InferenceSpecification: &types.InferenceSpecification{
		Containers: []types.ModelPackageContainerDefinition{{Image: aws.String("bench"), ModelDataSource: &types.ModelDataSource{S3DataSource: &types.S3ModelDataSource{
			S3Uri: aws.String("s3://" + env.SourceBucket + "/bench/model/"), S3DataType: types.S3ModelDataTypeS3Prefix, CompressionType: types.ModelCompressionTypeNone}}}},
		SupportedContentTypes: []string{"application/octet-stream"}, SupportedResponseMIMETypes: []string{"application/json"}}}
	if _, err := env.Register(ctx, "bench", types.ModelApprovalStatusApproved, "", in); err != nil {
		return err
	}

	var smcd, cli, orig []Measurement
	for run := range opts.Runs {
		m, err := measureSmcd(ctx, env, groupARN, run, opts.Objects)
		if err != nil {
			return err
		}
		smcd = append(smcd, m)
		if m, err = measureAWSCLI(ctx, env, run); err != nil {
			return err
		}
		cli = append(cli, m)
		if m, err = measureOriginal(ctx, env, run); err != nil {
			return err
		}
		orig = append(orig, m)
	}
	rows := []Measurement{medianRun(smcd), medianRun(cli), medianRun(orig)}
	fmt.Fprintf(w, "Promotion of one package: %d objects, %.0f MiB total, moto on loopback, median of %d runs\n",
		opts.Objects, float64(each*int64(opts.Objects))/(1<<20), opts.Runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\twall\tvs smcd\tartifact bytes through host\tHTTP body bytes\tpeak RSS\t")
	for _, r := range rows {
		rss := "n/a"
		if r.PeakRSS > 0 {
			rss = fmt.Sprintf("%.0f MiB", float64(r.PeakRSS)/(1<<20))
		}
		artifact, all := strconv.FormatInt(r.ArtifactBytes, 10), strconv.FormatInt(r.HTTPBytes, 10)
		if r.ArtifactBytes < 0 {
			artifact, all = "not counted (child)", "not counted (child)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.2fx\t%s\t%s\t%s\t\n", r.Method, r.Wall.Round(time.Millisecond),
			float64(r.Wall)/float64(rows[0].Wall), artifact, all, rss)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "artifact bytes: object data in this process's HTTP bodies (counted, not assumed); awscli is a child process, so its bytes are not counted here.")
	fmt.Fprintln(w, "peak RSS: VmHWM after resetting it (clear_refs) for in-process runs, includes the process baseline; ru_maxrss of the child for awscli.")
	fmt.Fprintln(w, "The original path here stops after upload; the original pipeline also unzips in a Lambda and uploads again.")
	return nil
}

func medianRun(ms []Measurement) Measurement {
	pick := func(f func(Measurement) int64) int64 { return median.Of(ms, f) }
	return Measurement{Method: ms[0].Method,
		Wall:          median.Of(ms, func(m Measurement) time.Duration { return m.Wall }),
		ArtifactBytes: pick(func(m Measurement) int64 { return m.ArtifactBytes }),
		HTTPBytes:     pick(func(m Measurement) int64 { return m.HTTPBytes }),
		PeakRSS:       pick(func(m Measurement) int64 { return m.PeakRSS })}
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
	c := &Counter{Next: http.DefaultTransport.(*http.Transport).Clone()}
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

func measureSmcd(ctx context.Context, env *promotiontest.Env, groupARN string, run, objects int) (Measurement, error) {
	src, sc := counted(env.SourceCfg)
	tgt, tc := counted(env.TargetCfg)
	pathStyle := func(o *s3.Options) { o.UsePathStyle = true }
	p := &promotion.Promoter{
		Config:         promotion.Config{SourceGroupARN: groupARN, TargetBucket: env.TargetBucket, TargetGroup: fmt.Sprintf("bench-run-%d", run), TargetPrefix: fmt.Sprintf("smcd-%d", run)},
		SourceRegistry: sagemaker.NewFromConfig(src), SourceStorage: s3.NewFromConfig(src, pathStyle),
		TargetRegistry: sagemaker.NewFromConfig(tgt),
		Copier:         &s3copy.Copier{S3: s3.NewFromConfig(tgt, pathStyle)},
	}
	resetPeak()
	start := time.Now()
	res, err := p.Promote(ctx)
	wall := time.Since(start)
	if err != nil {
		return Measurement{}, fmt.Errorf("bench promote: %w", err)
	}
	if res.Action != promotion.ActionPromote || len(res.Objects) != objects {
		return Measurement{}, fmt.Errorf("bench promote: %s with %d objects, want promote of %d", res.Action, len(res.Objects), objects)
	}
	return Measurement{Method: "smcd promote (server-side)", Wall: wall, ArtifactBytes: sc.Artifact.Load() + tc.Artifact.Load(),
		HTTPBytes: sc.All.Load() + tc.All.Load(), PeakRSS: peakRSS()}, nil
}

func measureAWSCLI(ctx context.Context, env *promotiontest.Env, run int) (Measurement, error) {
	cmd := exec.CommandContext(ctx, "aws", "s3", "cp", "--recursive", "--only-show-errors", "--endpoint-url", env.Moto.URL,
		"s3://"+env.SourceBucket+"/bench/model/", fmt.Sprintf("s3://%s/awscli-%d/", env.TargetBucket, run))
	cmd.Env = append(os.Environ(), env.Moto.Env()...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if err != nil {
		return Measurement{}, fmt.Errorf("aws s3 cp --recursive (awscli v1 required): %w: %s", err, out)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss * 1024
	}
	return Measurement{Method: "aws s3 cp --recursive (server-side)", Wall: wall, ArtifactBytes: -1, HTTPBytes: -1, PeakRSS: rss}, nil
}

// measureOriginal follows the original pipeline: download every object, zip them, upload the zip.
func measureOriginal(ctx context.Context, env *promotiontest.Env, run int) (Measurement, error) {
	src, sc := counted(env.SourceCfg)
	tgt, tc := counted(env.TargetCfg)
	pathStyle := func(o *s3.Options) { o.UsePathStyle = true }
	s3src, s3tgt := s3.NewFromConfig(src, pathStyle), s3.NewFromConfig(tgt, pathStyle)
	dir, err := os.MkdirTemp("", "smcd-bench-")
	if err != nil {
		return Measurement{}, err
	}
	defer os.RemoveAll(dir)
	resetPeak()
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
	if _, err := s3tgt.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(env.TargetBucket), Key: aws.String(fmt.Sprintf("original-%d/model.zip", run)), Body: zf}); err != nil {
		return Measurement{}, err
	}
	zf.Close()
	wall := time.Since(start)
	return Measurement{Method: "original: download, zip, upload", Wall: wall, ArtifactBytes: sc.Artifact.Load() + tc.Artifact.Load(),
		HTTPBytes: sc.All.Load() + tc.All.Load(), PeakRSS: peakRSS()}, nil
}
