package kvs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/sluice-dev/sluice/web/awswire"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/video"
)

// DefaultMaxBodyBytes is the default limit of a JSON request body. The
// largest valid control-plane request (50 tags of 128+256 characters) is
// far below it.
const DefaultMaxBodyBytes = 1 << 20

// Config configures a Handler. The zero value is valid: every field
// documents its default.
type Config struct {
	// PublicURL is the base URL at which clients reach this server, e.g.
	// "https://video.example.com"; GetDataEndpoint returns it (without a
	// trailing '/') for every APIName. Default: the scheme and Host of each
	// GetDataEndpoint request ("https" when it came over TLS, else "http").
	PublicURL string
	// Logger receives request logs: server-side failures at Error, every
	// other call at Debug. Default slog.Default().
	Logger *slog.Logger
	// Registerer, when set, is where the Handler registers its Prometheus
	// collectors (see metrics.go). Collectors already registered there by
	// another Handler are shared. Default: none (not exported).
	Registerer prometheus.Registerer
	// Authorize checks that the caller of ctx may run action (e.g.
	// "kinesisvideo:DescribeStream") on every resource (stream names and
	// ARNs) the decoded input names; its error (an *auth.DeniedError) is
	// sent as AccessDeniedException or NotAuthorizedException.
	// *auth.Verifier's Authorize is one. Nil: every call is allowed (no
	// access keys).
	Authorize func(ctx context.Context, action string, resources ...string) error
	// Tokens seals NextTokens, binding each to the caller and making it
	// tamper-proof. Nil: NextTokens are not sealed (tests; a server with
	// keys always sets it).
	Tokens Sealer
	// MaxBodyBytes bounds a JSON request body; a larger one is refused
	// with InvalidArgumentException. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Playback and Signer serve the media operations (streaming session
	// URLs, clips, Matroska media). Nil: those operations are not served.
	Playback *playback.Source
	Signer   *playback.Signer
	// Media bounds GetClip (bytes, fragments, time range). Zero fields take
	// the defaults (see MediaLimits).
	Media MediaLimits
	// Lifecycle deletes streams (their camera, registry entry and media).
	// Nil: one without cameras, over the Handler's Library and Bucket.
	Lifecycle *video.Streams
}

// Validate reports every invalid field at once, each naming its key.
func (c Config) Validate() error {
	var errs []error
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("kvs: PublicURL: %v", err))
		case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
			errs = append(errs, fmt.Errorf("kvs: PublicURL: %q is not an absolute http or https URL", c.PublicURL))
		case u.RawQuery != "" || u.Fragment != "":
			errs = append(errs, fmt.Errorf("kvs: PublicURL: %q must not have a query or fragment", c.PublicURL))
		}
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("kvs: MaxBodyBytes: must not be negative, got %d", c.MaxBodyBytes))
	}
	if err := c.Media.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Handler serves the Kinesis Video Streams REST-JSON API (see the package
// documentation). It is safe for concurrent use and holds no state of its
// own besides metrics: streams live in the Library, media in the Bucket.
type Handler struct {
	lib    *fragments.Library
	bucket storage.Bucket
	cfg    Config
	log    *slog.Logger
	m      *metrics
	ops    map[string]operation // by request path; read-only after New
	life   *video.Streams       // nil when New could not make one (no Library or Bucket)
}

var _ http.Handler = (*Handler)(nil)

// New returns a Handler serving the video streams of lib, whose media lives
// in bucket. It does not check cfg (call Config.Validate for that);
// invalid values act as their defaults.
func New(lib *fragments.Library, bucket storage.Bucket, cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	h := &Handler{lib: lib, bucket: bucket, cfg: cfg, log: cfg.Logger.With("component", "kvs"), life: cfg.Lifecycle}
	if h.life == nil {
		h.life, _ = video.New(video.Config{Library: lib, Bucket: bucket, Logger: cfg.Logger})
	}
	h.m = newMetrics(cfg.Registerer, h.log)
	h.ops = h.operations()
	return h
}

// Paths returns the request paths the Handler serves (all POST), sorted,
// for routers that register each ("POST " + path).
func (h *Handler) Paths() []string {
	paths := make([]string, 0, len(h.ops))
	for p := range h.ops {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}

// exchange is one request and its response.
type exchange struct {
	w  http.ResponseWriter
	r  *http.Request
	id string
	op string // the AWS operation name, "unknown" until routed
	// wrote is set once the response has started: no error response can
	// follow (operations that stream their output set it too).
	wrote bool
	// authorized is set once the caller was authorized for the decoded
	// input (decode); an answer without it is refused (fail closed).
	authorized bool
}

// ServeHTTP handles one API call.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ex := &exchange{w: w, r: r, id: awswire.RequestID(), op: "unknown"}
	w.Header().Set("x-amzn-RequestId", ex.id)
	var failure *apiError
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.log.Error("panic serving request", "request_id", ex.id, "operation", ex.op, "panic", p, "stack", string(debug.Stack()))
			failure = newError(errInternal, msgInternal)
			if !ex.wrote {
				h.writeError(ex, failure)
			}
		}
		h.finish(ex, failure, time.Since(start))
	}()
	failure = h.serve(ex)
}

func (h *Handler) serve(ex *exchange) *apiError {
	op, ok := h.ops[ex.r.URL.Path]
	if !ok {
		return h.writeError(ex, newError(errUnknownOp, "Unknown operation %s %s.", ex.r.Method, ex.r.URL.Path))
	}
	ex.op = op.name
	if ex.r.Method != http.MethodPost {
		ex.w.Header().Set("Allow", http.MethodPost)
		return h.writeError(ex, newError(errMethod, "%s takes POST, not %s.", op.name, ex.r.Method))
	}
	err := op.serve(ex.r.Context(), ex)
	if err == nil {
		return nil
	}
	ae := toAPIError(err)
	if ae.Status >= 500 {
		h.log.Error("operation failed", "request_id", ex.id, "operation", ex.op, "err", err)
	}
	if ex.wrote {
		return ae
	}
	return h.writeError(ex, ae)
}

// writeError sends an error response and returns the error.
func (h *Handler) writeError(ex *exchange, e *apiError) *apiError {
	ex.w.Header().Set("x-amzn-ErrorType", e.Name)
	h.writeJSON(ex, e.Status, errorBody{Type: e.Name, Message: e.Msg})
	return e
}

// finish records the metrics and log of one exchange.
func (h *Handler) finish(ex *exchange, failure *apiError, took time.Duration) {
	errName := "none"
	if failure != nil {
		errName = failure.Name
	}
	h.m.request(ex.op, errName, took)
	switch {
	case failure != nil && failure.Status >= 500:
		h.log.Error("request failed", "request_id", ex.id, "operation", ex.op, "error", failure.Name, "message", failure.Msg, "took", took)
	case failure != nil:
		h.log.Debug("request refused", "request_id", ex.id, "operation", ex.op, "error", failure.Name, "message", failure.Msg, "took", took)
	default:
		h.log.Debug("request served", "request_id", ex.id, "operation", ex.op, "took", took)
	}
}
