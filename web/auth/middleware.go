package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// DefaultMaxBodyBytes bounds a request body the middleware reads (to hash
// it and find its stream): the KDS handler's own limit.
const DefaultMaxBodyBytes = 16 << 20

// DefaultBodyBudget is the default Config.BodyBudget: four of the largest
// bodies.
const DefaultBodyBudget = 4 * DefaultMaxBodyBytes

// Config configures a Verifier. The zero value is valid (and open: no
// keys); every field documents its default.
type Config struct {
	// Keys are the access keys. None: the Verifier is open and the
	// middleware passes every request through.
	Keys []Key
	// Region is the region requests must be signed for. Default
	// "us-east-1".
	Region string
	// Now returns the current time. Default time.Now. A test hook.
	Now func() time.Time
	// Logger receives one Info line per refused request (never a secret).
	// Default slog.Default().
	Logger *slog.Logger
	// FailureLimit limits failed attempts per client address.
	FailureLimit FailureLimit
	// MaxBodyBytes bounds the request bodies the middleware reads; a
	// larger body is refused (SerializationException on KDS,
	// InvalidArgumentException on KVS). Default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// BodyBudget bounds the bytes of request bodies the middleware holds
	// at once while it verifies their signatures (reserved by
	// Content-Length, or by the operation's limit when unknown). Default
	// DefaultBodyBudget.
	BodyBudget int64
	// BodyWait is how long a request waits for room in BodyBudget before
	// it is refused with ThrottlingException. Default 1 s.
	BodyWait time.Duration
	// TokenSecret signs minted bearer tokens and UI sessions; every node
	// of a cluster must share it. Nil: a random secret per process
	// (tokens and sessions do not survive a restart).
	TokenSecret []byte
	// SessionTTL is the life of a UI login session. Default 12 hours.
	SessionTTL time.Duration
	// SecureCookies marks session cookies Secure (set when serving TLS
	// or behind a TLS proxy); a request that came over TLS gets Secure
	// cookies anyway.
	SecureCookies bool
}

// Validate reports every problem of the configuration at once, each
// naming its field (and, for a key, its position and ID; never a secret).
func (c Config) Validate() error {
	var errs []error
	for i, k := range c.Keys {
		for _, err := range k.validate() {
			errs = append(errs, fmt.Errorf("auth: Keys[%d] (%s): %w", i, k.ID, err))
		}
	}
	if _, err := NewKeys(c.Keys); err != nil {
		errs = append(errs, fmt.Errorf("auth: Keys: %w", err))
	}
	if c.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("auth: MaxBodyBytes: must not be negative, got %d", c.MaxBodyBytes))
	}
	if c.BodyBudget < 0 || c.BodyBudget > 0 && c.BodyBudget < max(c.MaxBodyBytes, DefaultMaxBodyBytes) {
		errs = append(errs, fmt.Errorf("auth: BodyBudget: must hold at least one largest body (%d bytes), got %d", max(c.MaxBodyBytes, DefaultMaxBodyBytes), c.BodyBudget))
	}
	if c.BodyWait < 0 {
		errs = append(errs, fmt.Errorf("auth: BodyWait: must not be negative, got %s", c.BodyWait))
	}
	l := c.FailureLimit
	if l.Max < 0 || l.Window < 0 || l.Block < 0 || l.Addresses < 0 {
		errs = append(errs, errors.New("auth: FailureLimit: values must not be negative"))
	}
	return errors.Join(errs...)
}

// Verifier checks requests against the configured keys. It is safe for
// concurrent use; its only mutable state is the failure limiter.
type Verifier struct {
	cfg         Config
	keys        atomic.Pointer[Keys] // replaced whole by SetKeys
	lim         *limiter
	log         *slog.Logger
	tokenSecret []byte
	// budget holds the bytes of bodies being received and verified.
	budget *semaphore.Weighted
	m      bodyMetrics
}

// bodyMetrics count the body budget's use (see BodyStats).
type bodyMetrics struct {
	budgetHeld    atomic.Int64 // bytes reserved now
	budgetRefused atomic.Int64 // requests refused for want of room
}

