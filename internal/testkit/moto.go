// Package testkit runs the local AWS emulator (moto_server) for tests, demos and benchmarks.
//
// It starts moto on a free loopback port with the sagemaker-cd extension (smcd_moto.py, which adds
// SageMaker UpdateEndpoint and the model registry calls moto lacks, and refuses every request that
// breaks the AWS service model as AWS would), hands out AWS SDK configurations that point at it,
// and stops it afterwards. A missing moto is an error with an install hint, never a skip.
package testkit

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

//go:embed smcd_moto.py
var extension []byte

// InstallHint tells how to get moto when it is missing.
const InstallHint = "install it with `make deps` or `python3 -m pip install 'moto[server]==5.2.1'`"

// DefaultAccountID is the account moto acts in for the static test credentials.
const DefaultAccountID = "123456789012"

// Region is the region every emulator configuration uses.
const Region = "us-east-1"

// Moto is a running moto_server with the sagemaker-cd extension loaded.
type Moto struct {
	// URL is the endpoint URL, such as http://127.0.0.1:41234.
	URL string

	cmd      *exec.Cmd
	dir      string
	logs     *bytes.Buffer
	done     chan error
	endpoint string // where clients send calls when not URL (see Via)
}

// Options tune the emulator.
type Options struct {
	// UpdateSeconds is how long an UpdateEndpoint keeps the endpoint Updating (default 1s).
	UpdateSeconds float64
	// Python is the interpreter that has moto installed (default: $SMCD_PYTHON, else python3).
	Python string
}

// Start launches moto_server on a free loopback port and waits until it answers.
func Start(ctx context.Context, opts Options) (*Moto, error) {
	python := opts.Python
	if python == "" {
		python = os.Getenv("SMCD_PYTHON")
	}
	if python == "" {
		python = "python3"
	}
	if _, err := exec.LookPath(python); err != nil {
		return nil, fmt.Errorf("start moto: %s not found on PATH: %s", python, InstallHint)
	}
	if out, err := exec.CommandContext(ctx, python, "-c", "import moto.server, werkzeug, flask").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("start moto: %s cannot import moto.server (%s): %s",
			python, strings.TrimSpace(lastLine(string(out))), InstallHint)
	}
	dir, err := os.MkdirTemp("", "smcd-moto-")
	if err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	script := filepath.Join(dir, "smcd_moto.py")
	if err := os.WriteFile(script, extension, 0o600); err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	m := &Moto{URL: "http://127.0.0.1:" + strconv.Itoa(port), dir: dir, logs: &bytes.Buffer{}, done: make(chan error, 1)}
	// Not CommandContext: the server must outlive a short start-up context; Stop ends it.
	m.cmd = exec.Command(python, script, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	m.cmd.Env = append(os.Environ(), "MOTO_PORT="+strconv.Itoa(port))
	if opts.UpdateSeconds > 0 {
		m.cmd.Env = append(m.cmd.Env, "SMCD_MOTO_UPDATE_SECONDS="+strconv.FormatFloat(opts.UpdateSeconds, 'f', -1, 64))
	}
	m.cmd.Stdout, m.cmd.Stderr = m.logs, m.logs
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := m.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start moto: %w", err)
	}
	go func() { m.done <- m.cmd.Wait() }()
	if err := m.waitReady(ctx); err != nil {
		m.Stop()
		return nil, fmt.Errorf("start moto on %s: %w\n%s", m.URL, err, m.logs.String())
	}
	return m, nil
}

func (m *Moto) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(90 * time.Second) // generous: a loaded CI machine starts moto slowly
	for time.Now().Before(deadline) {
		select {
		case err := <-m.done:
			return fmt.Errorf("moto_server exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(m.URL + "/moto-api/data.json")
		if err == nil {
			resp.Body.Close()
			return nil
		}
	}
	return errors.New("moto_server did not answer within 90s")
}

// Stop ends the server and removes its files. It is safe to call twice.
func (m *Moto) Stop() {
	if m == nil || m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
		<-m.done
	}
	m.cmd = nil
	os.RemoveAll(m.dir)
}

// Reset drops every resource in every account, so each test starts from an empty emulator.
func (m *Moto) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL+"/moto-api/reset", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: HTTP %d", resp.StatusCode)
	}
	return nil
}

// Via returns a view of m whose Config, AccountConfig and Env send every call to endpointURL
// instead, such as a faultproxy.Proxy in front of this emulator. Reset and Logs still act on the
// emulator; Stop on the view does nothing (stop m itself).
func (m *Moto) Via(endpointURL string) *Moto {
	return &Moto{URL: m.URL, logs: m.logs, endpoint: endpointURL}
}

func (m *Moto) clientURL() string {
	if m.endpoint != "" {
		return m.endpoint
	}
	return m.URL
}

// Config returns an AWS SDK configuration for the default account, pointed at the emulator.
func (m *Moto) Config(ctx context.Context) (aws.Config, error) {
	return config.LoadDefaultConfig(ctx,
		config.WithRegion(Region),
		config.WithBaseEndpoint(m.clientURL()),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
		config.WithSharedConfigProfile(""),
		config.WithSharedConfigFiles(nil),
		config.WithSharedCredentialsFiles(nil),
	)
}

// AccountConfig returns a configuration acting in accountID: it assumes a role in that account
// through the emulator's STS, which is how moto separates accounts.
func (m *Moto) AccountConfig(ctx context.Context, accountID string) (aws.Config, error) {
	base, err := m.Config(ctx)
	if err != nil {
		return aws.Config{}, err
	}
	if accountID == DefaultAccountID {
		return base, nil
	}
	roleARN := "arn:aws:iam::" + accountID + ":role/smcd-test"
	cfg := base.Copy()
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), roleARN))
	return cfg, nil
}

// Env returns environment variables that point AWS CLIs and smcd at the emulator.
func (m *Moto) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + m.clientURL(),
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
	}
}

// Logs returns what the server printed so far, for failure messages.
func (m *Moto) Logs() string { return m.logs.String() }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TagS3EventKey, set to S3EventKeyForm on a bucket, makes the emulator deliver the bucket's S3
// EventBridge events with detail.object.key form-encoded, as classic S3 notifications encode
// keys (AWS does not document which spelling EventBridge uses).
const (
	TagS3EventKey  = "smcd:moto-event-key"
	S3EventKeyForm = "form"
)
