// Package s3test runs a real, signature-checking S3 server for tests: the
// one named by SLUICE_TEST_S3_ENDPOINT (with _ACCESS_KEY and _SECRET_KEY),
// or else a versitygw (posix backend) started on a free loopback port.
package s3test

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"go/build"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Environment variables naming an S3 server to test against.
const (
	EnvEndpoint  = "SLUICE_TEST_S3_ENDPOINT"
	EnvAccessKey = "SLUICE_TEST_S3_ACCESS_KEY"
	EnvSecretKey = "SLUICE_TEST_S3_SECRET_KEY"
	envBinary    = "SLUICE_TEST_VERSITYGW" // path of the versitygw binary, optional
)

// InstallHint says how to get an S3 server for the tests.
const InstallHint = "install versitygw with: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0 " +
	"(or run scripts/versitygw.sh install), or point " + EnvEndpoint + ", " + EnvAccessKey +
	" and " + EnvSecretKey + " at an S3 server"

// Server is where the tests send requests.
type Server struct {
	Endpoint, AccessKey, SecretKey string
}

// FromEnv returns the server the environment names, if any.
func FromEnv() (Server, bool) {
	s := Server{Endpoint: os.Getenv(EnvEndpoint), AccessKey: os.Getenv(EnvAccessKey), SecretKey: os.Getenv(EnvSecretKey)}
	return s, s.Endpoint != ""
}

// Gateway is a versitygw process started for the tests.
type Gateway struct {
	Server
	bin, port string
	cmd       *exec.Cmd
	dir       string
	done      chan error // receives cmd.Wait's result
	running   bool
}

// FindVersitygw returns the versitygw binary: $SLUICE_TEST_VERSITYGW, on
// PATH, or in $(go env GOPATH)/bin.
func FindVersitygw() (string, error) {
	if p := os.Getenv(envBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s: %w", envBinary, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	for _, dir := range filepath.SplitList(build.Default.GOPATH) {
		p := filepath.Join(dir, "bin", "versitygw")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("versitygw not found on PATH nor in $(go env GOPATH)/bin")
}

// StartGateway starts versitygw on a free loopback port with a new temporary
// posix root and random root credentials, and waits until it answers.
func StartGateway(bin string) (*Gateway, error) {
	var lastErr error
	for range 3 { // the free port may be taken between probe and bind
		g, err := tryStartGateway(bin)
		if err == nil {
			return g, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func tryStartGateway(bin string) (*Gateway, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "sluice-versitygw-")
	if err != nil {
		return nil, err
	}
	g := &Gateway{
		Server: Server{
			Endpoint:  "http://" + net.JoinHostPort("127.0.0.1", port),
			AccessKey: "sluice" + RandomHex(6),
			SecretKey: RandomHex(20),
		},
		bin: bin, port: port, dir: dir,
	}
	if err := g.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return g, nil
}

// start runs the gateway process and waits until it answers.
func (g *Gateway) start() error {
	g.done = make(chan error, 1)
	g.cmd = exec.Command(g.bin,
		"--port", net.JoinHostPort("127.0.0.1", g.port),
		"--access", g.AccessKey, "--secret", g.SecretKey,
		"--region", "us-east-1", "--quiet",
		"posix", g.dir)
	log, err := os.Create(filepath.Join(os.TempDir(), "sluice-versitygw-"+g.port+".log"))
	if err != nil {
		return err
	}
	defer log.Close()
	g.cmd.Stdout, g.cmd.Stderr = log, log
	if err := g.cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", g.bin, err)
	}
	g.running = true
	go func() { g.done <- g.cmd.Wait() }()
	if err := g.waitReady(15 * time.Second); err != nil {
		g.Kill()
		return fmt.Errorf("versitygw on port %s (log %s): %w", g.port, log.Name(), err)
	}
	os.Remove(log.Name())
	return nil
}

// Kill stops the gateway with SIGKILL, keeping its root and port, as an
// outage would: Restart brings the same bucket back.
func (g *Gateway) Kill() {
	if g.running {
		g.cmd.Process.Kill()
		<-g.done
		g.running = false
	}
}

// Restart starts a killed gateway again, on the same port and root.
func (g *Gateway) Restart() error { return g.start() }

// waitReady polls until the gateway answers HTTP (any status: unsigned
// requests get 403) or exits.
func (g *Gateway) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-g.done:
			g.done <- err
			return fmt.Errorf("exited: %v", err)
		default:
		}
		if resp, err := client.Get(g.Endpoint + "/"); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not answering after %v", limit)
}

// Stop terminates the gateway (SIGTERM, then SIGKILL after 5 s) and removes
// its directory.
func (g *Gateway) Stop() {
	if g.running {
		g.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-g.done:
		case <-time.After(5 * time.Second):
			g.cmd.Process.Kill()
			<-g.done
		}
		g.running = false
	}
	os.RemoveAll(g.dir)
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

// RandomHex returns n random bytes in hex.
func RandomHex(n int) string {
	p := make([]byte, n)
	rand.Read(p)
	return hex.EncodeToString(p)
}