// BodyStats reports the body budget's use: the bytes reserved now by
// bodies being received and verified, and how many requests were refused
// for want of room since start. For metrics.
func (v *Verifier) BodyStats() (held, refused int64) {
	return v.m.budgetHeld.Load(), v.m.budgetRefused.Load()
}

// New returns a Verifier for cfg. It does not check cfg (call
// Config.Validate): of keys with the same ID the last wins.
func New(cfg Config) *Verifier {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.BodyBudget <= 0 {
		cfg.BodyBudget = max(DefaultBodyBudget, cfg.MaxBodyBytes)
	}
	if cfg.BodyWait <= 0 {
		cfg.BodyWait = time.Second
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	secret := cfg.TokenSecret
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
	}
	keys := make(Keys, len(cfg.Keys))
	for _, k := range cfg.Keys {
		keys[k.ID] = k
	}
	v := &Verifier{cfg: cfg, lim: newLimiter(cfg.FailureLimit, cfg.Now), log: cfg.Logger.With("component", "auth"), tokenSecret: secret,
		budget: semaphore.NewWeighted(cfg.BodyBudget)}
	v.keys.Store(&keys)
	return v
}

// Open reports whether the Verifier has no keys (everything is allowed).
// It never changes over a Verifier's life (SetKeys keeps it).
func (v *Verifier) Open() bool { return len(v.keySet()) == 0 }

// keySet is the current set of keys.
func (v *Verifier) keySet() Keys { return *v.keys.Load() }

// SetKeys replaces the keys (a reload of the keys file): requests from
// then on are checked against the new set, tokens and sessions of
// removed keys stop working. It refuses keys that Config.Validate would
// refuse, and a change between none and some keys (an open server would
// close or a closed one open: restart for that).
func (v *Verifier) SetKeys(keys []Key) error {
	if err := (Config{Keys: keys}).Validate(); err != nil {
		return err
	}
	if (len(keys) == 0) != v.Open() {
		return errors.New("auth: a reload cannot switch between no access keys (open) and some; restart to do that")
	}
	set, _ := NewKeys(keys) // checked by Validate
	v.keys.Store(&set)
	return nil
}

type ctxKey struct{}

