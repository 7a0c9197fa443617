package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// NATSCluster is a cluster of real nats-server processes (JetStream, file
// store in the test's temporary directory) on free loopback ports.
type NATSCluster struct {
	t     *testing.T
	procs []*exec.Cmd
	done  []chan struct{}
	// URLs are the client URLs, one per server.
	URLs []string
}

// StartNATSCluster starts n nats-server processes routed into one
// JetStream cluster and waits until each accepts clients. The binary comes
// from PATH (scripts/test.sh installs the pinned version); under CI a
// missing one fails the test.
func StartNATSCluster(t *testing.T, n int) *NATSCluster {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("nats-server is required (scripts/test.sh installs it): %v", err)
		}
		t.Skipf("nats-server not installed (scripts/test.sh installs it)")
	}
	client, route := make([]int, n), make([]int, n)
	var routes []string
	for i := range n {
		client[i], route[i] = FreePort(t), FreePort(t)
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", route[i]))
	}
	c := &NATSCluster{t: t}
	dir := t.TempDir()
	for i := range n {
		args := []string{"-a", "127.0.0.1", "-p", fmt.Sprint(client[i]), "-js", "-sd", filepath.Join(dir, fmt.Sprintf("n%d", i)),
			"-n", fmt.Sprintf("nats-%d", i), "--cluster_name", "sluice-e2e", "--cluster", fmt.Sprintf("nats://127.0.0.1:%d", route[i]),
			"--routes", strings.Join(routes, ",")}
		cmd := exec.Command(bin, args...)
		log := &LogBuffer{}
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		c.procs, c.done = append(c.procs, cmd), append(c.done, done)
		c.URLs = append(c.URLs, fmt.Sprintf("nats://127.0.0.1:%d", client[i]))
		t.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
		})
	}
	for _, u := range c.URLs {
		WaitFor(t, 20*time.Second, "nats-server "+u+" accepting clients", func() bool {
			conn, err := net.DialTimeout("tcp", strings.TrimPrefix(u, "nats://"), time.Second)
			if err == nil {
				conn.Close()
			}
			return err == nil
		})
	}
	return c
}

// Kill stops server i with SIGKILL and waits for it to exit.
func (c *NATSCluster) Kill(i int) {
	c.procs[i].Process.Signal(syscall.SIGKILL)
	<-c.done[i]
}

// URL is every server's URL, comma separated (for --nats-url).
func (c *NATSCluster) URL() string { return strings.Join(c.URLs, ",") }

// Node is one sluice process of a cluster.
type Node struct {
	*Server
	Name string
}

// StartNodes starts n sluice processes (node1…) at the same moment on one
// NATS cluster (R3) and one versitygw bucket, and waits until all are
// ready, failing if that takes longer than within. args are added to
// every node's flags.
func StartNodes(t *testing.T, nats *NATSCluster, n int, within time.Duration, args ...string) []Node {
	t.Helper()
	s3srv, bucket := StartS3(t)
	storage := fmt.Sprintf("s3://%s/archive?endpoint=%s&region=us-east-1&path-style=true", bucket, s3srv.Endpoint)
	env := []string{"AWS_ACCESS_KEY_ID=" + s3srv.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3srv.SecretKey, "AWS_REGION=us-east-1"}
	nodes := make([]Node, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	began := time.Now()
	for i := range n {
		name := fmt.Sprintf("node%d", i+1)
		wg.Go(func() {
			srv, err := TryStartServer(t, t.TempDir(), env, append([]string{"--nats-url", nats.URL(), "--replicas", "3",
				"--storage", storage, "--node-name", name}, args...))
			nodes[i], errs[i] = Node{Server: srv, Name: name}, err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node%d: %v", i+1, err)
		}
	}
	if took := time.Since(began); took > within {
		t.Fatalf("the %d nodes took %v to be ready (want %v)", n, took, within)
	} else {
		t.Logf("%d nodes started together, all ready in %v", n, took.Round(time.Millisecond))
	}
	return nodes
}
