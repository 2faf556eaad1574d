// Package faultproxy is a fault-injecting HTTP proxy for emulator tests: it sits on a loopback port
// between an AWS SDK client and the emulator and, by rule, answers 500 or 503 SlowDown in the
// protocol's error format, resets the connection before or after forwarding (a lost answer: the
// server applied the call, the client never hears back), or delays the answer.
//
// Rules select calls by API operation name (S3 from method, path, query and headers; JSON
// protocols from X-Amz-Target; query protocols from Action=) and by the nth matching call. The
// proxy counts every request per operation and per protocol, so tests can assert how often a
// call was made.
//
// A Latency makes the emulator look like a remote AWS endpoint for benchmarks: every call waits
// a fixed delay (a round trip to AWS) before it is forwarded, and a server-side copy also waits
// for its bytes at a per-request copy rate (S3 copies one request's bytes at tens of MiB/s).
package faultproxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is what the proxy does to a matching call.
type Fault int

const (
	// Pass forwards the call unchanged (a rule with Pass only counts).
	Pass Fault = iota
	// InternalError answers HTTP 500 without forwarding: S3 InternalError, JSON protocols
	// InternalFailure (DynamoDB InternalServerError), query protocols InternalFailure.
	InternalError
	// SlowDown answers HTTP 503 without forwarding: S3 SlowDown, JSON protocols
	// ThrottlingException, query protocols Throttling.
	SlowDown
	// ResetBefore resets the TCP connection without forwarding: the server never sees the call.
	ResetBefore
	// ResetAfter forwards the call, reads the server's whole answer and then resets the TCP
	// connection: the server applied the call, the client never hears back.
	ResetAfter
	// Slow forwards the call and holds the answer for Rule.Delay before writing it.
	Slow
)

var faultNames = map[Fault]string{
	Pass: "Pass", InternalError: "InternalError", SlowDown: "SlowDown",
	ResetBefore: "ResetBefore", ResetAfter: "ResetAfter", Slow: "Slow",
}

// String returns the fault's name, such as "ResetAfter".
func (f Fault) String() string {
	if n, ok := faultNames[f]; ok {
		return n
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// Rule selects calls and the fault they get.
type Rule struct {
	// Operation is the API operation name as AWS spells it, such as "CompleteMultipartUpload",
	// "CreateModelPackage" or "PutItem"; empty matches every call.
	Operation string
	// Calls lists which matching calls get the fault, 1-based and counted from when the rule was
	// added (Calls: []int{1} is the next matching call); empty means every matching call.
	Calls []int
	// Fault is what happens to a selected call.
	Fault Fault
	// Delay is how long a Slow fault holds the answer.
	Delay time.Duration
}

type rule struct {
	Rule
	seen int
}

// Call is one request the proxy saw.
type Call struct {
	// Operation is the API operation name ("" when the proxy could not tell).
	Operation string
	// Protocol is the call's wire protocol (RESTXML is S3).
	Protocol Protocol
	// Fault is what the proxy did to it.
	Fault Fault
}

// Latency is added to every call before it is forwarded (after the rules decided to forward
// it); the zero value adds nothing.
type Latency struct {
	// Delay is added to every call.
	Delay time.Duration
	// CopyRate, in bytes per second, also delays a CopyObject by its object's size and an
	// UploadPartCopy by its range (0: no copy delay).
	CopyRate float64
	// SizeOf returns the size of a copy source (bucket, key) for CopyObject's delay; nil or a
	// negative answer charges nothing.
	SizeOf func(bucket, key string) int64
}

// Proxy is a running fault-injecting proxy. Its methods are safe for concurrent use.
type Proxy struct {
	// URL is the proxy's address, such as http://127.0.0.1:41235; point the SDK's BaseEndpoint at it.
	URL string

	target    *url.URL
	server    *http.Server
	listener  net.Listener
	transport *http.Transport

	mu        sync.Mutex
	rules     []*rule
	latency   Latency
	counts    map[string]int
	protocols map[Protocol]int
	calls     []Call
}

// Start listens on a free loopback port and forwards to target (such as the emulator's URL).
func Start(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("start fault proxy: target %q is not an http://host:port URL", target)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start fault proxy: %w", err)
	}
	p := &Proxy{
		URL:      "http://" + l.Addr().String(),
		target:   u,
		listener: l,
		// As many idle connections as a copier may keep busy (s3copy allows 1000 in flight).
		transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1000, DisableCompression: true},
		counts:    map[string]int{},
		protocols: map[Protocol]int{},
	}
	p.server = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.server.Serve(l) }()
	return p, nil
}

// Close stops the proxy and drops its connections.
func (p *Proxy) Close() error {
	err := p.server.Close()
	p.transport.CloseIdleConnections()
	return err
}

// Add appends rules; for each call the first rule that selects it decides its fault.
func (p *Proxy) Add(rules ...Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range rules {
		p.rules = append(p.rules, &rule{Rule: r})
	}
}

// SetLatency replaces the latency added to every forwarded call (Reset keeps it).
func (p *Proxy) SetLatency(l Latency) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latency = l
}

