package rtsp

import (
	"math/rand/v2"
	"time"
)

// backoff is a capped exponential backoff with jitter: the n-th delay is
// drawn from [d/2, d] with d = min(min·2^n, max), so that cameras that
// went down together do not come back in lockstep. Not safe for
// concurrent use: each camera goroutine owns one.
type backoff struct {
	min, max time.Duration
	next     time.Duration // d of the next delay
}

func newBackoff(min, max time.Duration) *backoff {
	return &backoff{min: min, max: max, next: min}
}

// delay returns the next delay and doubles the one after, up to max.
func (b *backoff) delay() time.Duration {
	d := b.next
	b.next = min(b.next*2, b.max)
	if d < 2 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// reset starts over from min, after a healthy session.
func (b *backoff) reset() { b.next = b.min }
