// Package wait is the one way tests wait for something to become true:
// polling with a deadline (never a bare sleep). In-process timing that
// can be simulated uses testing/synctest instead.
package wait

import (
	"errors"
	"testing"
	"time"
)

// Until polls check until it returns nil, failing the test with its last
// error once timeout has passed. Polls start at 1 ms apart and back off to
// 50 ms.
func Until(t testing.TB, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	pause := time.Millisecond
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", timeout, err)
		}
		time.Sleep(pause)
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// For polls cond until it holds, failing the test with "timed out waiting
// for <what>" once timeout has passed.
func For(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	Until(t, timeout, func() error {
		if cond() {
			return nil
		}
		return errors.New("timed out waiting for " + what)
	})
}
