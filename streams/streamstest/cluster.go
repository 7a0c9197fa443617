package streamstest

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/internal/wait"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Cluster is an in-process JetStream cluster on loopback: every server
// listens for clients and routes on free 127.0.0.1 ports and keeps its file
// store in a temporary directory of the test.
type Cluster struct {
	t       testing.TB
	mu      sync.Mutex
	servers []*server.Server
	urls    []string
}

// StartCluster starts n routed JetStream servers (cluster "sluice-test"),
// waits until they accept clients and JetStream has a meta leader, and shuts
// them down at cleanup.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	// Client ports are picked by the kernel as the servers bind them. The
	// first server is the seed the others route to (gossip completes the
	// mesh); JetStream wants configured routes, so the seed's route is to
	// itself, on a port picked free beforehand that another process can
	// take before the seed binds it (a flake seen in CI): then the seed
	// starts again on another port.
	dir := t.TempDir() // removed after the servers stopped (cleanups run last first)
	cl := &Cluster{t: t}
	t.Cleanup(cl.shutdownAll)
	var seed []*url.URL
	for i := range n {
		for attempt := 1; ; attempt++ {
			opts := &server.Options{
				ServerName: fmt.Sprintf("s%d", i+1),
				Host:       "127.0.0.1",
				Port:       server.RANDOM_PORT,
				JetStream:  true,
				StoreDir:   filepath.Join(dir, fmt.Sprintf("s%d", i+1)),
				MaxPayload: 12 << 20,
				NoSigs:     true,
				NoLog:      true,
				Cluster: server.ClusterOpts{
					Name: "sluice-test",
					Host: "127.0.0.1",
					Port: server.RANDOM_PORT,
				},
				Routes: seed,
			}
			if i == 0 {
				opts.Cluster.Port = freePort(t)
				opts.Routes = []*url.URL{{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", opts.Cluster.Port)}}
			}
			s, err := server.NewServer(opts)
			if err != nil {
				t.Fatalf("cluster server %d: %v", i+1, err)
			}
			s.Start()
			if s.ReadyForConnections(10 * time.Second) {
				if i == 0 {
					seed = opts.Routes
				}
				cl.servers = append(cl.servers, s)
				cl.urls = append(cl.urls, s.ClientURL())
				break
			}
			s.Shutdown()
			s.WaitForShutdown()
			if i > 0 || attempt == 3 {
				t.Fatalf("cluster server %d not ready (attempt %d)", i+1, attempt)
			}
		}
	}
	Eventually(t, 30*time.Second, func() error {
		for i, s := range cl.servers {
			if s.NumRoutes() < n-1 {
				return fmt.Errorf("server %d has %d routes", i+1, s.NumRoutes())
			}
		}
		return nil
	})
	return cl
}

// Connect returns a client connection to server i (0-based) that fails
// over to the others when i goes away; closed at cleanup.
func (cl *Cluster) Connect(i int) *nats.Conn {
	cl.t.Helper()
	urls := append([]string{cl.urls[i]}, cl.urls[:i]...)
	urls = append(urls, cl.urls[i+1:]...)
	nc, err := nats.Connect(strings.Join(urls, ","), nats.DontRandomize(), nats.MaxReconnects(-1),
		nats.ReconnectWait(50*time.Millisecond), nats.Name(fmt.Sprintf("test-%d", i)))
	if err != nil {
		cl.t.Fatalf("connect to cluster server %d: %v", i+1, err)
	}
	cl.t.Cleanup(nc.Close)
	return nc
}

// Shutdown stops server i and waits for it.
func (cl *Cluster) Shutdown(i int) {
	cl.mu.Lock()
	s := cl.servers[i]
	cl.mu.Unlock()
	s.Shutdown()
	s.WaitForShutdown()
}

func (cl *Cluster) shutdownAll() {
	for i := range cl.servers {
		cl.Shutdown(i)
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Eventually polls check until it returns nil, failing the test with its
// last error once timeout has passed (wait.Until).
func Eventually(t testing.TB, timeout time.Duration, check func() error) {
	t.Helper()
	wait.Until(t, timeout, check)
}
