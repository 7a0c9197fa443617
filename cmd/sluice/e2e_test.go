package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/web/webtest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// binary is the sluice binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sluice-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "sluice")
	args := []string{"build", "-o", binary}
	if os.Getenv("SLUICE_E2E_RACE") != "" {
		args = append(args, "-race") // every server's log is checked for data races (startServerEnv)
	}
	out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building sluice: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a sluice process under test.
type server struct {
	cmd  *exec.Cmd
	url  string // HTTP base URL
	rtsp string // RTSP base URL (append /<stream>)
	log  *logBuffer
	done chan struct{}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startServer runs sluice on free loopback ports with dataDir and waits
// until /readyz answers.
func startServer(t *testing.T, dataDir string, args ...string) *server {
	t.Helper()
	return startServerEnv(t, dataDir, nil, args...)
}

// startServerEnv is startServer with extra environment variables. The
// free ports it picks can be taken by another process before sluice binds
// them: a start that fails with "address already in use" is tried again
// on new ports (three times).
func startServerEnv(t *testing.T, dataDir string, env []string, args ...string) *server {
	t.Helper()
	for attempt := 1; ; attempt++ {
		s, err := tryStartServer(t, dataDir, env, args)
		if err == nil {
			return s
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
	}
}

// tryStartServer runs sluice on free loopback ports and waits until
// /readyz answers; the error holds the server's log.
func tryStartServer(t *testing.T, dataDir string, env, args []string) (*server, error) {
	t.Helper()
	port, rtspPort := freePort(t), freePort(t)
	all := append([]string{"serve", "--data-dir", dataDir, "--http-addr", fmt.Sprintf("127.0.0.1:%d", port),
		"--rtsp-addr", fmt.Sprintf("127.0.0.1:%d", rtspPort), "--rtsp-udp-rtp-addr", "127.0.0.1:0", "--rtsp-udp-rtcp-addr", "",
		"--webrtc-addr", fmt.Sprintf("127.0.0.1:%d", freeUDPPort(t))}, args...)
	cmd := exec.Command(binary, all...)
	cmd.Env = append(os.Environ(), env...)
	log := &logBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	scheme, client := "http", http.DefaultClient
	if slices.Contains(args, "--tls-cert") {
		scheme, client = "https", insecureClient
	}
	s := &server{cmd: cmd, url: fmt.Sprintf("%s://127.0.0.1:%d", scheme, port), rtsp: fmt.Sprintf("rtsp://127.0.0.1:%d", rtspPort), log: log, done: make(chan struct{})}
	go func() { cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		s.kill()
		if log := s.log.String(); strings.Contains(log, "WARNING: DATA RACE") {
			t.Errorf("the server raced:\n%s", log[strings.Index(log, "WARNING: DATA RACE"):])
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := client.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("sluice exited: %s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("sluice not ready: %s", log.String())
		}
	}
}

// insecureClient talks to a server with a self-signed test certificate.
var insecureClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 30 * time.Second}

// freeUDPPort returns a UDP port free on loopback now.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// stop sends SIGTERM and waits for a graceful exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("sluice did not stop on SIGTERM: %s", s.log.String())
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("sluice exited %d after SIGTERM: %s", code, s.log.String())
	}
}

// logBuffer collects a process's output; safe for its two copiers.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func kinesisClient(url string) *kinesis.Client { return kinesisClientAs(url, "AKIDTEST", "secret") }

// kinesisClientAs signs with the key id:secret.
func kinesisClientAs(url, id, secret string) *kinesis.Client {
	return kinesis.New(kinesis.Options{
		BaseEndpoint: aws.String(url),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, ""),
		Retryer:      webtest.Retryer(),
	})
}

func waitStreamActive(t *testing.T, kc *kinesis.Client, name string) *kinesis.DescribeStreamOutput {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out, err := kc.DescribeStream(context.Background(), &kinesis.DescribeStreamInput{StreamName: aws.String(name)})
		if err == nil && out.StreamDescription.StreamStatus == "ACTIVE" {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s not ACTIVE: %v", name, err)
		}
	}
}