// KeyID is the ID of the key that authenticated the request of ctx, or ""
// (open mode, or a context that did not come through the middleware).
func KeyID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// WithKeyID returns ctx carrying a key ID, as the middleware does (for
// other doors and tests).
func WithKeyID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// KDS wraps the Kinesis Data Streams handler (POST / with X-Amz-Target):
// requests must be signed for the service "kinesis" and allowed by the
// key's policy for the action and every stream they name. Errors are
// answered in the request's encoding (JSON or CBOR).
func (v *Verifier) KDS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v.Open() {
			next.ServeHTTP(w, r)
			return
		}
		op := kdsOperation(r.Header.Get("X-Amz-Target"))
		r, f := v.check(w, r, op)
		if f != nil {
			writeKDS(w, r, f)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// KVS wraps the Kinesis Video Streams handler (POST /<operation>, control
// plane, archived media and media): requests must be signed for the
// service "kinesisvideo". Errors are answered as REST-JSON.
func (v *Verifier) KVS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if v.Open() {
			next.ServeHTTP(w, r)
			return
		}
		op := kvsOperation(r.URL.Path)
		r, f := v.check(w, r, op)
		if f != nil {
			writeKVS(w, f)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// check authenticates and authorizes r. On success it returns the request
// to hand on: body restored (or decoded, for aws-chunked), key ID in the
// context.
func (v *Verifier) check(w http.ResponseWriter, r *http.Request, op Operation) (*http.Request, *failure) {
	// A blocked address's requests are still verified: a valid signature
	// proves the secret and is served; only failures are throttled.
	remote := r.RemoteAddr
	var f *failure
	var ok verified
	var body []byte
	{
		// The signature's head first: a request from nobody is refused
		// before a byte of its body is read.
		var head signedHead
		head, f = v.verifyHead(r, op)
		// A media body (PutMedia) is streamed through unless its payload
		// hash is a hex digest, which needs the whole body.
		claimed := r.Header.Get("X-Amz-Content-Sha256")
		readBody := !op.mediaBody || (claimed != unsignedPayload && claimed != streamingPayload)
		if f == nil && readBody {
			var release func()
			body, release, f = v.readBody(w, r, op)
			defer release()
		}
		if f == nil {
			ok, f = v.verifyBody(r, op, head, body, readBody)
		}
		if f == nil && ok.streaming {
			cb, err := newChunkedBody(r.Body, ok.key, ok.sig, ok.at)
			if err != nil {
				f = fail(ErrInvalidSig, msgMismatch)
			} else {
				r.Body = cb
				r.ContentLength = -1
				if n, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64); err == nil {
					r.ContentLength = n
				}
			}
		}
		if f != nil && f.counts {
			if blocked, until := v.lim.fail(remote); blocked {
				f = throttled(until, v.cfg.Now())
			}
		}
	}
	if f == nil {
		f = v.authorize(ok.key, op)
	}
	if f != nil {
		v.log.Info("request refused", "action", op.Action, "key", ok.key.ID, "remote", remote, "error", f.name, "reason", f.msg)
		return r, f
	}
	return r.WithContext(withKey(r.Context(), ok.key, Grant{})), nil
}

// throttled is the answer to a failure from a blocked address.
func throttled(until, now time.Time) *failure {
	f := fail(ErrThrottling, msgThrottled)
	f.counts = false
	f.retryAfter = max(1, int(until.Sub(now).Seconds()+0.5))
	return f
}

// smallBodyBytes bounds the body of every operation but the record
// writes: the largest valid control-plane request (50 tags of 128+256
// characters, a GetMediaForFragmentList of 1,000 fragment numbers) is far
// below it.
const smallBodyBytes = 1 << 20

// maxBody is the most op's body may hold.
func (v *Verifier) maxBody(op Operation) int64 {
	switch op.Action {
	case "kinesis:PutRecord", "kinesis:PutRecords":
		return v.cfg.MaxBodyBytes
	}
	return min(smallBodyBytes, v.cfg.MaxBodyBytes)
}

// readBody reads the whole body, bounded by the operation's limit and by
// the budget of bodies held at once, and puts it back for the next
// handler. release gives the body's bytes back to the budget: call it
// once the request is answered.
func (v *Verifier) readBody(w http.ResponseWriter, r *http.Request, op Operation) (body []byte, release func(), f *failure) {
	release = func() {}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, release, nil
	}
	limit := v.maxBody(op)
	tooBig := func() *failure {
		name := errSerialization
		if op.api != apiKDS {
			name = errInvalidArgment
		}
		f := fail(name, "The request body could not be read or exceeds %d bytes, the limit of %s.", limit, op.Action)
		f.counts = false
		return f
	}
	if r.ContentLength > limit {
		return nil, release, tooBig()
	}
	want := limit
	if r.ContentLength >= 0 {
		want = r.ContentLength
	}
	if want > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), v.cfg.BodyWait)
		err := v.budget.Acquire(ctx, want)
		cancel()
		if err != nil {
			v.m.budgetRefused.Add(1)
			f := fail(ErrThrottling, "Too many request bodies are being received at once; retry.")
			f.counts = false
			f.retryAfter = 1
			return nil, release, f
		}
		v.m.budgetHeld.Add(want)
		release = func() {
			v.budget.Release(want)
			v.m.budgetHeld.Add(-want)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return nil, release, tooBig()
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, release, nil
}

// authorize checks that the key may run op on some stream at all. Which
// streams a request acts on is read by the API handler from the input it
// decodes (Authorize), so that what is authorized is what is served.
func (v *Verifier) authorize(key Key, op Operation) *failure {
	if key.Allows(op.Action, "") {
		return nil
	}
	d := &DeniedError{Key: key.ID, Action: op.Action, Resource: "*"}
	f := fail(d.Name(), "%s", d.Error())
	f.counts = false
	return f
}
