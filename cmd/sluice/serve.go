package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/embedded"
	"github.com/sluice-dev/sluice/web"
)

// serve builds every component from cfg, runs until ctx is cancelled and
// shuts down in reverse order.
func serve(ctx context.Context, cfg config) error {
	log := newLogger(cfg)
	slog.SetDefault(log)

	nc, closeNATS, err := connectNATS(cfg, log)
	if err != nil {
		return err
	}
	defer closeNATS()

	octx, cancel := context.WithTimeout(ctx, 60*time.Second)
	core, err := streams.Open(octx, nc, streams.Config{
		Region:         cfg.Region,
		AccountID:      cfg.AccountID,
		Replicas:       cfg.Replicas,
		Limits:         streams.ThroughputLimits{Enabled: cfg.ThroughputLimits},
		MaxShards:      cfg.MaxShards,
		OnDemandShards: cfg.OnDemandShards,
		Logger:         log,
	})
	cancel()
	if err != nil {
		return err
	}
	defer core.Close()

	srv := web.New(web.Config{
		Addr:            cfg.HTTPAddr,
		PublicURL:       cfg.PublicURL,
		Logger:          log,
		ShutdownTimeout: cfg.ShutdownTimeout,
	}, core)
	err = srv.Serve(ctx, func(a net.Addr) {
		log.Info("sluice serving", "version", version, "http", a.String(), "public_url", cfg.PublicURL,
			"nats", natsMode(cfg), "durability", cfg.Durability, "data_dir", cfg.DataDir)
	})
	log.Info("sluice stopping")
	return err
}

// connectNATS starts the embedded JetStream (no --nats-url) or connects to
// the external servers. The returned func closes what was opened.
func connectNATS(cfg config, log *slog.Logger) (*nats.Conn, func(), error) {
	if cfg.NATSURL != "" {
		nc, err := nats.Connect(cfg.NATSURL,
			nats.Name("sluice"),
			nats.MaxReconnects(-1),
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("NATS disconnected", "err", err) }),
			nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("NATS reconnected", "url", nc.ConnectedUrlRedacted()) }),
		)
		if err != nil {
			return nil, nil, fmt.Errorf("connecting to NATS %s: %w", cfg.NATSURL, err)
		}
		return nc, func() { _ = nc.Drain() }, nil
	}
	srv, err := embedded.Start(embedded.Config{
		Dir:        filepath.Join(cfg.DataDir, "jetstream"),
		SyncAlways: cfg.Durability == durabilityFsync,
	})
	if err != nil {
		return nil, nil, err
	}
	nc, err := srv.Connect("sluice")
	if err != nil {
		srv.Shutdown()
		return nil, nil, err
	}
	return nc, func() {
		nc.Close()
		srv.Shutdown()
	}, nil
}

func natsMode(cfg config) string {
	if cfg.NATSURL == "" {
		return "embedded"
	}
	return "external"
}

func newLogger(cfg config) *slog.Logger {
	level, _ := parseLevel(cfg.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return 0, fmt.Errorf("unknown level %q (debug, info, warn, error)", s)
	}
	return l, nil
}
