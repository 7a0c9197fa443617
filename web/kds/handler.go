package kds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluice-dev/sluice/web/awswire"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sluice-dev/sluice/streams"
)

// targetPrefix is the service part of X-Amz-Target.
const targetPrefix = "Kinesis_20131202"

// DefaultMaxBodyBytes is the default request body limit: room for a
// 10 MiB record base64-encoded in JSON, with its envelope.
const DefaultMaxBodyBytes = 16 << 20

// Config configures a Handler. The zero value is valid: every field
// documents its default.
type Config struct {
	// Logger receives request logs: server-side failures at Error, every
	// other call at Debug. Default slog.Default().
	Logger *slog.Logger
	// Metrics, when set, is where the Handler registers its Prometheus
	// collectors (see metrics.go). A collector already registered there by
	// another Handler is shared. Default: none (not exported).
	Metrics prometheus.Registerer
	// MaxBodyBytes bounds a request body; a larger one is refused with
	// SerializationException. Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Authorize checks that the caller of ctx may run action (e.g.
	// "kinesis:PutRecord") on every resource (stream names and ARNs) the
	// decoded input names; its error (an *auth.DeniedError) is sent as
	// the API's access-denied error. *auth.Verifier's Authorize is one.
	// Nil: every call is allowed (no access keys).
	Authorize func(ctx context.Context, action string, resources ...string) error
	// Tokens seals NextTokens, binding each to the caller and making it
	// tamper-proof. Nil: NextTokens are not sealed (tests; a server with
	// keys always sets it).
	Tokens Sealer
	// Now returns the current time, for NextToken expiry and the
	// "timestamp in the future" checks. Default time.Now. A test hook.
	Now func() time.Time
}

// Validate reports every invalid field at once.
func (c Config) Validate() error {
	var errs []error
	if c.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("kds: MaxBodyBytes: must not be negative, got %d", c.MaxBodyBytes))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Handler serves the Kinesis Data Streams API on a core. It is safe for
// concurrent use. Close it to end running SubscribeToShard streams.
type Handler struct {
	core    *streams.Core
	cfg     Config
	log     *slog.Logger
	m       *metrics
	cbor    *cborModes
	actions map[string]action

	ctx    context.Context // cancelled by Close; ends event streams
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	subs   sync.WaitGroup // running event streams
}

var _ http.Handler = (*Handler)(nil)

// New returns a Handler serving core. It does not check cfg (call
// Config.Validate for that); zero and invalid values take their defaults.
func New(core *streams.Core, cfg Config) *Handler {
	cfg = cfg.withDefaults()
	h := &Handler{
		core: core,
		cfg:  cfg,
		log:  cfg.Logger.With("component", "kds"),
		cbor: newCBORModes(),
	}
	h.m = newMetrics(cfg.Metrics, h.log)
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.actions = h.actionTable()
	return h
}

// Close ends every running SubscribeToShard stream and waits for them to
// return. Other calls still work after Close; new subscriptions are
// refused with ServiceUnavailable.
func (h *Handler) Close() error {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.cancel()
	h.subs.Wait()
	return nil
}

// exchange is one request and its response.
type exchange struct {
	h      *Handler
	w      http.ResponseWriter
	r      *http.Request
	id     string
	codec  codec
	action string
	// streamed is set once an action has started writing the response
	// itself (SubscribeToShard): no error response can follow.
	streamed bool
	// authorized is set once the caller was authorized for the decoded
	// input; a success response without it is a bug, answered with
	// InternalFailure (fail closed).
	authorized bool
}

// ServeHTTP handles one Kinesis API call.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ex := &exchange{h: h, w: w, r: r, id: awswire.RequestID(), action: "unknown", codec: codec{mediaType: mediaJSON11}}
	w.Header().Set("x-amzn-RequestId", ex.id)
	var failure *apiError
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.log.Error("panic serving request", "request_id", ex.id, "action", ex.action, "panic", p, "stack", string(debug.Stack()))
			failure = newError(errInternal, "An internal error occurred; the request can be retried.")
			if !ex.streamed {
				h.writeError(ex, failure)
			}
		}
		h.finish(ex, failure, time.Since(start))
	}()
	failure = h.serve(ex)
}

