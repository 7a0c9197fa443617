package fragments

import (
	"context"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
)

// TestAppendWarmsCache: the Append that completes an index block puts the
// block in the cache, so the recording node lists it without reading the
// core.
func TestAppendWarmsCache(t *testing.T) {
	ctx := context.Background()
	l := NewLibrary(streamstest.Open(t, CoreConfig(streams.Config{})), LibraryConfig{})
	if _, err := l.Create(ctx, StreamSpec{Name: "cam", RetentionHours: 24}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if s, err := l.Describe(ctx, "cam"); err == nil && s.Status == "ACTIVE" {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("not ACTIVE: %v", err)
		}
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cached := func() int {
		l.cache.mu.Lock()
		defer l.cache.mu.Unlock()
		n := 0
		for _, e := range l.cache.blocks {
			n += len(e.Value.(*cacheBlock).entries)
		}
		return n
	}
	// Message sequences start at 1: block 0 is complete at 1,023 records.
	for i := range blockMessages - 1 {
		if cached() != 0 {
			t.Fatalf("a block was cached after %d appends", i)
		}
		at := t0.Add(time.Duration(i) * 2 * time.Second)
		if _, err := l.Append(ctx, "cam", Info{Key: "k", InitKey: "i", ProducerTime: at, ServerTime: at, Duration: 2 * time.Second, Keyframe: true}); err != nil {
			t.Fatal(err)
		}
	}
	if n := cached(); n != blockMessages-1 {
		t.Fatalf("after completing block 0 the cache holds %d records, want %d", n, blockMessages-1)
	}
}
