package leases_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/internal/wait"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/sluice-dev/sluice/leases"
	"github.com/sluice-dev/sluice/streams/embedded"
	"github.com/sluice-dev/sluice/streams/streamstest"
)

// rig is one JetStream (an embedded server, the external one named by
// SLUICE_TEST_NATS_URL, or an in-process cluster) and a bucket of its own
// that is deleted at the end, so tests never see each other's leases.
type rig struct {
	t       *testing.T
	mu      sync.Mutex
	tables  map[string]*leases.Table
	bucket  string
	conns   []*nats.Conn // to close to partition a node
	connect func(i int) *nats.Conn
	ttl     time.Duration
	hooks   []func(*leases.Config)
}

const testTTL = time.Second

// newRig returns a rig on an embedded server, or on the external server of
// SLUICE_TEST_NATS_URL (as streamstest does).
func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, bucket: bucketName(t), ttl: testTTL}
	if url := os.Getenv(streamstest.EnvNATSURL); url != "" {
		r.connect = func(int) *nats.Conn {
			nc, err := nats.Connect(url)
			if err != nil {
				t.Fatalf("connect %s: %v", url, err)
			}
			return nc
		}
	} else {
		srv, err := embedded.Start(embedded.Config{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Shutdown)
		r.connect = func(int) *nats.Conn {
			nc, err := srv.Connect(t.Name())
			if err != nil {
				t.Fatal(err)
			}
			return nc
		}
	}
	r.dropBucketAtCleanup()
	return r
}

func bucketName(t *testing.T) string {
	return fmt.Sprintf("test_%s_%d", strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()), time.Now().UnixNano()%1e9)
}

func (r *rig) dropBucketAtCleanup() {
	r.t.Cleanup(func() {
		nc := r.connect(0)
		defer nc.Close()
		js, _ := jetstream.New(nc)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = js.DeleteKeyValue(ctx, r.bucket)
	})
}

// js returns a JetStream on a new connection for node i, closed at cleanup.
func (r *rig) js(i int) jetstream.JetStream {
	nc := r.connect(i)
	r.t.Cleanup(nc.Close)
	r.mu.Lock()
	r.conns = append(r.conns, nc)
	r.mu.Unlock()
	js, err := jetstream.New(nc)
	if err != nil {
		r.t.Fatal(err)
	}
	return js
}

// open opens node name's Table on a connection of its own (the rig's i-th
// connection); Close at cleanup.
func (r *rig) open(i int, name string, hooks ...func(*leases.Config)) *leases.Table {
	r.t.Helper()
	cfg := leases.Config{Node: name, Bucket: r.bucket, TTL: r.ttl, Logger: slog.New(slog.DiscardHandler)}
	if testing.Verbose() && os.Getenv("LEASES_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	for _, h := range append(r.hooks, hooks...) {
		h(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tb, err := leases.Open(ctx, r.js(i), cfg)
	if err != nil {
		r.t.Errorf("Open %s: %v", name, err)
		return nil
	}
	r.t.Cleanup(func() { _ = tb.Close() })
	r.mu.Lock()
	if r.tables == nil {
		r.tables = map[string]*leases.Table{}
	}
	r.tables[name] = tb
	r.mu.Unlock()
	return tb
}

// tablesByName returns the Tables opened so far.
func (r *rig) tablesByName() map[string]*leases.Table {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.tables)
}

// newClusterRig starts a JetStream cluster of n servers on loopback
// (streamstest.StartCluster); node i connects to server i first, the
// others after it.
func newClusterRig(t *testing.T, n int) (*rig, *streamstest.Cluster) {
	t.Helper()
	cl := streamstest.StartCluster(t, n)
	r := &rig{t: t, bucket: bucketName(t), ttl: 2 * time.Second}
	r.connect = cl.Connect
	r.hooks = append(r.hooks, func(c *leases.Config) { c.Replicas = 3 })
	return r, cl
}

// eventually polls cond until it holds or d passes (wait.For).
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	wait.For(t, d, what, cond)
}

// closed reports whether ch is closed.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// runs checks that the work of a key runs on one node at a time: Start
// and Stop callbacks of every node's Assigner report to it.
type runs struct {
	t       testing.TB
	mu      sync.Mutex
	running map[string]string // key -> node
	tokens  map[string]uint64 // key -> last token started
}

func newRuns(t testing.TB) *runs {
	return &runs{t: t, running: map[string]string{}, tokens: map[string]uint64{}}
}

func (r *runs) config(node string) leases.AssignerConfig {
	return leases.AssignerConfig{
		Start: func(key string, l *leases.Lease) {
			r.mu.Lock()
			defer r.mu.Unlock()
			if other, ok := r.running[key]; ok {
				r.t.Errorf("%s starts %s while %s runs it", node, key, other)
			}
			if l.Token() <= r.tokens[key] {
				r.t.Errorf("%s starts %s with token %d, not above %d", node, key, l.Token(), r.tokens[key])
			}
			r.running[key], r.tokens[key] = node, l.Token()
		},
		Stop: func(key string) {
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.running[key] != node {
				r.t.Errorf("%s stops %s, run by %q", node, key, r.running[key])
			}
			delete(r.running, key)
		},
	}
}

// spread returns how many keys each node runs, and how many keys run.
func (r *runs) spread() (map[string]int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	per := map[string]int{}
	for _, n := range r.running {
		per[n]++
	}
	return per, len(r.running)
}
