package e2e

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
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
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// Binary is the sluice binary built once for the end-to-end tests.
var Binary string

// Server is a sluice process under test.
type Server struct {
	Cmd  *exec.Cmd
	URL  string // HTTP base URL
	RTSP string // RTSP base URL (append /<stream>)
	Log  *LogBuffer
	Done chan struct{}
}

func FreePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartServer runs sluice on free loopback ports with dataDir and waits
// until /readyz answers.
func StartServer(t *testing.T, dataDir string, args ...string) *Server {
	t.Helper()
	return StartServerEnv(t, dataDir, nil, args...)
}

// StartServerEnv is startServer with extra environment variables. The
// free ports it picks can be taken by another process before sluice binds
// them: a start that fails with "address already in use" is tried again
// on new ports (three times).
func StartServerEnv(t *testing.T, dataDir string, env []string, args ...string) *Server {
	t.Helper()
	for attempt := 1; ; attempt++ {
		s, err := TryStartServer(t, dataDir, env, args)
		if err == nil {
			return s
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
	}
}

// TryStartServer runs sluice on free loopback ports and waits until
// /readyz answers; the error holds the server's log.
func TryStartServer(t *testing.T, dataDir string, env, args []string) (*Server, error) {
	t.Helper()
	port, rtspPort := FreePort(t), FreePort(t)
	all := append([]string{"serve", "--data-dir", dataDir, "--http-addr", fmt.Sprintf("127.0.0.1:%d", port),
		"--rtsp-addr", fmt.Sprintf("127.0.0.1:%d", rtspPort), "--rtsp-udp-rtp-addr", "127.0.0.1:0", "--rtsp-udp-rtcp-addr", "",
		"--webrtc-addr", fmt.Sprintf("127.0.0.1:%d", FreeUDPPort(t))}, args...)
	cmd := exec.Command(Binary, all...)
	cmd.Env = append(os.Environ(), env...)
	log := &LogBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	scheme, client := "http", http.DefaultClient
	if slices.Contains(args, "--tls-cert") {
		scheme, client = "https", InsecureClient
	}
	s := &Server{Cmd: cmd, URL: fmt.Sprintf("%s://127.0.0.1:%d", scheme, port), RTSP: fmt.Sprintf("rtsp://127.0.0.1:%d", rtspPort), Log: log, Done: make(chan struct{})}
	go func() { cmd.Wait(); close(s.Done) }()
	t.Cleanup(func() {
		s.Kill()
		if log := s.Log.String(); strings.Contains(log, "WARNING: DATA RACE") {
			t.Errorf("the server raced:\n%s", log[strings.Index(log, "WARNING: DATA RACE"):])
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := client.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		select {
		case <-s.Done:
			return nil, fmt.Errorf("sluice exited: %s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("sluice not ready: %s", log.String())
		}
	}
}

// InsecureClient talks to a server with a self-signed test certificate.
var InsecureClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 30 * time.Second}

// FreeUDPPort returns a UDP port free on loopback now.
func FreeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func (s *Server) Kill() {
	s.Cmd.Process.Signal(syscall.SIGKILL)
	<-s.Done
}

// Stop sends SIGTERM and waits for a graceful exit.
func (s *Server) Stop(t *testing.T) {
	t.Helper()
	s.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.Done:
	case <-time.After(20 * time.Second):
		t.Fatalf("sluice did not stop on SIGTERM: %s", s.Log.String())
	}
	if code := s.Cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("sluice exited %d after SIGTERM: %s", code, s.Log.String())
	}
}

// LogBuffer collects a process's output; safe for its two copiers.
type LogBuffer struct {
	Mu sync.Mutex
	B  strings.Builder
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	return l.B.Write(p)
}

func (l *LogBuffer) String() string {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	return l.B.String()
}

func KinesisClient(url string) *kinesis.Client { return KinesisClientAs(url, "AKIDTEST", "secret") }

// KinesisClientAs signs with the key id:secret.
func KinesisClientAs(url, id, secret string) *kinesis.Client {
	return kinesis.New(kinesis.Options{
		BaseEndpoint: aws.String(url),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, ""),
		Retryer:      webtest.Retryer(),
	})
}

func WaitStreamActive(t *testing.T, kc *kinesis.Client, name string) *kinesis.DescribeStreamOutput {
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

// GetRecords reads one page of a shard iterator, retrying while the
// shard's read limit (five reads a second, as AWS) throttles it.
func GetRecords(t *testing.T, kc *kinesis.Client, iterator *string) *kinesis.GetRecordsOutput {
	t.Helper()
	var out *kinesis.GetRecordsOutput
	WaitFor(t, 10*time.Second, "GetRecords within the shard's read limit", func() bool {
		var err error
		out, err = kc.GetRecords(context.Background(), &kinesis.GetRecordsInput{ShardIterator: iterator})
		var throttled *types.ProvisionedThroughputExceededException
		if err != nil && !errors.As(err, &throttled) {
			t.Fatal(err)
		}
		return err == nil
	})
	return out
}