// Reset drops every rule, count and recorded call.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules, p.counts, p.protocols, p.calls = nil, map[string]int{}, map[Protocol]int{}, nil
}

// Count returns how many calls of operation the proxy saw (faulted or not) since the last Reset.
func (p *Proxy) Count(operation string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[operation]
}

// CountProtocol returns how many calls of proto the proxy saw since the last Reset: RESTXML
// counts every S3 request.
func (p *Proxy) CountProtocol(proto Protocol) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.protocols[proto]
}

// Calls returns the calls the proxy saw since the last Reset, in order of arrival.
func (p *Proxy) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

// decide counts the call and returns the rule that selects it, if any, and the latency.
func (p *Proxy) decide(proto Protocol, op string) (Rule, Latency) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[op]++
	p.protocols[proto]++
	chosen := Rule{Fault: Pass}
	found := false
	for _, r := range p.rules {
		if r.Operation != "" && r.Operation != op {
			continue
		}
		r.seen++
		if !found && (len(r.Calls) == 0 || slices.Contains(r.Calls, r.seen)) {
			chosen, found = r.Rule, true
		}
	}
	p.calls = append(p.calls, Call{Operation: op, Protocol: proto, Fault: chosen.Fault})
	return chosen, p.latency
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "fault proxy: read request: "+err.Error(), http.StatusBadGateway)
		return
	}
	proto, op := Classify(r, body)
	rule, latency := p.decide(proto, op)
	switch rule.Fault {
	case InternalError, SlowDown:
		writeError(w, proto, op, rule.Fault)
		return
	case ResetBefore:
		reset(w)
		return
	}
	if wait := latency.of(r, op); wait > 0 {
		select {
		case <-time.After(wait):
		case <-r.Context().Done():
			return
		}
	}
	resp, respBody, err := p.forward(r, body)
	if err != nil {
		http.Error(w, "fault proxy: forward: "+err.Error(), http.StatusBadGateway)
		return
	}
	switch rule.Fault {
	case ResetAfter:
		reset(w)
		return
	case Slow:
		select {
		case <-time.After(rule.Delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(respBody)
}

// of is how long l delays the call op of r.
func (l Latency) of(r *http.Request, op string) time.Duration {
	wait := l.Delay
	if l.CopyRate > 0 {
		if n := l.copyBytes(r, op); n > 0 {
			wait += time.Duration(float64(n) / l.CopyRate * float64(time.Second))
		}
	}
	return wait
}

// copyBytes is the number of bytes a copy request makes S3 copy (0 for other requests).
func (l Latency) copyBytes(r *http.Request, op string) int64 {
	switch op {
	case "UploadPartCopy":
		rng := strings.TrimPrefix(r.Header.Get("X-Amz-Copy-Source-Range"), "bytes=")
		a, b, ok := strings.Cut(rng, "-")
		first, err1 := strconv.ParseInt(a, 10, 64)
		last, err2 := strconv.ParseInt(b, 10, 64)
		if ok && err1 == nil && err2 == nil {
			return last - first + 1
		}
	case "CopyObject":
		if l.SizeOf == nil {
			return 0
		}
		src, err := url.PathUnescape(strings.TrimPrefix(r.Header.Get("X-Amz-Copy-Source"), "/"))
		if err != nil {
			return 0
		}
		src, _, _ = strings.Cut(src, "?")
		bucket, key, _ := strings.Cut(src, "/")
		return max(l.SizeOf(bucket, key), 0)
	}
	return 0
}

func (p *Proxy) forward(r *http.Request, body []byte) (*http.Response, []byte, error) {
	u := *p.target
	u.Path, u.RawPath, u.RawQuery = r.URL.Path, r.URL.RawPath, r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	out.Header = r.Header.Clone()
	out.Host = r.Host // keep the signed Host header
	out.ContentLength = int64(len(body))
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	return resp, respBody, err
}

// reset closes the client's connection with a TCP RST (SO_LINGER 0).
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // closes the connection without an answer
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// Protocol is the wire protocol of a call, which decides the error format.
type Protocol int

const (
	// RESTXML is S3's protocol: errors are <Error><Code>.
	RESTXML Protocol = iota
	// JSON is the awsJson protocol (SageMaker, DynamoDB, EventBridge, KMS, SQS, CodePipeline):
	// errors are {"__type": ..., "message": ...}.
	JSON
	// Query is the query protocol (STS, CloudFormation): errors are <ErrorResponse><Error>.
	Query
)

// Classify tells a call's protocol and API operation name from its request and body.
func Classify(r *http.Request, body []byte) (Protocol, string) {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		return JSON, target[strings.LastIndex(target, ".")+1:]
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") != "" {
			return Query, form.Get("Action")
		}
	}
	if action := r.URL.Query().Get("Action"); action != "" {
		return Query, action
	}
	return RESTXML, S3Operation(r.Method, r.URL.EscapedPath(), r.URL.Query(), r.Header)
}

