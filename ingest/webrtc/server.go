package webrtc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"sync"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/ingest"
	"github.com/sluice-dev/sluice/ingest/relay"
)

// Recorder opens recording sessions; *ingest.Recorder is one.
type Recorder interface {
	// Open starts a recording session of stream with these tracks; see
	// ingest.Recorder.Open for its errors.
	Open(ctx context.Context, stream string, src ingest.Source, tracks []fragments.Track) (ingest.Session, error)
}

// Streams tells whether a video stream exists; *fragments.Library is one.
type Streams interface {
	// Describe returns the stream, or an error wrapping
	// streams.ErrNotFound when there is none.
	Describe(ctx context.Context, name string) (fragments.Stream, error)
}

// ender is the optional ability of an ingest.Session to end by itself
// (this node lost the stream's ownership): Ended is then closed.
type ender interface {
	Ended() <-chan struct{}
}

// keyframeRequester is the optional ability of an ingest.Session to pass
// keyframe requests from live viewers to its source.
type keyframeRequester interface {
	SetKeyframeRequester(func())
}

// Server serves WHIP publishers and WHEP viewers on one ICE UDP mux.
// Lifecycle: NewServer, Start, Close.
type Server struct {
	cfg     Config
	rec     Recorder
	rel     *relay.Relay
	streams Streams
	log     *slog.Logger

	api      *webrtc.API
	servers  []webrtc.ICEServer
	udpMux   ice.UDPMux
	udpAddrs []net.Addr
	tcpMux   ice.TCPMux
	tcpLn    net.Listener

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc

	mu       sync.Mutex
	sessions map[string]session // by resource ID
	started  bool
	closed   bool
}

// session is a WHIP or WHEP session as the server tracks it.
type session interface {
	// close ends the session and releases everything it holds; it is
	// safe to call more than once, and waits for the session's goroutines.
	close(reason string)
	kind() string // "whip" or "whep"
	streamName() string
	// patch applies a trickle-ICE fragment (RFC 8840) from the client.
	patch(frag string) error
	etag() string
}

// NewServer returns a Server that records WHIP publishers with rec and
// serves WHEP viewers from rel. rec nil disables WHIP, rel nil disables
// WHEP; streams (optional) lets WHEP tell an unknown stream (404) from one
// that is not live (409). It does nothing until Start.
func NewServer(cfg Config, rec Recorder, rel *relay.Relay, streams Streams) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{cfg: cfg, rec: rec, rel: rel, streams: streams, ctx: ctx, cancel: cancel, sessions: map[string]session{}}
}

// Start checks the configuration (every bad field at once), binds the ICE
// sockets and builds the pion API. A Server starts at most once.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.closed {
		return errors.New("webrtc: server already started or closed")
	}
	servers, err := s.cfg.check()
	if err != nil {
		return err
	}
	s.log = s.cfg.Logger
	for _, srv := range servers {
		is := webrtc.ICEServer{URLs: []string{srv.url}}
		if srv.username != "" {
			is.Username, is.Credential = srv.username, srv.password
		}
		s.servers = append(s.servers, is)
	}
	if err := s.listen(); err != nil {
		return err
	}
	if s.api, err = s.newAPI(); err != nil {
		s.closeSockets()
		return err
	}
	s.started = true
	names := make([]string, len(servers))
	for i, srv := range servers {
		names[i] = srv.String() // never the password
	}
	s.log.Info("webrtc: listening", "udp", addrStrings(s.udpAddrs), "tcp", s.cfg.TCPAddr,
		"public_ips", s.cfg.PublicIPs, "ice_servers", names)
	return nil
}

// Addr returns the UDP address of the ICE mux (its first socket when it
// listens on every local address), or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.udpAddrs) == 0 {
		return nil
	}
	return s.udpAddrs[0]
}

// Close ends every session (recordings are flushed, viewers disconnected),
// waits for their goroutines and closes the sockets. Safe to call more
// than once.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	all := make([]session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		all = append(all, ss)
	}
	s.mu.Unlock()
	s.cancel()
	for _, ss := range all {
		ss.close("server shutting down") // waits for the session's goroutines
	}
	s.closeSockets()
}

func (s *Server) closeSockets() {
	if s.tcpMux != nil {
		_ = s.tcpMux.Close()
	}
	if s.tcpLn != nil {
		_ = s.tcpLn.Close()
	}
	if s.udpMux != nil {
		_ = s.udpMux.Close()
	}
}

// Sessions returns the number of open WHIP and WHEP sessions.
func (s *Server) Sessions() (whip, whep int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ss := range s.sessions {
		if ss.kind() == "whip" {
			whip++
		} else {
			whep++
		}
	}
	return whip, whep
}

// add registers a session under its resource ID; errFull past
// MaxSessions, errClosed after Close.
func (s *Server) add(id string, ss session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.started {
		return errClosed
	}
	if len(s.sessions) >= s.cfg.MaxSessions {
		return errFull
	}
	s.sessions[id] = ss
	return nil
}

// reserve checks that a session could be added now (before the work of
// building it).
func (s *Server) reserve() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.started {
		return errClosed
	}
	if len(s.sessions) >= s.cfg.MaxSessions {
		return errFull
	}
	return nil
}

func (s *Server) remove(id string, ss session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions[id] == ss {
		delete(s.sessions, id)
	}
}

func (s *Server) lookup(id string) session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[id]
}

// newPeerConnection returns a peer connection with the configured ICE
// servers.
func (s *Server) newPeerConnection() (*webrtc.PeerConnection, error) {
	return s.api.NewPeerConnection(webrtc.Configuration{ICEServers: s.servers})
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func addrStrings(addrs []net.Addr) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}
