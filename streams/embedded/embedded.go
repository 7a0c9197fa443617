// Package embedded runs a NATS server with JetStream inside the Sluice
// process: no listening socket, file store under a directory, clients
// connected in-process. It is what Sluice uses when no external NATS URL is
// configured.
package embedded

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Config configures the embedded server.
type Config struct {
	// Dir holds the JetStream file store. Required.
	Dir string
	// SyncAlways fsyncs every write before it is acknowledged: acknowledged
	// records survive power loss, at a large cost in throughput. When false
	// (default) a write is in the operating system's page cache when
	// acknowledged: it survives a crash or kill of the process, and the disk
	// is synced every SyncInterval.
	SyncAlways bool
	// SyncInterval is the periodic fsync interval when SyncAlways is false.
	// Default 2 minutes (the NATS default).
	SyncInterval time.Duration
	// MaxPayload bounds one message. Default 12 MiB (records up to 10 MiB
	// plus envelope).
	MaxPayload int32
	// Logging sends the NATS server's own log to stderr.
	Logging bool
}

// Server is a running embedded NATS server.
type Server struct {
	ns *server.Server
}

// Start starts the server and waits until it accepts connections.
func Start(cfg Config) (*Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("embedded: Dir is required")
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	if cfg.MaxPayload == 0 {
		cfg.MaxPayload = 12 << 20
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	opts := &server.Options{
		ServerName:   "sluice-embedded",
		DontListen:   true,
		JetStream:    true,
		StoreDir:     dir,
		MaxPayload:   cfg.MaxPayload,
		SyncAlways:   cfg.SyncAlways,
		SyncInterval: cfg.SyncInterval,
		NoSigs:       true,
		NoLog:        !cfg.Logging,
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	if cfg.Logging {
		ns.ConfigureLogger()
	}
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("embedded: NATS server not ready after 30s")
	}
	return &Server{ns: ns}, nil
}

// Connect returns a new in-process client connection. The caller closes it.
func (s *Server) Connect(name string) (*nats.Conn, error) {
	return nats.Connect("", nats.InProcessServer(s.ns), nats.Name(name), nats.MaxReconnects(-1))
}

// Shutdown stops the server and waits for it to finish.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}
