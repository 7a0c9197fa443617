package leases

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Config configures a Table. Only Node is required: every other field
// documents its default.
type Config struct {
	// Node names this node among those sharing the bucket: a key token of
	// letters, digits, '-' and '_'. Required. Two running Tables must not
	// share a name (they would hold leases as one another, see Claim).
	Node string
	// Bucket is the JetStream KV bucket of leases and node heartbeats.
	// Default "sluice_leases".
	Bucket string
	// Replicas of the bucket when this node creates it. Default 1; 3 on a
	// cluster of three or more servers, so that a lease survives the loss of
	// one server. A bucket that already exists keeps its replicas.
	Replicas int
	// TTL is how long a lease and a node heartbeat live on the server
	// without renewal. Whole seconds (the server's per-message TTL
	// granularity), at least 1 s. Default 10 s. Every node should use the
	// same TTL; the server enforces each holder's own.
	TTL time.Duration
	// Renew is the interval of renewals and heartbeats. Default TTL/3.
	// Must be below TTL - Margin, so that a renewal can land before the
	// holder's local deadline.
	Renew time.Duration
	// Margin is the safety margin of the holder's local deadline: a lease
	// not renewed is lost (Lease.Lost closes) Margin before the server could
	// let anyone else claim it, measured from the moment the last successful
	// renewal was sent. It must cover the time the holder needs to stop its
	// work after Lost. Default TTL/4.
	Margin time.Duration
	// Meta is published with this node's heartbeat (e.g. its address);
	// Nodes returns it.
	Meta map[string]string
	// OpTimeout bounds each JetStream call of the Table's own goroutines
	// and each attempt at creating the bucket. Default 5 s.
	OpTimeout time.Duration
	// Logger receives operational logs. Default slog.Default().
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultBucket    = "sluice_leases"
	DefaultTTL       = 10 * time.Second
	DefaultOpTimeout = 5 * time.Second
)

func (c Config) withDefaults() Config {
	if c.Bucket == "" {
		c.Bucket = DefaultBucket
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.Renew == 0 {
		c.Renew = c.TTL / 3
	}
	if c.Margin == 0 {
		c.Margin = c.TTL / 4
	}
	if c.OpTimeout == 0 {
		c.OpTimeout = DefaultOpTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports every invalid field at once, each error naming it.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("leases: %s: %s", field, fmt.Sprintf(format, args...)))
	}
	if c.Node == "" {
		bad("Node", "required")
	} else if !validToken(c.Node) {
		bad("Node", "%q: only letters, digits, '-' and '_'", c.Node)
	}
	if c.Bucket != "" && !validToken(c.Bucket) {
		bad("Bucket", "%q: only letters, digits, '-' and '_'", c.Bucket)
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		bad("Replicas", "%d: between 1 and 5", c.Replicas)
	}
	if c.TTL < 0 || c.TTL > 0 && (c.TTL < time.Second || c.TTL%time.Second != 0) {
		bad("TTL", "%v: whole seconds, at least 1s", c.TTL)
	}
	if c.Renew < 0 {
		bad("Renew", "%v: negative", c.Renew)
	}
	if c.Margin < 0 {
		bad("Margin", "%v: negative", c.Margin)
	}
	if c.OpTimeout < 0 {
		bad("OpTimeout", "%v: negative", c.OpTimeout)
	}
	if len(errs) == 0 {
		d := c.withDefaults()
		if d.Margin >= d.TTL {
			bad("Margin", "%v: must be below TTL %v", d.Margin, d.TTL)
		} else if d.Renew >= d.TTL-d.Margin {
			bad("Renew", "%v: must be below TTL - Margin (%v)", d.Renew, d.TTL-d.Margin)
		}
	}
	return errors.Join(errs...)
}

// validToken reports whether s is one KV key token of letters, digits,
// '-' and '_'.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// ValidKey reports whether key can name a lease: dot-separated tokens of
// letters, digits, '-', '_', '=' and '/', at most 255 bytes (e.g.
// "camera.front-door", "record.kvs/lobby").
func ValidKey(key string) bool {
	if key == "" || len(key) > 255 || key[0] == '.' || key[len(key)-1] == '.' {
		return false
	}
	prev := byte(0)
	for i := 0; i < len(key); i++ {
		b := key[i]
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '-', b == '_', b == '=', b == '/':
		case b == '.':
			if prev == '.' {
				return false
			}
		default:
			return false
		}
		prev = b
	}
	return true
}
