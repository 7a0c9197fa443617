package rtsp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// requireTool returns the path of an external program. Missing, it fails
// the test when CI is set (the CI command installs it) and skips it
// otherwise.
func requireTool(t *testing.T, path string) string {
	t.Helper()
	p, err := exec.LookPath(path)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is required in CI (see the package's apt list): %v", path, err)
	}
	t.Skipf("%s not installed: %v", path, err)
	return ""
}

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testLogger logs at debug level to the test log (when -v) and to a
// buffer the test can search.
func testLogger(t *testing.T) (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	var w io.Writer = buf
	if testing.Verbose() {
		w = io.MultiWriter(buf, tWriter{t})
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// startServer starts a Server on free loopback ports.
func startServer(t *testing.T, cfg ServerConfig, rec Recorder) *Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.UDPRTPAddr == "" && !cfg.DisableUDP {
		cfg.UDPRTPAddr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger, _ = testLogger(t)
	}
	s := NewServer(cfg, rec)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// publishURL is the server's URL for a stream.
func publishURL(s *Server, stream string) string {
	return fmt.Sprintf("rtsp://%s/%s", s.Addr().String(), stream)
}

// ffmpegResult is the outcome of an ffmpeg run.
type ffmpegResult struct {
	err    error
	stderr string
}

// runFFmpeg runs ffmpeg with args, killed after timeout.
func runFFmpeg(t *testing.T, timeout time.Duration, args ...string) ffmpegResult {
	t.Helper()
	ffmpeg := requireTool(t, "/usr/bin/ffmpeg")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, ffmpeg, append([]string{"-hide_banner", "-nostdin", "-loglevel", "error"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	return ffmpegResult{err: err, stderr: stderr.String()}
}

// lavfiVideo returns ffmpeg input args for a test pattern.
func lavfiVideo(fps int) []string {
	return []string{"-re", "-f", "lavfi", "-i", fmt.Sprintf("testsrc=size=320x240:rate=%d", fps)}
}

// lavfiAudio returns ffmpeg input args for a sine wave.
func lavfiAudio(rate int) []string {
	return []string{"-re", "-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=%d", rate)}
}

// join concatenates argument lists.
func join(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// freePort returns a TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
