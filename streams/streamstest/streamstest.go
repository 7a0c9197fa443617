// Package streamstest starts a stream core for tests: on an embedded NATS
// server in a temporary directory by default, or on the external NATS server
// named by the environment variable SLUICE_TEST_NATS_URL.
package streamstest

import (
	"context"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/embedded"
)

// EnvNATSURL names an external NATS server (with JetStream) to test against.
const EnvNATSURL = "SLUICE_TEST_NATS_URL"

// Open starts a Core for the test and closes it (and its server) at cleanup.
// cfg may set test hooks; Logger defaults to discarding.
func Open(t testing.TB, cfg streams.Config) *streams.Core {
	t.Helper()
	nc := Connect(t)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := streams.Open(ctx, nc, cfg)
	if err != nil {
		t.Fatalf("streams.Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Connect returns a NATS connection to a fresh embedded server (or to the
// external one of SLUICE_TEST_NATS_URL), closed at cleanup.
func Connect(t testing.TB) *nats.Conn {
	t.Helper()
	if url := os.Getenv(EnvNATSURL); url != "" {
		nc, err := nats.Connect(url)
		if err != nil {
			t.Fatalf("connect %s: %v", url, err)
		}
		t.Cleanup(nc.Close)
		wipe(t, nc)
		return nc
	}
	srv, err := embedded.Start(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("embedded: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := srv.Connect("test")
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// shardStream matches the JetStream streams of shards: <NS>_<id>_<index>.
var shardStream = regexp.MustCompile(`^[A-Z0-9]+_[0-9a-f]{12}_[0-9]+$`)

// wipe removes every Sluice stream and the metadata and claim buckets from an external
// server, so that each test starts from nothing (tests using it must not
// run in parallel).
func wipe(t testing.TB, nc *nats.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	names := js.StreamNames(ctx)
	var drop []string
	for n := range names.Name() {
		if shardStream.MatchString(n) || strings.HasPrefix(n, "KV_sluice_meta") || strings.HasPrefix(n, "KV_sluice_claims") {
			drop = append(drop, n)
		}
	}
	if err := names.Err(); err != nil {
		t.Fatalf("listing streams on %s: %v", nc.ConnectedUrlRedacted(), err)
	}
	for _, n := range drop {
		if err := js.DeleteStream(ctx, n); err != nil {
			t.Fatalf("wiping %s: %v", n, err)
		}
	}
}