// s3Subresources maps a bucket subresource query key to the noun of its operations
// (GetBucketPolicy, PutBucketPolicy, DeleteBucketPolicy).
var s3Subresources = map[string]string{
	"policy": "BucketPolicy", "versioning": "BucketVersioning", "encryption": "BucketEncryption",
	"notification": "BucketNotificationConfiguration", "tagging": "BucketTagging",
	"lifecycle": "BucketLifecycleConfiguration", "cors": "BucketCors", "acl": "BucketAcl",
	"publicAccessBlock": "PublicAccessBlock", "ownershipControls": "BucketOwnershipControls",
	"replication": "BucketReplication", "logging": "BucketLogging", "website": "BucketWebsite",
	"object-lock": "ObjectLockConfiguration", "accelerate": "BucketAccelerateConfiguration",
}

// S3Operation names the S3 operation of a path-style request (/bucket/key): for example PUT with
// x-amz-copy-source is CopyObject, POST ?uploads is CreateMultipartUpload. An unknown shape
// answers METHOD plus "Object" or "Bucket", such as "PATCHObject".
func S3Operation(method, path string, query url.Values, header http.Header) string {
	path = strings.TrimPrefix(path, "/")
	if path == "" {
		if method == http.MethodGet {
			return "ListBuckets"
		}
		return method + "Service"
	}
	_, key, hasKey := strings.Cut(path, "/")
	has := func(k string) bool { _, ok := query[k]; return ok }
	copySource := header.Get("X-Amz-Copy-Source") != ""
	if hasKey && key != "" {
		switch method {
		case http.MethodPut:
			switch {
			case has("partNumber") && has("uploadId") && copySource:
				return "UploadPartCopy"
			case has("partNumber") && has("uploadId"):
				return "UploadPart"
			case has("tagging"):
				return "PutObjectTagging"
			case has("acl"):
				return "PutObjectAcl"
			case has("retention"):
				return "PutObjectRetention"
			case has("legal-hold"):
				return "PutObjectLegalHold"
			case copySource:
				return "CopyObject"
			}
			return "PutObject"
		case http.MethodPost:
			switch {
			case has("uploads"):
				return "CreateMultipartUpload"
			case has("uploadId"):
				return "CompleteMultipartUpload"
			case has("restore"):
				return "RestoreObject"
			case has("select"):
				return "SelectObjectContent"
			}
		case http.MethodDelete:
			switch {
			case has("uploadId"):
				return "AbortMultipartUpload"
			case has("tagging"):
				return "DeleteObjectTagging"
			}
			return "DeleteObject"
		case http.MethodGet:
			switch {
			case has("uploadId"):
				return "ListParts"
			case has("tagging"):
				return "GetObjectTagging"
			case has("attributes"):
				return "GetObjectAttributes"
			case has("acl"):
				return "GetObjectAcl"
			}
			return "GetObject"
		case http.MethodHead:
			return "HeadObject"
		}
		return method + "Object"
	}
	for sub, noun := range s3Subresources {
		if !has(sub) {
			continue
		}
		switch method {
		case http.MethodGet:
			return "Get" + noun
		case http.MethodPut:
			return "Put" + noun
		case http.MethodDelete:
			return "Delete" + noun
		}
	}
	switch method {
	case http.MethodGet:
		switch {
		case query.Get("list-type") == "2":
			return "ListObjectsV2"
		case has("versions"):
			return "ListObjectVersions"
		case has("uploads"):
			return "ListMultipartUploads"
		case has("location"):
			return "GetBucketLocation"
		}
		return "ListObjects"
	case http.MethodPut:
		return "CreateBucket"
	case http.MethodPost:
		if has("delete") {
			return "DeleteObjects"
		}
	case http.MethodDelete:
		return "DeleteBucket"
	case http.MethodHead:
		return "HeadBucket"
	}
	return method + "Bucket"
}

// writeError answers a 500 or 503 error in the format of proto.
func writeError(w http.ResponseWriter, proto Protocol, op string, f Fault) {
	status, message := http.StatusInternalServerError, "We encountered an internal error. Please try again."
	if f == SlowDown {
		status, message = http.StatusServiceUnavailable, "Please reduce your request rate."
	}
	const requestID = "FAULTPROXY0000000"
	w.Header().Set("X-Amz-Request-Id", requestID)
	w.Header().Set("X-Amzn-Requestid", requestID)
	switch proto {
	case JSON:
		code := map[Fault]string{InternalError: "InternalFailure", SlowDown: "ThrottlingException"}[f]
		if f == InternalError && isDynamoDB(op) {
			code = "InternalServerError"
		}
		body, _ := json.Marshal(map[string]string{"__type": code, "message": message})
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Errortype", code)
		w.WriteHeader(status)
		_, _ = w.Write(body)
	case Query:
		code := map[Fault]string{InternalError: "InternalFailure", SlowDown: "Throttling"}[f]
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Receiver</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			code, message, requestID)
	default:
		code := map[Fault]string{InternalError: "InternalError", SlowDown: "SlowDown"}[f]
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>`,
			code, message, requestID)
	}
}

func isDynamoDB(op string) bool {
	switch op {
	case "PutItem", "UpdateItem", "DeleteItem", "GetItem", "Query", "Scan", "BatchWriteItem",
		"BatchGetItem", "TransactWriteItems", "TransactGetItems":
		return true
	}
	return false
}
