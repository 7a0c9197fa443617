package leases_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/leases"
)

func TestConfigValidate(t *testing.T) {
	err := leases.Config{Node: "a.b", Bucket: "x y", Replicas: 7, TTL: 1500 * time.Millisecond, Renew: -1, Margin: -1, OpTimeout: -1}.Validate()
	for _, field := range []string{"Node", "Bucket", "Replicas", "TTL", "Renew", "Margin", "OpTimeout"} {
		if err == nil || !strings.Contains(err.Error(), "leases: "+field+":") {
			t.Errorf("error does not name %s: %v", field, err)
		}
	}
	if err := (leases.Config{}).Validate(); err == nil || !strings.Contains(err.Error(), "Node: required") {
		t.Errorf("missing Node: %v", err)
	}
	if err := (leases.Config{Node: "n", TTL: 3 * time.Second, Renew: 2500 * time.Millisecond}).Validate(); err == nil || !strings.Contains(err.Error(), "Renew") {
		t.Errorf("Renew above TTL-Margin: %v", err)
	}
	if err := (leases.Config{Node: "n"}).Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func TestValidKey(t *testing.T) {
	for _, k := range []string{"camera.front-door", "a", "x/y=z_1"} {
		if !leases.ValidKey(k) {
			t.Errorf("%q refused", k)
		}
	}
	for _, k := range []string{"", ".a", "a.", "a..b", "a b", "a*", "a>", strings.Repeat("a", 256)} {
		if leases.ValidKey(k) {
			t.Errorf("%q accepted", k)
		}
	}
}

// TestClaimRace: two nodes claim one free key at once, 50 times: exactly
// one wins each time, the other learns who.
func TestClaimRace(t *testing.T) {
	r := newRig(t)
	claimRace(t, r, 50)
}

func claimRace(t *testing.T, r *rig, rounds int) {
	a, b := r.open(0, "racer1"), r.open(1, "racer2")
	ctx := ctxT(t)
	var last uint64
	for i := range rounds {
		key := fmt.Sprintf("race.%d", i%5) // keys are reused: tokens must still grow
		var wg sync.WaitGroup
		ls, errs := make([]*leases.Lease, 2), make([]error, 2)
		start := make(chan struct{})
		for j, tb := range []*leases.Table{a, b} {
			wg.Go(func() {
				<-start
				ls[j], errs[j] = tb.Claim(ctx, key)
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for j := range 2 {
			if errs[j] == nil {
				won = j
			}
		}
		lose := 1 - won
		var held *leases.HeldError
		if errs[won] != nil || !errors.As(errs[lose], &held) || !errors.Is(errs[lose], leases.ErrHeld) {
			t.Fatalf("round %d: want one winner and one HeldError, got %v and %v", i, errs[0], errs[1])
		}
		if held.Owner != ls[won].Owner() || held.Key != key {
			t.Fatalf("round %d: HeldError %+v, winner %s", i, held, ls[won].Owner())
		}
		if ls[won].Token() <= last {
			t.Fatalf("round %d: token %d not above %d", i, ls[won].Token(), last)
		}
		last = ls[won].Token()
		if err := ls[won].Release(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReleaseHandsOver: after Release another node claims at once.
func TestReleaseHandsOver(t *testing.T) {
	r := newRig(t)
	a, b := r.open(0, "a"), r.open(1, "b")
	ctx := ctxT(t)
	la, err := a.Claim(ctx, "camera.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Claim(ctx, "camera.1"); !errors.Is(err, leases.ErrHeld) {
		t.Fatalf("second claim by the holder: %v", err)
	}
	if _, err := b.Claim(ctx, "camera.1"); !errors.Is(err, leases.ErrHeld) {
		t.Fatalf("claim of a held key: %v", err)
	}
	if err := la.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if !closed(la.Lost()) {
		t.Fatal("Lost open after Release")
	}
	lb, err := b.Claim(ctx, "camera.1")
	if err != nil {
		t.Fatalf("claim right after release: %v", err)
	}
	if lb.Token() <= la.Token() {
		t.Fatalf("token %d after %d", lb.Token(), la.Token())
	}
	if err := la.Release(ctx); err != nil { // a stale release must not free b's lease
		t.Fatal(err)
	}
	if _, err := a.Claim(ctx, "camera.1"); !errors.Is(err, leases.ErrHeld) {
		t.Fatalf("a stale Release freed the new holder's lease: %v", err)
	}
	if _, err := a.Claim(ctx, "bad key"); !errors.Is(err, leases.ErrInvalidKey) {
		t.Fatalf("invalid key: %v", err)
	}
}

// TestRenewalKeepsLease: a lease outlives many TTLs while renewed.
func TestRenewalKeepsLease(t *testing.T) {
	r := newRig(t)
	a, b := r.open(0, "a"), r.open(1, "b")
	ctx := ctxT(t)
	l, err := a.Claim(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	first := l.Deadline()
	end := time.Now().Add(3 * testTTL)
	eventually(t, 5*testTTL, "three TTLs pass", func() bool {
		if closed(l.Lost()) {
			t.Fatal("lease lost while renewed")
		}
		if _, err := b.Claim(ctx, "k"); !errors.Is(err, leases.ErrHeld) {
			t.Fatalf("claim of a renewed lease: %v", err)
		}
		return time.Now().After(end)
	})
	if !l.Deadline().After(first) {
		t.Fatal("deadline never moved")
	}
}

// TestPausedHolder: a holder that stops renewing (paused, partitioned)
// sees Lost before any other node's claim can succeed; the server frees
// the lease within TTL plus about a second; the next token is greater.
func TestPausedHolder(t *testing.T) {
	r := newRig(t)
	a, b := r.open(0, "a"), r.open(1, "b")
	ctx := ctxT(t)
	la, err := a.Claim(ctx, "camera.7")
	if err != nil {
		t.Fatal(err)
	}
	paused := time.Now()
	a.PauseRenewals(true)
	var lostAt time.Time
	var lb *leases.Lease
	eventually(t, testTTL+3*time.Second, "b claims the lease a stopped renewing", func() bool {
		if lostAt.IsZero() && closed(la.Lost()) {
			lostAt = time.Now()
		}
		l, err := b.Claim(ctx, "camera.7")
		if err != nil {
			if !errors.Is(err, leases.ErrHeld) {
				t.Fatal(err)
			}
			return false
		}
		if lostAt.IsZero() && !closed(la.Lost()) {
			t.Fatal("b claimed while a still believed it held the lease")
		}
		lb = l
		return true
	})
	if lostAt.IsZero() {
		lostAt = time.Now()
	}
	t.Logf("lost %v after the pause, claimed by b %v after it", lostAt.Sub(paused), time.Since(paused))
	if lb.Token() <= la.Token() {
		t.Fatalf("token %d after %d", lb.Token(), la.Token())
	}
	// The holder wakes up: it must not disturb the new holder.
	a.PauseRenewals(false)
	eventually(t, 5*time.Second, "a forgets its lost lease", func() bool { return len(a.Held()) == 0 })
	if _, err := a.Claim(ctx, "camera.7"); !errors.Is(err, leases.ErrHeld) {
		t.Fatalf("after a woke up: %v", err)
	}
	if closed(lb.Lost()) {
		t.Fatal("b lost its lease when a woke up")
	}
}
