package fragments_test

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
)

// indexEnv is a stream core with a video stream "cam" and two libraries
// on it: with the index cache, without, and with a cache that holds
// about one block.
type indexEnv struct {
	t                     *testing.T
	core                  *streams.Core
	cached, direct, small *fragments.Library
	t0                    time.Time
	n                     int
}

func newIndexEnv(t *testing.T) *indexEnv {
	core := streamstest.Open(t, fragments.CoreConfig(streams.Config{}))
	e := &indexEnv{t: t, core: core, t0: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		cached: fragments.NewLibrary(core, fragments.LibraryConfig{}),
		direct: fragments.NewLibrary(core, fragments.LibraryConfig{IndexCacheBytes: -1}),
		small:  fragments.NewLibrary(core, fragments.LibraryConfig{IndexCacheBytes: 150_000})}
	e.create()
	return e
}

func (e *indexEnv) create() {
	if _, err := e.direct.Create(bg, fragments.StreamSpec{Name: "cam", RetentionHours: 24}); err != nil {
		e.t.Fatal(err)
	}
	waitActive(e.t, e.direct, "cam")
}

// info is the i-th fragment of the stream: 2 s each from t0.
func (e *indexEnv) info(i int) fragments.Info {
	at := e.t0.Add(time.Duration(i) * 2 * time.Second)
	return fragments.Info{Key: fmt.Sprint("k", i), InitKey: "init", ProducerTime: at, ServerTime: at.Add(time.Second),
		Duration: 2 * time.Second, Size: int64(i), Keyframe: true, Session: "s", SessionIndex: i, Samples: map[int]int{1: 50}}
}

// append indexes the next n fragments.
func (e *indexEnv) append(n int) {
	e.t.Helper()
	for range n {
		if _, err := e.direct.Append(bg, "cam", e.info(e.n)); err != nil {
			e.t.Fatal(err)
		}
		e.n++
	}
}

// keys lists the keys that lib's listing by sel returns, stopping after
// max (0: all).
func (e *indexEnv) keys(lib *fragments.Library, sel fragments.Selector, max int) []string {
	e.t.Helper()
	var keys []string
	err := lib.Fragments(bg, "cam", sel, func(in fragments.Info) bool {
		keys = append(keys, in.Key)
		return max == 0 || len(keys) < max
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return keys
}

func keyRange(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprint("k", i))
	}
	return out
}

// TestIndexCache lists an index that grows past several cache blocks,
// with and without the cache, partly and wholly, by time and by number.
func TestIndexCache(t *testing.T) {
	e := newIndexEnv(t)
	var numbers []string
	collect := func() {
		numbers = numbers[:0]
		_ = e.direct.Fragments(bg, "cam", fragments.Selector{}, func(in fragments.Info) bool { numbers = append(numbers, in.Number); return true })
	}
	for _, grow := range []int{700, 400, 1000, 1} { // past 1,024 and 2,048 records, then one more
		e.append(grow)
		collect()
		for _, lib := range []*fragments.Library{e.cached, e.direct, e.cached, e.small, e.small} {
			if got := e.keys(lib, fragments.Selector{}, 0); !slices.Equal(got, keyRange(0, e.n)) {
				t.Fatalf("%d fragments: listed %d (%v ... %v)", e.n, len(got), got[:3], got[len(got)-3:])
			}
			// Stopping early, then listing on from the last one seen.
			first := e.keys(lib, fragments.Selector{Producer: true, Start: e.info(10).ProducerTime}, 5)
			if !slices.Equal(first, keyRange(10, 15)) {
				t.Fatalf("from 10: %v", first)
			}
			for _, at := range []int{0, 14, 1022, 1023, 1024, e.n - 2, e.n - 1} {
				if at >= e.n {
					continue
				}
				got := e.keys(lib, fragments.Selector{After: numbers[at], End: e.info(e.n - 3).ServerTime}, 0)
				if want := keyRange(at+1, e.n-2); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
					t.Fatalf("after %d of %d: %d listed, want %d", at, e.n, len(got), len(want))
				}
			}
		}
	}
	if err := e.cached.Fragments(bg, "cam", fragments.Selector{After: "12x"}, func(fragments.Info) bool { return true }); !errors.Is(err, streams.ErrInvalidArgument) {
		t.Fatalf("a bad fragment number: %v", err)
	}

	// A stream deleted and created again lists its own records only.
	if err := e.direct.Delete(bg, "cam", ""); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := e.direct.Describe(bg, "cam"); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("cam not deleted")
		}
	}
	e.create()
	e.t0, e.n = e.t0.Add(time.Hour), 0
	e.append(1030)
	got := e.keys(e.cached, fragments.Selector{}, 0)
	if len(got) != 1030 {
		t.Fatalf("after re-creation: %d listed", len(got))
	}
	var in fragments.Info
	_ = e.cached.Fragments(bg, "cam", fragments.Selector{}, func(i fragments.Info) bool { in = i; return false })
	if !in.ProducerTime.Equal(e.t0) {
		t.Fatalf("after re-creation the first fragment starts at %v, want %v", in.ProducerTime, e.t0)
	}
}

// TestIndexOldRecords reads an index whose older records are JSON, as
// earlier builds wrote them, followed by binary ones.
func TestIndexOldRecords(t *testing.T) {
	e := newIndexEnv(t)
	old, err := os.ReadFile("testdata/record-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if res, err := e.core.PutRecords(bg, "cam", []streams.PutEntry{{PartitionKey: "f", Data: old}}); err != nil || res[0].Err != nil {
			t.Fatal(err, res)
		}
	}
	e.t0 = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) // after the old record
	e.append(2)
	for _, lib := range []*fragments.Library{e.direct, e.cached} {
		var got []fragments.Info
		if err := lib.Fragments(bg, "cam", fragments.Selector{}, func(in fragments.Info) bool { got = append(got, in); return true }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 5 || got[0].Key != "video/s-cam/1/fragments/0001.m4s" || got[0].Samples[2] != 94 ||
			len(got[2].Tracks) != 2 || got[2].Tracks[1].SampleRate != 48000 || got[3].Key != "k0" || got[4].Key != "k1" {
			t.Fatalf("%+v", got)
		}
		one, err := lib.Fragment(bg, "cam", got[1].Number)
		if err != nil || !reflect.DeepEqual(one, got[1]) {
			t.Fatalf("Fragment: %+v %v", one, err)
		}
		got[3].Number = ""
		if want := e.info(0); !reflect.DeepEqual(got[3], want) {
			t.Fatalf("binary record:\n got %+v\nwant %+v", got[3], want)
		}
	}
}
