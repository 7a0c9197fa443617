package fragments

import (
	"slices"
	"sync"
	"time"
)

// Hub keeps the live edge of every stream in memory: the parts of the
// fragment being written and the last closed fragments. Playback reads it
// for live HLS/LL-HLS and for the seam with the archive; a stream with
// retention 0 exists only here. It is safe for concurrent use.
//
// Memory: the bytes of the open fragment's parts are held, but for a
// stream nobody read in the last minute when they were spilled (Part.Spill:
// written to the spool, from where readers take them). Those of
// a closed fragment are held while it is not archived (retention 0, or
// storage still writing) and, once archived, only while the stream has
// readers (a View in the last minute) and the fragment ends within
// WatchedBytes of the newest closed fragment's end: what LL-HLS players at
// the live edge load part by part. Otherwise only its metadata stays (for
// the keep window, and at least 3 fragments) and readers take the bytes
// from the archive.
type Hub struct {
	keep   time.Duration
	onView func(stream string)
	mu     sync.Mutex
	m      map[string]*liveStream
}

// readerWindow: a stream viewed this recently keeps its newest closed
// fragments' bytes in memory.
const readerWindow = time.Minute

// WatchedBytes is how much of a watched stream's archived closed
// fragments keep their part bytes in memory, newest first (a fragment
// that ends within it of the newest end): with 1 s, the newest closed
// fragment only. LL-HLS players hold back a few parts (PART-HOLD-BACK,
// 0.6 s) from the live edge, inside the open fragment or the one just
// closed; one that falls further behind loads whole segments from the
// archive.
const WatchedBytes = time.Second

// LiveFragment is a fragment on the live edge: open (Closed nil, Parts
// growing) or closed.
type LiveFragment struct {
	Session string
	Index   int
	Init    *Init
	Parts   []*Part
	Closed  *Fragment // nil while the fragment is being written
	Number  string    // fragment number once indexed, else ""
}

// View is a snapshot of a stream's live edge. Its slices must not be
// changed.
type View struct {
	Live      bool // a publisher is connected
	Session   string
	Since     time.Time
	Fragments []*LiveFragment // oldest first; the last may be open
	Updated   <-chan struct{} // closed at the next change
}

type liveStream struct {
	live    bool
	session string
	since   time.Time
	frags   []*LiveFragment
	changed chan struct{}
	readAt  time.Time // last View
}

func (s *liveStream) watched() bool { return time.Since(s.readAt) < readerWindow }

// dropBytes forgets a closed fragment's part bytes (they are archived).
// It replaces f.Parts with a new slice: Views share the old backing array
// and go on reading it.
func dropBytes(f *LiveFragment) {
	held := false
	for _, p := range f.Parts {
		held = held || p.Held()
	}
	if !held {
		return
	}
	parts := make([]*Part, len(f.Parts))
	for i, p := range f.Parts {
		if p.Held() {
			c := *p
			c.Bytes, c.Spill = nil, nil
			p = &c
		}
		parts[i] = p
	}
	f.Parts = parts
}

// NewHub returns a hub keeping about keep of closed fragments per stream
// (default 10s, and at least the last 3 fragments).
func NewHub(keep time.Duration) *Hub {
	if keep <= 0 {
		keep = 10 * time.Second
	}
	return &Hub{keep: keep, m: map[string]*liveStream{}}
}

func (h *Hub) stream(name string) *liveStream {
	s := h.m[name]
	if s == nil {
		s = &liveStream{changed: make(chan struct{})}
		h.m[name] = s
	}
	return s
}

func (s *liveStream) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Publish marks the start of a session on a stream.
func (h *Hub) Publish(stream, session string, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.stream(stream)
	s.live, s.session, s.since = true, session, now
	s.notify()
}

// Unpublish marks the end of a session (if it is still the stream's).
func (h *Hub) Unpublish(stream, session string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.m[stream]
	if s == nil || s.session != session {
		return
	}
	s.live = false
	s.notify()
}

// AddPart appends a part to its fragment, opening the fragment if needed.
func (h *Hub) AddPart(stream string, p *Part) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.stream(stream)
	f := s.find(p.Session, p.Fragment)
	if f == nil {
		f = &LiveFragment{Session: p.Session, Index: p.Fragment, Init: p.Init}
		s.frags = append(s.frags, f)
	}
	if p.Spill != nil && p.Bytes != nil && !s.watched() {
		// Nobody reads the stream: its bytes are read back from the spill
		// by the first reader; those of the next parts are then held.
		c := *p
		c.Bytes = nil
		p = &c
	}
	f.Parts = append(f.Parts, p)
	s.notify()
}

