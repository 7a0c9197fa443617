package auth

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"time"
)

// FailureLimit limits failed authentications per client address (SigV4,
// RTSP), or per client address and access key ID (the login form, bearer
// tokens): failures against one key from an address do not block another
// key's owner behind the same address (a TLS proxy). The zero value takes
// every default.
type FailureLimit struct {
	// Max failures in Window before the address is blocked. Default 10.
	Max int
	// Window over which failures are counted. Default 1 minute.
	Window time.Duration
	// Block is how long a blocked address stays blocked. Default 1 minute.
	Block time.Duration
	// Addresses bounds the table of addresses tracked; when it is full the
	// entry seen longest ago is dropped. Default 10,000.
	Addresses int
	// SlowLogin is how long the login form makes a request for a blocked
	// (address, key) wait before it checks the secret, one request at a
	// time per (address, key): the right secret still logs in (a blocked
	// address cannot lock a key's owner out), a wrong one is answered
	// 429, and guessing is held to one try per SlowLogin. Default 1s.
	SlowLogin time.Duration
	// Disabled turns the limit off.
	Disabled bool
}

func (l FailureLimit) withDefaults() FailureLimit {
	if l.Max <= 0 {
		l.Max = 10
	}
	if l.Window <= 0 {
		l.Window = time.Minute
	}
	if l.Block <= 0 {
		l.Block = time.Minute
	}
	if l.Addresses <= 0 {
		l.Addresses = 10_000
	}
	if l.SlowLogin <= 0 {
		l.SlowLogin = time.Second
	}
	return l
}

// limiter counts failures per client: an address, or an address and a
// key ID. Safe for concurrent use; its memory is bounded by
// FailureLimit.Addresses entries.
type limiter struct {
	cfg FailureLimit
	now func() time.Time
	mu  sync.Mutex
	m   map[client]*attempts
}

// client is what failures are counted by: the address's prefix (see
// clientPrefix) and the key ID tried ("" for failures counted per
// address).
type client struct {
	prefix netip.Prefix
	keyID  string
}

type attempts struct {
	start   time.Time // of the current window
	n       int       // failures in it
	until   time.Time // blocked until
	touched time.Time
	turn    chan struct{} // one slow login at a time (see slowLogin); made on first use
}

func newLimiter(cfg FailureLimit, now func() time.Time) *limiter {
	return &limiter{cfg: cfg.withDefaults(), now: now, m: map[client]*attempts{}}
}

// blocked reports whether addr is blocked now, and until when.
func (l *limiter) blocked(addr string) (bool, time.Time) { return l.blockedKey(addr, "") }

// fail counts a failure of addr and reports whether addr is now blocked.
func (l *limiter) fail(addr string) (bool, time.Time) { return l.failKey(addr, "") }

// blockedKey reports whether (addr, keyID) is blocked now, and until when.
func (l *limiter) blockedKey(addr, keyID string) (bool, time.Time) {
	if l.cfg.Disabled {
		return false, time.Time{}
	}
	p, ok := clientPrefix(addr)
	if !ok {
		return false, time.Time{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.m[client{p, keyID}]
	if a == nil || !l.now().Before(a.until) {
		return false, time.Time{}
	}
	return true, a.until
}

// slowLogin waits for the turn of (addr, keyID) (one request at a time)
// and then FailureLimit.SlowLogin, and returns the function that ends the
// turn; an error if ctx ends first.
func (l *limiter) slowLogin(ctx context.Context, addr, keyID string) (func(), error) {
	p, _ := clientPrefix(addr)
	l.mu.Lock()
	a := l.entry(client{p, keyID}, l.now())
	if a.turn == nil {
		a.turn = make(chan struct{}, 1)
	}
	turn := a.turn
	l.mu.Unlock()
	select {
	case turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release := func() { <-turn }
	t := time.NewTimer(l.cfg.SlowLogin)
	defer t.Stop()
	select {
	case <-t.C:
		return release, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}

// entry returns the attempts of c, added if missing. Called with mu held.
func (l *limiter) entry(c client, now time.Time) *attempts {
	a := l.m[c]
	if a == nil {
		if len(l.m) >= l.cfg.Addresses {
			l.evict(now)
		}
		a = &attempts{start: now}
		l.m[c] = a
	}
	return a
}

// failKey counts a failure of (addr, keyID) and reports whether it is
// now blocked.
func (l *limiter) failKey(addr, keyID string) (bool, time.Time) {
	if l.cfg.Disabled {
		return false, time.Time{}
	}
	p, ok := clientPrefix(addr)
	if !ok {
		return false, time.Time{}
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.entry(client{p, keyID}, now)
	a.touched = now
	if now.Before(a.until) {
		return true, a.until
	}
	if now.Sub(a.start) > l.cfg.Window {
		a.start, a.n = now, 0
	}
	a.n++
	if a.n > l.cfg.Max {
		a.until = now.Add(l.cfg.Block)
		a.start, a.n = a.until, 0
		return true, a.until
	}
	return false, time.Time{}
}

// evict drops the stale entries, or failing that the one touched longest
// ago. Called with mu held when the table is full.
func (l *limiter) evict(now time.Time) {
	var oldest client
	var oldestAt time.Time
	for p, a := range l.m {
		if now.Sub(a.touched) > l.cfg.Window && !now.Before(a.until) {
			delete(l.m, p)
			continue
		}
		if oldestAt.IsZero() || a.touched.Before(oldestAt) {
			oldest, oldestAt = p, a.touched
		}
	}
	if len(l.m) >= l.cfg.Addresses {
		delete(l.m, oldest)
	}
}

// clientPrefix is the unit an address is limited by: the IPv4 address, or
// the IPv6 /64 (one host's usual allocation). addr is host:port or a host.
func clientPrefix(addr string) (netip.Prefix, bool) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}, false
	}
	ip = ip.Unmap().WithZone("")
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, err := ip.Prefix(bits)
	return p, err == nil
}
