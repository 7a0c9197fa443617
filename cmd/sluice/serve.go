package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sluice-dev/sluice/edge"
	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/ingest"
	"github.com/sluice-dev/sluice/ingest/relay"
	"github.com/sluice-dev/sluice/ingest/rtsp"
	ingestwebrtc "github.com/sluice-dev/sluice/ingest/webrtc"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/spool"
	"github.com/sluice-dev/sluice/storage/fs"
	storageopen "github.com/sluice-dev/sluice/storage/open"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/embedded"
	"github.com/sluice-dev/sluice/video"
	"github.com/sluice-dev/sluice/web"
	"github.com/sluice-dev/sluice/web/auth"
)

// serve builds every component from cfg, runs until ctx is cancelled and
// shuts down in reverse order.
func serve(ctx context.Context, cfg config) error {
	log := newLogger(cfg)
	slog.SetDefault(log)
	if err := narrowDataDir(cfg.DataDir, fs.Access(cfg.ArchiveMode), log); err != nil {
		return fmt.Errorf("--data-dir: %w", err)
	}

	nc, closeNATS, err := connectNATS(cfg, log)
	if err != nil {
		return err
	}
	defer closeNATS()

	base := streams.Config{
		Region:    cfg.Region,
		AccountID: cfg.AccountID,
		Replicas:  cfg.Replicas,
		Logger:    log,
	}
	dataCfg := base
	dataCfg.Limits = streams.ThroughputLimits{Enabled: cfg.ThroughputLimits}
	dataCfg.MaxShards = cfg.MaxShards
	dataCfg.OnDemandShards = cfg.OnDemandShards
	dataCfg.OnDemandWindow = cfg.OnDemandWindow
	octx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	data, err := streams.Open(octx, nc, dataCfg)
	if err != nil {
		return err
	}
	defer data.Close()
	videoCore, err := streams.Open(octx, nc, fragments.CoreConfig(base))
	if err != nil {
		return err
	}
	defer videoCore.Close()
	library := fragments.NewLibrary(videoCore, fragments.LibraryConfig{Region: cfg.Region, AccountID: cfg.AccountID})

	archive, err := storageopen.OpenWith(octx, cfg.Storage, filepath.Join(cfg.DataDir, "archive"), fs.Access(cfg.ArchiveMode))
	if err != nil {
		return fmt.Errorf("--storage: %w", err)
	}
	defer archive.Close()

	// Leases: which node records a stream and pulls a camera. Closed
	// last (deferred first): after the recorder and the puller stopped,
	// so that every lease is released once its work is done.
	table, err := openLeases(octx, nc, cfg, log)
	if err != nil {
		return fmt.Errorf("leases: %w", err)
	}
	defer func() { _ = table.Close() }()
	var lostLeases atomic.Int64
	ctrl, err := startControllers(table, data)
	if err != nil {
		return fmt.Errorf("controllers: %w", err)
	}
	defer ctrl.close()

	hub := fragments.NewHub(0)
	var rel *relay.Relay // live units for WHEP viewers; nil (nothing kept) without WebRTC
	if cfg.WebRTCAddr != "" {
		rel = relay.NewWithConfig(relay.Config{CacheBytes: cfg.LiveCacheMaxBytes})
	}
	// Live edges across nodes: viewers here of streams recorded elsewhere
	// read a mirror of the recorder's hub and relay (package edge).
	liveEdge, err := edge.New(nc, hub, edge.Config{Relay: rel, Logger: log})
	if err != nil {
		return err
	}
	defer liveEdge.Close()
	// The spool: fragments wait on the local disk for the bucket (and are
	// played back from there meanwhile).
	sp, err := spool.Open(spool.Config{Dir: filepath.Join(cfg.DataDir, "spool"), MaxBytes: cfg.SpoolMaxBytes, Logger: log})
	if err != nil {
		return err
	}
	// The location map: which node's spool holds each fragment not yet
	// uploaded, and which were dropped from a full spool.
	locKV, err := videoCore.KeyValue(octx, "spool_locations", "Sluice: where fragments not yet in the bucket are")
	if err != nil {
		return err
	}
	locations, err := spool.OpenLocations(octx, spool.LocationsConfig{KV: locKV, Node: cfg.NodeName, Logger: log})
	if err != nil {
		return err
	}
	defer locations.Close()
	recorder := ingest.NewRecorder(library, archive, hub, ingest.RecorderConfig{
		Spool:                sp,
		Locations:            locations,
		ObjectDuration:       cfg.ObjectDuration,
		Relay:                rel,
		AutoCreate:           cfg.AutoCreate,
		CreateRetentionHours: cfg.AutoCreateRetention,
		TargetDuration:       cfg.FragmentDuration,
		MaxDuration:          cfg.FragmentMaxDuration,
		PartDuration:         cfg.PartDuration,
		Logger:               log,
		Owner:                recordOwner{t: table, lost: &lostLeases},
	})
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		recorder.Close(sctx)
	}()

	sweepCtx, stopSweep := context.WithCancel(context.Background())
	defer stopSweep()
	sweeper := video.NewSweeper(library, archive, video.SweeperConfig{Interval: cfg.SweepInterval, Logger: log})
	go sweeper.Run(sweepCtx)

	tokenSecret, err := library.Secret(octx, "auth-tokens")
	if err != nil {
		return err
	}
	verifier := auth.New(auth.Config{Keys: cfg.keys, Region: cfg.Region, Logger: log,
		TokenSecret: tokenSecret, SecureCookies: cfg.certs != nil || strings.HasPrefix(cfg.PublicURL, "https://")}) // behind a TLS proxy too
	reloadOnHangup(ctx, &cfg, verifier, log)
	if verifier.Open() {
		log.Warn("no access keys configured: every client is let in; listeners are on loopback only unless --insecure-no-auth", "moved_to_loopback", cfg.openNotes)
	}

	rtspSrv := rtsp.NewServer(rtsp.ServerConfig{
		Authenticate: auth.RTSPAuth(verifier),
		Addr:         cfg.RTSPAddr,
		UDPRTPAddr:   cfg.RTSPUDPRTPAddr,
		UDPRTCPAddr:  cfg.RTSPUDPRTCPAddr,
		DisableUDP:   !cfg.RTSPUDP,
		Logger:       log,
	}, recorder)
	if err := rtspSrv.Start(); err != nil {
		return fmt.Errorf("RTSP: %w", err)
	}
	defer rtspSrv.Close() // before the recorder closes: sessions end first
	rtspsAddr := ""
	if cfg.certs != nil && cfg.RTSPSAddr != "" {
		rtspsSrv := rtsp.NewServer(rtsp.ServerConfig{
			Authenticate: auth.RTSPAuth(verifier),
			Addr:         cfg.RTSPSAddr,
			TLS:          cfg.tlsConfig(),
			Logger:       log,
		}, recorder)
		if err := rtspsSrv.Start(); err != nil {
			return fmt.Errorf("RTSPS: %w", err)
		}
		defer rtspsSrv.Close()
		rtspsAddr = rtspsSrv.Addr().String()
	}

	outbound := cfg.outboundNets // nil: any address, for a server with keys (an admin adding a camera is trusted)
	if outbound == nil && verifier.Open() {
		outbound = rtsp.LoopbackNets() // any web page could add a camera: no SSRF beyond this machine
	}
	puller := rtsp.NewPuller(rtsp.PullerConfig{Logger: log, OutboundAllow: outbound}, recorder)
	defer puller.Close() // before the recorder closes
	cams := &cameras{puller: puller, library: library, leases: table, retention: cfg.AutoCreateRetention, log: log, lost: &lostLeases}
	var flagCams []rtsp.Camera
	for _, v := range cfg.Cameras {
		cam, _ := parseCameraFlag(v) // checked by validate
		flagCams = append(flagCams, cam)
	}
	if err := cams.start(octx, flagCams); err != nil {
		return err
	}
	defer cams.close() // first: hands the cameras over

	var webrtcSrv *ingestwebrtc.Server
	if cfg.WebRTCAddr != "" {
		webrtcSrv = ingestwebrtc.NewServer(ingestwebrtc.Config{
			Addr:             cfg.WebRTCAddr,
			TCPAddr:          cfg.WebRTCTCPAddr,
			PublicIPs:        cfg.WebRTCPublicIPs,
			STUNServers:      cfg.WebRTCSTUN,
			TURNServers:      cfg.WebRTCTURN,
			KeyframeInterval: cfg.FragmentDuration,
			Logger:           log,
		}, recorder, rel, library)
		if err := webrtcSrv.Start(); err != nil {
			return fmt.Errorf("WebRTC: %w", err)
		}
		defer webrtcSrv.Close() // before the recorder closes: sessions end first
	}

	signKey, err := library.Secret(octx, "playback-sessions")
	if err != nil {
		return err
	}
	// Playback reads what waits in a spool from it: this node's, or, over
	// NATS, the recording node's.
	spoolSub, err := sp.Serve(nc, "sluice.spool.get")
	if err != nil {
		return err
	}
	defer spoolSub.Unsubscribe()
	source := playback.NewSource(library, sp.OverRemote(archive, spool.RemoteConfig{Conn: nc, Subject: "sluice.spool.get", Locations: locations}), hub, playback.SourceConfig{Locations: locations})
	signer := playback.NewSigner(signKey, nil)

	// Video streams' lifecycle: a deletion stops the camera, waits for the
	// recording node, removes the registry entry and the media.
	lifecycle, err := video.New(video.Config{Library: library, Bucket: archive, Cameras: cams,
		Recorders: recordOwner{t: table, lost: &lostLeases}, Logger: log})
	if err != nil {
		return err
	}
	srv := web.New(web.Config{
		Addr:            cfg.HTTPAddr,
		PublicURL:       cfg.PublicURL,
		Logger:          log,
		ShutdownTimeout: cfg.ShutdownTimeout,
		Pprof:           cfg.Pprof,
		Auth:            verifier,
		OpenAnyIP:       cfg.InsecureNoAuth,
		CORSOrigins:     cfg.CORSOrigins,
		TLS:             cfg.tlsConfig(),
	}, web.Deps{
		Streams: data, Video: library, Archive: archive, Lifecycle: lifecycle,
		Playback: source, Signer: signer,
		Cameras: cams, Recordings: recorder,
		WebRTC:  webrtcSrv,
		Ready:   []func(context.Context) error{data.Ready, videoCore.Ready},
		Metrics: append(leaseMetrics(table, &lostLeases), append(archiveMetrics(recorder), liveMemoryMetrics(hub, rel)...)...),
		Cluster: clusterView{t: table},
	})
	err = srv.Serve(ctx, func(a net.Addr) {
		log.Info("sluice serving", "version", version, "http", a.String(), "tls", cfg.certs != nil, "rtsp", rtspSrv.Addr().String(), "rtsps", rtspsAddr,
			"public_url", cfg.PublicURL, "nats", natsMode(cfg), "node", cfg.NodeName, "durability", cfg.Durability,
			"data_dir", cfg.DataDir, "storage", storageName(cfg))
	})
	log.Info("sluice stopping")
	return err
}