// CloseFragment records that a fragment is complete.
func (h *Hub) CloseFragment(stream string, fr *Fragment) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.stream(stream)
	f := s.find(fr.Session, fr.Index)
	if f == nil {
		f = &LiveFragment{Session: fr.Session, Index: fr.Index, Init: fr.Init}
		s.frags = append(s.frags, f)
	}
	meta := *fr
	meta.Parts = nil // the bytes stay with the parts (and with the archive queue)
	f.Closed = &meta
	h.trim(s)
	s.notify()
}

// Indexed records the fragment number an archived fragment received.
func (h *Hub) Indexed(stream, session string, index int, number string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.m[stream]
	if s == nil {
		return
	}
	if f := s.find(session, index); f != nil {
		f.Number = number
		if !s.watched() {
			dropBytes(f)
		}
		h.trim(s)
		s.notify()
	}
}

// OnView sets a function that View calls first, outside the hub's lock,
// with the stream about to be read: a node that mirrors other nodes' live
// edges (package edge) learns there that a stream has readers, and may
// block briefly to fill the hub before the read. Set it before the hub is
// used; fn must not call View.
func (h *Hub) OnView(fn func(stream string)) { h.onView = fn }

// State returns a stream's current session and whether a publisher is
// connected, without counting as a read (no OnView call, no reader mark).
func (h *Hub) State(stream string) (session string, live bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := h.m[stream]; s != nil {
		return s.session, s.live
	}
	return "", false
}

// View returns a snapshot of a stream's live edge.
func (h *Hub) View(stream string) View {
	if h.onView != nil {
		h.onView(stream)
	}
	h.mu.Lock()
	s := h.stream(stream)
	if !s.watched() {
		s.readAt = time.Now()
		h.unspill(s) // unlocks and locks h.mu again
	}
	defer h.mu.Unlock()
	s.readAt = time.Now()
	frags := make([]*LiveFragment, len(s.frags))
	for i, f := range s.frags {
		c := *f
		c.Parts = f.Parts[:len(f.Parts):len(f.Parts)]
		frags[i] = &c
	}
	return View{Live: s.live, Session: s.session, Since: s.since, Fragments: frags, Updated: s.changed}
}

// unspill reads back into memory the spilled parts of a stream that was
// not read until now, as it becomes read: its spool files go away soon
// after their fragments close (uploaded), while LL-HLS players go on
// loading those parts for a while. A part that cannot be read back any
// more is no longer held (players load its segment from the archive).
// Called with h.mu held; it releases h.mu while it reads.
func (h *Hub) unspill(s *liveStream) {
	type spilled struct {
		f *LiveFragment
		p *Part
	}
	var todo []spilled
	for _, f := range s.frags {
		for _, p := range f.Parts {
			if p.Bytes == nil && p.Spill != nil {
				todo = append(todo, spilled{f, p})
			}
		}
	}
	if len(todo) == 0 {
		return
	}
	h.mu.Unlock()
	read := make(map[*Part]*Part, len(todo))
	for _, t := range todo {
		c := *t.p
		c.Bytes, _ = t.p.Data()
		if c.Bytes == nil {
			c.Spill = nil
		}
		read[t.p] = &c
	}
	h.mu.Lock()
	for _, f := range s.frags {
		var parts []*Part // a new slice: Views share the old one
		for i, p := range f.Parts {
			if r, ok := read[p]; ok {
				if parts == nil {
					parts = slices.Clone(f.Parts)
				}
				parts[i] = r
			}
		}
		if parts != nil {
			f.Parts = parts
		}
	}
}

// Bytes is what the hub holds of media in memory now: the part bytes of
// the streams' open fragments and of the closed ones it keeps (not those
// spilled).
func (h *Hub) Bytes() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var n int64
	for _, s := range h.m {
		for _, f := range s.frags {
			for _, p := range f.Parts {
				n += int64(len(p.Bytes))
			}
		}
	}
	return n
}

// Forget drops a stream (when it is deleted).
func (h *Hub) Forget(stream string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := h.m[stream]; s != nil {
		s.notify()
		delete(h.m, stream)
	}
}

func (s *liveStream) find(session string, index int) *LiveFragment {
	for i := len(s.frags) - 1; i >= 0; i-- {
		if f := s.frags[i]; f.Session == session && f.Index == index {
			return f
		}
	}
	return nil
}

// trim drops closed fragments beyond the keep window, keeping at least 3,
// and the part bytes of archived ones beyond WatchedBytes.
func (h *Hub) trim(s *liveStream) {
	var held time.Duration
	cut := 0
	for i := len(s.frags) - 1; i >= 0; i-- {
		f := s.frags[i]
		if f.Closed == nil {
			continue
		}
		if held >= WatchedBytes && f.Number != "" {
			dropBytes(f)
		}
		held += f.Closed.Duration
		if held > h.keep && len(s.frags)-i > 3 {
			cut = i
			break
		}
	}
	if cut > 0 {
		s.frags = append([]*LiveFragment(nil), s.frags[cut:]...)
	}
}
