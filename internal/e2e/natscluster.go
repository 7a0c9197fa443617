package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
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
// JetStream cluster (n = 1: one server, not clustered) and waits until
// each accepts clients. The binary comes
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
	// Each server listens on ports the kernel picks as it binds, found in
	// its ports file (ports picked free beforehand can be taken by another
	// test process before the server binds them). The first server is the
	// seed the others route to (gossip completes the mesh); JetStream wants
	// configured routes, so the seed's route is to itself, on a port picked
	// free beforehand: when another process took it, the seed exits and
	// starts again on another one.
	c := &NATSCluster{t: t}
	dir := t.TempDir()
	seed := ""
	for i := range n {
		for attempt := 1; ; attempt++ {
			sd := filepath.Join(dir, fmt.Sprintf("n%d-%d", i, attempt))
			if err := os.MkdirAll(sd, 0o755); err != nil {
				t.Fatal(err)
			}
			listen, routes := "127.0.0.1:-1", seed
			if i == 0 {
				listen = fmt.Sprintf("127.0.0.1:%d", FreePort(t))
				routes = "nats://" + listen
			}
			conf := fmt.Sprintf("listen: \"127.0.0.1:-1\"\nserver_name: \"nats-%d\"\nports_file_dir: %q\n"+
				"jetstream { store_dir: %q }\n", i, sd, filepath.Join(sd, "js"))
			if n > 1 { // one server stands alone: JetStream without a cluster
				conf += fmt.Sprintf("cluster { name: \"sluice-e2e\", listen: %q, routes: [%q] }\n", listen, routes)
			}
			confFile := filepath.Join(sd, "nats.conf")
			if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "-c", confFile)
			log := &LogBuffer{}
			cmd.Stdout, cmd.Stderr = log, log
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			t.Cleanup(func() {
				cmd.Process.Signal(syscall.SIGKILL)
				<-done
			})
			ports, err := readPorts(sd, n > 1, done)
			if err != nil {
				if i > 0 || attempt == 3 {
					t.Fatalf("nats-server %d: %v\n%s", i, err, log.String())
				}
				t.Logf("nats-server %d did not start (attempt %d): %v; trying another route port", i, attempt, err)
				continue
			}
			if i == 0 {
				seed = routes
			}
			c.procs, c.done = append(c.procs, cmd), append(c.done, done)
			c.URLs = append(c.URLs, ports.Nats[0])
			break
		}
	}
	return c
}

// readPorts waits for the ports file nats-server writes into dir once it
// listens, or for the process to exit (done).
func readPorts(dir string, clustered bool, done <-chan struct{}) (natsPorts, error) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.ports"))
		if len(files) == 1 {
			var p natsPorts
			data, err := os.ReadFile(files[0])
			if err == nil && json.Unmarshal(data, &p) == nil && len(p.Nats) > 0 && (len(p.Cluster) > 0 || !clustered) {
				return p, nil
			}
		}
		select {
		case <-done:
			return natsPorts{}, errors.New("exited before it listened")
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return natsPorts{}, errors.New("no ports file after 20 s")
		}
	}
}

// natsPorts is the part of nats-server's ports file read here.
type natsPorts struct {
	Nats    []string `json:"nats"`
	Cluster []string `json:"cluster"`
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
