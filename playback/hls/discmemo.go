package hls

import (
	"sync"
	"time"
)

// discMemo keeps the discontinuity sequence numbers (cc) of the entries of
// sliding playlists (LIVE sessions), by MSN, so that
// EXT-X-DISCONTINUITY-SEQUENCE grows by one each time a discontinuity
// leaves the window, as RFC 8216 6.2.2 requires. Windows only slide
// forward: an entry's cc is fixed by the first playlist that listed it.
// Safe for concurrent use; keys idle for liveIdle are dropped.
type discMemo struct {
	mu sync.Mutex
	m  map[string]*discWindow
}

type discWindow struct {
	cc   map[uint64]uint64 // by MSN
	used time.Time
}

func newDiscMemo() *discMemo { return &discMemo{m: map[string]*discWindow{}} }

// sequence returns the discontinuity sequence of the playlist whose
// entries are es (the first entry's tag is never written), and remembers
// the entries' cc.
func (d *discMemo) sequence(key string, es []Entry, now time.Time) uint64 {
	if len(es) == 0 {
		return 0
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	w := d.m[key]
	if w == nil {
		for k, o := range d.m {
			if now.Sub(o.used) > liveIdle {
				delete(d.m, k)
			}
		}
		w = &discWindow{cc: map[uint64]uint64{}}
		d.m[key] = w
	}
	w.used = now
	// The first entry already numbered fixes the base.
	var base uint64
	tags := uint64(0)
	for i, e := range es {
		if i > 0 && e.Disc {
			tags++
		}
		if cc, ok := w.cc[e.MSN]; ok {
			if cc >= tags {
				base = cc - tags
			}
			break
		}
	}
	cc := base
	for i, e := range es {
		if i > 0 && e.Disc {
			cc++
		}
		if _, ok := w.cc[e.MSN]; !ok {
			w.cc[e.MSN] = cc
		}
	}
	first := es[0].MSN
	for msn := range w.cc {
		if msn < first {
			delete(w.cc, msn)
		}
	}
	return base
}