func (h *Handler) serve(ex *exchange) *apiError {
	r := ex.r
	c, known := pickCodec(r.Header.Get("Content-Type"), h.cbor)
	ex.codec = c
	target := r.Header.Get("X-Amz-Target")
	if r.Method != http.MethodPost || target == "" {
		// AWS's front end answers this one with 403, unlike the
		// service's own (400) AccessDeniedException.
		return h.writeError(ex, &apiError{Name: errAccessDenied, Status: http.StatusForbidden, Msg: "Unable to determine service/operation name to be authorized"})
	}
	svc, name, _ := strings.Cut(target, ".")
	act, ok := h.actions[name]
	if svc != targetPrefix || !ok {
		h.log.Debug("unknown operation", "request_id", ex.id, "target", target[:min(len(target), 128)])
		return h.writeError(ex, newError(errUnknownOp, "")) // as AWS: the type alone
	}
	ex.action = name
	if !known {
		return h.writeError(ex, newError(errSerialization, "Unsupported Content-Type %q: use %s or %s.", r.Header.Get("Content-Type"), mediaJSON11, mediaCBOR))
	}
	body, err := io.ReadAll(http.MaxBytesReader(ex.w, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return h.writeError(ex, newError(errSerialization, "Request body exceeds the limit of %d bytes.", tooBig.Limit))
		}
		return h.writeError(ex, newError(errSerialization, "Reading the request body: %v.", err))
	}
	out, err := act.run(r.Context(), ex, body)
	if err != nil {
		ae := toAPIError(err)
		if ae.Name == errInternal {
			h.log.Error("internal failure", "request_id", ex.id, "action", ex.action, "err", err)
		}
		if ex.streamed {
			return ae
		}
		return h.writeError(ex, ae)
	}
	if ex.streamed {
		return nil
	}
	if !ex.authorized {
		h.log.Error("an action answered without authorizing its input", "request_id", ex.id, "action", ex.action)
		return h.writeError(ex, newError(errInternal, "An internal error occurred; the request can be retried."))
	}
	h.write(ex, http.StatusOK, out)
	return nil
}

// write sends a response body in the exchange's encoding.
func (h *Handler) write(ex *exchange, status int, v any) {
	var b []byte
	var err error
	if _, empty := v.(noOutput); !empty { // as AWS: an action without output answers an empty body
		b, err = ex.codec.encode(v)
	}
	if err != nil {
		h.log.Error("encoding response", "request_id", ex.id, "action", ex.action, "err", err)
		status = http.StatusInternalServerError
		ex.w.Header().Set("x-amzn-ErrorType", errInternal)
		b, _ = ex.codec.encode(errorBody{Type: errInternal, Message: "Encoding the response failed."})
	}
	hdr := ex.w.Header()
	hdr.Set("Content-Type", ex.codec.mediaType)
	hdr.Set("Content-Length", strconv.Itoa(len(b)))
	ex.w.WriteHeader(status)
	_, _ = ex.w.Write(b)
}

// writeError sends an error response and returns the error.
func (h *Handler) writeError(ex *exchange, e *apiError) *apiError {
	ex.w.Header().Set("x-amzn-ErrorType", e.Name)
	h.write(ex, e.Status, e.JSONFrontEndBody())
	return e
}

// finish records metrics and logs of one exchange.
func (h *Handler) finish(ex *exchange, failure *apiError, took time.Duration) {
	errName := "none"
	if failure != nil {
		errName = failure.Name
	}
	h.m.request(ex.action, errName, took)
	switch {
	case failure != nil && failure.Status >= 500:
		h.log.Error("request failed", "request_id", ex.id, "action", ex.action, "error", failure.Name, "message", failure.Msg, "took", took)
	case failure != nil:
		h.log.Debug("request refused", "request_id", ex.id, "action", ex.action, "error", failure.Name, "message", failure.Msg, "took", took)
	default:
		h.log.Debug("request served", "request_id", ex.id, "action", ex.action, "took", took)
	}
}
