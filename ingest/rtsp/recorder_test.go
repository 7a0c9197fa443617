package rtsp

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/ingest"
)

// fakeRecorder is a Recorder that keeps every session and its units.
type fakeRecorder struct {
	mu       sync.Mutex
	openErr  map[string]error // per stream
	sessions []*fakeSession
	opened   chan *fakeSession
}

func newFakeRecorder() *fakeRecorder {
	return &fakeRecorder{openErr: map[string]error{}, opened: make(chan *fakeSession, 64)}
}

func (r *fakeRecorder) Open(_ context.Context, stream string, src ingest.Source, tracks []fragments.Track) (ingest.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.openErr[stream]; err != nil {
		return nil, err
	}
	if len(tracks) == 0 {
		return nil, ingest.ErrNoTracks
	}
	s := &fakeSession{stream: stream, src: src, tracks: tracks, units: make([][]fragments.Unit, len(tracks)), done: make(chan struct{})}
	r.sessions = append(r.sessions, s)
	select {
	case r.opened <- s:
	default:
	}
	return s, nil
}

func (r *fakeRecorder) setOpenErr(stream string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.openErr[stream] = err
}

func (r *fakeRecorder) all() []*fakeSession {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*fakeSession(nil), r.sessions...)
}

// waitOpen returns the next opened session.
func (r *fakeRecorder) waitOpen(t *testing.T, timeout time.Duration) *fakeSession {
	t.Helper()
	select {
	case s := <-r.opened:
		return s
	case <-time.After(timeout):
		t.Fatalf("no session opened within %v", timeout)
		return nil
	}
}

// fakeSession records units per track and counts Close calls.
type fakeSession struct {
	stream string
	src    ingest.Source
	tracks []fragments.Track

	mu         sync.Mutex
	units      [][]fragments.Unit
	closes     int
	afterClose int
	badTrack   int
	done       chan struct{}
}

func (s *fakeSession) Write(u fragments.Unit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closes > 0 {
		s.afterClose++
		return
	}
	if u.Track < 0 || u.Track >= len(s.units) {
		s.badTrack++
		return
	}
	s.units[u.Track] = append(s.units[u.Track], u)
}

func (s *fakeSession) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closes++
	if s.closes == 1 {
		close(s.done)
	}
}

// waitClosed waits for the first Close.
func (s *fakeSession) waitClosed(t *testing.T, timeout time.Duration) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(timeout):
		t.Fatalf("session %s not closed within %v", s.stream, timeout)
	}
}

func (s *fakeSession) snapshot() (units [][]fragments.Unit, closes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	units = make([][]fragments.Unit, len(s.units))
	for i := range s.units {
		units[i] = append([]fragments.Unit(nil), s.units[i]...)
	}
	return units, s.closes
}

// count returns the number of units of a track so far.
func (s *fakeSession) count(track int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if track >= len(s.units) {
		return 0
	}
	return len(s.units[track])
}

// check fails on writes to unknown tracks, writes after Close and more
// than one Close.
func (s *fakeSession) check(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.badTrack > 0 || s.afterClose > 0 || s.closes > 1 {
		t.Errorf("session %s: %d writes to unknown tracks, %d writes after Close, %d Closes", s.stream, s.badTrack, s.afterClose, s.closes)
	}
}
