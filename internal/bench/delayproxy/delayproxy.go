// Package delayproxy is a loopback reverse proxy for benchmarks that makes the local emulator
// look like a remote AWS endpoint: every request waits a fixed delay (a round trip to AWS), and a
// server-side copy also waits for its bytes at a per-request copy rate (S3 copies one request's
// bytes at tens of MiB/s). It counts requests by API operation, so a benchmark can report
// requests per object.
package delayproxy

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sagemaker-cd/sagemaker-cd/internal/faultproxy"
)

// Options set the proxy's model; zero means no delay.
type Options struct {
	// Delay is added to every request before it is forwarded.
	Delay time.Duration
	// CopyRate, in bytes per second, delays a CopyObject by its object's size and an
	// UploadPartCopy by its range (0: no copy delay).
	CopyRate float64
	// SizeOf returns the size of a copy source (bucket, key) for CopyObject's delay; nil or a
	// negative answer charges nothing.
	SizeOf func(bucket, key string) int64
}

// Proxy is a running delay proxy. Its methods are safe for concurrent use.
type Proxy struct {
	// URL is the proxy's address, such as http://127.0.0.1:41235.
	URL string

	server *http.Server
	rp     *httputil.ReverseProxy

	mu     sync.Mutex
	opts   Options
	counts map[string]int
}

// Start listens on a free loopback port and forwards to target (the emulator's URL).
func Start(target string, opts Options) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("start delay proxy: target %q is not an http://host:port URL", target)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start delay proxy: %w", err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 256, DisableCompression: true}
	p := &Proxy{URL: "http://" + l.Addr().String(), rp: rp, opts: opts, counts: map[string]int{}}
	p.server = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.server.Serve(l) }()
	return p, nil
}

// Close stops the proxy.
func (p *Proxy) Close() error { return p.server.Close() }

// Set replaces the model's options.
func (p *Proxy) Set(opts Options) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.opts = opts
}

// Reset zeroes the counts.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts = map[string]int{}
}

// Counts returns the requests seen since the last Reset by operation, such as "s3:CopyObject"
// or "sagemaker:ListModelPackages" (the service is "sts" for query-protocol calls).
func (p *Proxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

// Sum adds the counts of one service ("s3", "sagemaker", "sts").
func Sum(counts map[string]int, service string) int {
	n := 0
	for k, v := range counts {
		if strings.HasPrefix(k, service+":") {
			n += v
		}
	}
	return n
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := operation(r)
	p.mu.Lock()
	p.counts[op]++
	opts := p.opts
	p.mu.Unlock()
	wait := opts.Delay
	if opts.CopyRate > 0 {
		if n := copyBytes(r, op, opts.SizeOf); n > 0 {
			wait += time.Duration(float64(n) / opts.CopyRate * float64(time.Second))
		}
	}
	if wait > 0 {
		select {
		case <-time.After(wait):
		case <-r.Context().Done():
			return
		}
	}
	p.rp.ServeHTTP(w, r)
}

// operation names a call: service and API operation, from headers and URL only (the body is
// left to the proxy).
func operation(r *http.Request) string {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		return "sagemaker:" + target[strings.LastIndex(target, ".")+1:]
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") || r.URL.Query().Get("Action") != "" {
		return "sts:" + r.URL.Query().Get("Action")
	}
	return "s3:" + faultproxy.S3Operation(r.Method, r.URL.EscapedPath(), r.URL.Query(), r.Header)
}

// copyBytes is the number of bytes a copy request makes S3 copy (0 for other requests).
func copyBytes(r *http.Request, op string, sizeOf func(bucket, key string) int64) int64 {
	switch op {
	case "s3:UploadPartCopy":
		rng := strings.TrimPrefix(r.Header.Get("X-Amz-Copy-Source-Range"), "bytes=")
		a, b, ok := strings.Cut(rng, "-")
		first, err1 := strconv.ParseInt(a, 10, 64)
		last, err2 := strconv.ParseInt(b, 10, 64)
		if ok && err1 == nil && err2 == nil {
			return last - first + 1
		}
	case "s3:CopyObject":
		if sizeOf == nil {
			return 0
		}
		src, err := url.PathUnescape(strings.TrimPrefix(r.Header.Get("X-Amz-Copy-Source"), "/"))
		if err != nil {
			return 0
		}
		src, _, _ = strings.Cut(src, "?")
		bucket, key, _ := strings.Cut(src, "/")
		return max(sizeOf(bucket, key), 0)
	}
	return 0
}
