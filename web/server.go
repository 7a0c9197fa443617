package web

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sluice-dev/sluice/fragments"
	ingestwebrtc "github.com/sluice-dev/sluice/ingest/webrtc"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/video"
	"github.com/sluice-dev/sluice/web/api"
	"github.com/sluice-dev/sluice/web/auth"
	"github.com/sluice-dev/sluice/web/kds"
	"github.com/sluice-dev/sluice/web/kvs"
)

// Config configures the HTTP server.
type Config struct {
	// Addr is the listen address, e.g. ":8080".
	Addr string
	// PublicURL is the base URL that clients reach this server at; APIs
	// that return endpoints return it.
	PublicURL string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// ShutdownTimeout bounds a graceful shutdown. Default 10s.
	ShutdownTimeout time.Duration
	// Auth verifies AWS Signature V4 and key policies on the KDS and KVS
	// APIs. Nil, or a Verifier without keys, lets every request in.
	Auth *auth.Verifier
	// TLS, when set, serves HTTPS (HTTP/1.1 and HTTP/2) instead of
	// HTTP (HTTP/1.1 and h2c), and marks session cookies Secure.
	TLS *tls.Config
	// OpenAnyIP: when open (Auth nil or without keys), answer a Host
	// header that is any address literal, not only a loopback one (a
	// server deliberately open to a network: --insecure-no-auth). See
	// openGuard for what an open server refuses.
	OpenAnyIP bool
	// CORSOrigins are the web origins ("https://app.example.com", or "*"
	// for any; CheckOrigin) whose pages may call the Kinesis APIs from a
	// browser (preflights answered, Access-Control headers sent; on an open
	// server their state-changing requests also pass the cross-site
	// guard). Default none.
	CORSOrigins []string
	// Pprof serves Go's profiler at /debug/pprof/ (for benchmarking; it
	// exposes internals, so it is off by default).
	Pprof bool
}

// Deps are the components the HTTP surface serves.
type Deps struct {
	// Streams is the data-stream core (Kinesis Data Streams API).
	Streams *streams.Core
	// Video is the video stream registry and index (Kinesis Video Streams API).
	Video *fragments.Library
	// Archive holds video media.
	Archive storage.Bucket
	// Lifecycle deletes video streams (camera, registry entry, media) for
	// both APIs. Nil: one over Video, Archive and Cameras.
	Lifecycle *video.Streams
	// Playback serves video back; Signer signs and checks session URLs.
	Playback *playback.Source
	Signer   *playback.Signer
	// Cameras and Recordings back Sluice's own API (/api/v1/).
	Cameras    api.Cameras
	Recordings api.Recordings
	// WebRTC serves WHIP, WHEP and the publish and watch pages; nil:
	// not mounted.
	WebRTC *ingestwebrtc.Server
	// Ready checks, all of which must pass for /readyz.
	Ready []func(context.Context) error
	// Cluster is the view of the cluster for /api/v1/cluster and the
	// stream lists (which node records what); nil: this node alone.
	Cluster api.Cluster
	// Metrics are registered with the server's own (e.g. leases held).
	Metrics []prometheus.Collector
}

// Server is the HTTP server. New -> Serve -> (ctx cancelled) -> returns.
type Server struct {
	cfg     Config
	deps    Deps
	reg     *prometheus.Registry
	handler http.Handler
}

