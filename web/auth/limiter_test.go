package auth

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newLimiter(FailureLimit{Max: 2, Window: time.Minute, Block: 5 * time.Minute, Addresses: 4}, func() time.Time { return now })
	const a = "192.0.2.1:5000"
	for i := range 2 {
		if blocked, _ := l.fail(a); blocked {
			t.Fatalf("blocked after %d failures", i+1)
		}
	}
	if blocked, _ := l.fail(a); !blocked {
		t.Fatal("not blocked after 3 failures")
	}
	if blocked, _ := l.blocked("192.0.2.1:6000"); !blocked {
		t.Fatal("another port of the address is not blocked")
	}
	if blocked, _ := l.blocked("192.0.2.2:5000"); blocked {
		t.Fatal("another address is blocked")
	}
	now = now.Add(5*time.Minute + time.Second)
	if blocked, _ := l.blocked(a); blocked {
		t.Fatal("still blocked after Block")
	}
	// Failures spread wider than the window never block.
	for range 10 {
		now = now.Add(61 * time.Second)
		if blocked, _ := l.fail("192.0.2.3:1"); blocked {
			t.Fatal("blocked by failures outside the window")
		}
	}
	// IPv6: one /64 is one client.
	l.fail("[2001:db8::1]:1")
	l.fail("[2001:db8::2]:1")
	if blocked, _ := l.fail("[2001:db8::3]:1"); !blocked {
		t.Fatal("a /64 spread over addresses escaped")
	}
	// The table stays bounded.
	for i := range 100 {
		l.fail(fmt.Sprintf("198.51.100.%d:1", i))
		if len(l.m) > 4 {
			t.Fatalf("table grew to %d", len(l.m))
		}
	}
}

// TestLimiterPerKey: failures counted per (address, key ID) block only
// that pair; per-address counting (SigV4, RTSP) is apart.
func TestLimiterPerKey(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newLimiter(FailureLimit{Max: 1}, func() time.Time { return now })
	const a = "192.0.2.1:5000"
	l.failKey(a, "AKIDA")
	if blocked, _ := l.failKey(a, "AKIDA"); !blocked {
		t.Fatal("(address, key) not blocked")
	}
	if blocked, _ := l.blockedKey(a, "AKIDB"); blocked {
		t.Fatal("another key of the address is blocked")
	}
	if blocked, _ := l.blocked(a); blocked {
		t.Fatal("the address itself is blocked")
	}
	if blocked, _ := l.blockedKey("192.0.2.1:7", "AKIDA"); !blocked {
		t.Fatal("another port escaped")
	}
}
