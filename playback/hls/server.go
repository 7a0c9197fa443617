package hls

import (
	"log/slog"
	"sync"
	"time"

	"github.com/sluice-dev/sluice/playback"
)

// Config configures a Server. The zero value is valid.
type Config struct {
	// Logger receives server-side failures. Default slog.Default().
	Logger *slog.Logger
	// TS converts an fMP4 init segment and fragments to one MPEG-TS
	// segment (for MPEG_TS sessions). Default: remux.TS.
	TS func(init []byte, media ...[]byte) ([]byte, error)
	// PartSegments is how many of the newest segments list their parts in
	// LL-HLS playlists (besides the one being written). Default 2.
	PartSegments int
	// MaxBlock bounds a blocking playlist reload or part request whatever
	// the target duration. Default 10s.
	MaxBlock time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Server serves HLS playlists and media of the streams of one Source. It
// keeps small per-stream state for live numbering (see liveState) and is
// safe for concurrent use.
type Server struct {
	src *playback.Source
	cfg Config
	log *slog.Logger

	mu   sync.Mutex
	live map[string]*liveState
	disc *discMemo
}

// liveIdle: a stream's live numbering not used for this long is dropped
// (a new one continues above it, see liveState).
const liveIdle = 10 * time.Minute

// New returns a Server reading src.
func New(src *playback.Source, cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TS == nil {
		cfg.TS = remuxTS
	}
	if cfg.PartSegments <= 0 {
		cfg.PartSegments = 2
	}
	if cfg.MaxBlock <= 0 {
		cfg.MaxBlock = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Server{src: src, cfg: cfg, log: cfg.Logger.With("component", "hls"), live: map[string]*liveState{}, disc: newDiscMemo()}
}

// Now is the server's clock (Config.Now).
func (s *Server) Now() time.Time { return s.cfg.Now() }

// Source returns the source the server reads.
func (s *Server) Source() *playback.Source { return s.src }

// liveState returns the stream's live numbering, making it on first use.
func (s *Server) liveState(stream string) *liveState {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.live[stream]
	now := s.cfg.Now()
	if st == nil {
		for name, o := range s.live {
			o.mu.Lock()
			idle := now.Sub(o.used) > liveIdle
			o.mu.Unlock()
			if idle {
				delete(s.live, name)
			}
		}
		st = newLiveState(now)
		s.live[stream] = st
	}
	return st
}