// New builds the server and its routes.
func New(cfg Config, deps Deps) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if v := cfg.Auth; v != nil {
		reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sluice_auth_body_budget_held_bytes",
				Help: "Bytes of request bodies being received and verified (bounded by the body budget)."},
				func() float64 { held, _ := v.BodyStats(); return float64(held) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sluice_auth_body_budget_refused_total",
				Help: "Requests refused because the body budget was full."},
				func() float64 { _, refused := v.BodyStats(); return float64(refused) }),
		)
	}
	reg.MustRegister(deps.Metrics...)
	s := &Server{cfg: cfg, deps: deps, reg: reg}

	mux := http.NewServeMux()
	// Kinesis Data Streams: POST / with X-Amz-Target. Kinesis Video
	// Streams: POST /<operation>.
	if deps.Lifecycle == nil && deps.Video != nil && deps.Archive != nil {
		vc := video.Config{Library: deps.Video, Bucket: deps.Archive, Logger: cfg.Logger}
		if deps.Cameras != nil {
			vc.Cameras = deps.Cameras
		}
		deps.Lifecycle, _ = video.New(vc)
	}
	kvCfg := kvs.Config{PublicURL: cfg.PublicURL, Logger: cfg.Logger, Registerer: reg, Playback: deps.Playback, Signer: deps.Signer,
		Lifecycle: deps.Lifecycle}
	kdCfg := kds.Config{Logger: cfg.Logger, Metrics: reg}
	if cfg.Auth != nil {
		// The APIs authorize each call on its decoded input, and seal
		// their NextTokens for the caller.
		kvCfg.Authorize, kvCfg.Tokens = cfg.Auth.Authorize, cfg.Auth
		kdCfg.Authorize, kdCfg.Tokens = cfg.Auth.Authorize, cfg.Auth
	}
	kv := kvs.New(deps.Video, deps.Archive, kvCfg)
	var kdsAPI, kvsAPI http.Handler = kds.New(deps.Streams, kdCfg), kv
	if cfg.Auth != nil {
		kdsAPI, kvsAPI = cfg.Auth.KDS(kdsAPI), cfg.Auth.KVS(kvsAPI)
	}
	mux.Handle("POST /{$}", kdsAPI)
	for _, p := range kv.Paths() {
		mux.Handle("POST "+p, kvsAPI)
	}
	hlsRoutes(mux, deps, cfg.Auth)
	mux.Handle("GET /getClip.mp4", clipLink(deps.Signer, policies(cfg.Auth), kv)) // kv itself: the token is the credential
	mux.Handle("/api/v1/", api.New(api.Deps{
		Cameras: deps.Cameras, Recordings: deps.Recordings, Video: deps.Video, Lifecycle: deps.Lifecycle, Playback: deps.Playback, Cluster: deps.Cluster,
		Signer: deps.Signer, Data: deps.Streams, PublicURL: cfg.PublicURL, Logger: cfg.Logger, Auth: cfg.Auth,
	}))
	if cfg.Auth != nil {
		mux.HandleFunc("POST /api/v1/login", cfg.Auth.Login(cfg.PublicURL))
		mux.HandleFunc("POST /api/v1/logout", cfg.Auth.Logout)
		mux.HandleFunc("GET /api/v1/session", cfg.Auth.Session)
	}
	if deps.WebRTC != nil {
		webrtcRoutes(mux, deps.WebRTC, cfg.Auth)
	}
	mux.Handle("GET /ui/", uiHandler())
	mux.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusFound))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	// metrics name every stream: the admin class on every stream is needed
	mux.Handle("GET /metrics", guard(cfg.Auth, "sluice:GetMetrics", auth.AdminOnly(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))))
	if cfg.Pprof {
		mux.Handle("GET /debug/pprof/", guard(cfg.Auth, "sluice:Debug", http.HandlerFunc(pprof.Index)))
		mux.Handle("GET /debug/pprof/profile", guard(cfg.Auth, "sluice:Debug", http.HandlerFunc(pprof.Profile)))
		mux.Handle("GET /debug/pprof/trace", guard(cfg.Auth, "sluice:Debug", http.HandlerFunc(pprof.Trace)))
	}
	var h http.Handler = mux
	var cors *apiCORS
	if len(cfg.CORSOrigins) > 0 {
		cors = newAPICORS(cfg.CORSOrigins, kv.Paths(), mux)
		h = cors
	}
	if cfg.Auth == nil || cfg.Auth.Open() {
		g := newOpenGuard(cfg.PublicURL, cfg.OpenAnyIP, cfg.Logger, h)
		if cors != nil {
			g.allowOrigin = cors.allows
		}
		h = g
	}
	s.handler = newHTTPMetrics(reg).wrap(mux, h)
	return s
}

// guard puts h behind v's Guard for action on the stream named by the
// path wildcard "stream" (if the route has one); a nil v guards nothing.
func guard(v *auth.Verifier, action string, h http.Handler) http.Handler {
	if v == nil {
		return h
	}
	return v.Guard(action, func(r *http.Request) string { return r.PathValue("stream") }, h)
}

// Handler returns the root handler (for tests that serve it themselves).
func (s *Server) Handler() http.Handler { return s.handler }

// Serve listens on cfg.Addr and serves until ctx is cancelled, then shuts
// down gracefully. ready, if not nil, receives the bound address.
func (s *Server) Serve(ctx context.Context, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("web: listen %s: %w", s.cfg.Addr, err)
	}
	var protos http.Protocols
	protos.SetHTTP1(true)
	if s.cfg.TLS != nil {
		protos.SetHTTP2(true)
	} else {
		protos.SetUnencryptedHTTP2(true)
	}
	srv := &http.Server{
		Handler:           s.handler,
		Protocols:         &protos,
		TLSConfig:         s.cfg.TLS,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() {
		if s.cfg.TLS != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("web: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	if e := <-errc; err == nil && !errors.Is(e, http.ErrServerClosed) {
		err = e
	}
	return err
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	for _, ready := range s.deps.Ready {
		if err := ready(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready:", err)
			return
		}
	}
	fmt.Fprintln(w, "ready")
}