func storageName(cfg config) string {
	if cfg.Storage == "" {
		return "file://" + filepath.Join(cfg.DataDir, "archive")
	}
	if i := strings.IndexByte(cfg.Storage, '?'); i >= 0 {
		return cfg.Storage[:i] // query may carry endpoints; never credentials, but keep logs short
	}
	return cfg.Storage
}

// connectNATS starts the embedded JetStream (no --nats-url) or connects to
// the external servers. The returned func closes what was opened.
func connectNATS(cfg config, log *slog.Logger) (*nats.Conn, func(), error) {
	if cfg.NATSURL != "" {
		opts := []nats.Option{
			nats.Name("sluice " + cfg.NodeName),
			nats.MaxReconnects(-1),
			// Nodes may start before the NATS servers: the connection
			// keeps trying, and the stream core waits for JetStream.
			nats.RetryOnFailedConnect(true),
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("NATS disconnected", "err", err) }),
			nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("NATS connected", "url", nc.ConnectedUrlRedacted()) }),
		}
		if cfg.NATSCreds != "" {
			opts = append(opts, nats.UserCredentials(cfg.NATSCreds))
		}
		if cfg.NATSTLSCA != "" {
			opts = append(opts, nats.RootCAs(cfg.NATSTLSCA))
		}
		if cfg.NATSCert != "" {
			opts = append(opts, nats.ClientCert(cfg.NATSCert, cfg.NATSKey))
		}
		nc, err := nats.Connect(cfg.NATSURL, opts...)
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

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return 0, fmt.Errorf("unknown level %q (debug, info, warn, error)", s)
	}
	return l, nil
}

// narrowDataDir creates the data directory with the directory mode of
// access, or takes from an existing one the permission bits beyond it
// (it holds the stream core and, by default, the archive).
func narrowDataDir(dir string, access fs.Access, log *slog.Logger) error {
	_, mode, err := access.Modes()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, mode); err != nil {
		return err
	}
	info, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if have := info.Mode().Perm(); have&^mode != 0 {
		if err := os.Chmod(dir, have&mode); err != nil {
			return err
		}
		log.Info("data directory made private", "dir", dir, "was", fmt.Sprintf("%#o", have), "now", fmt.Sprintf("%#o", have&mode))
	}
	return nil
}
