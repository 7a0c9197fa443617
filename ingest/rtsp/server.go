package rtsp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v4"
)

// ServerConfig configures a Server. The zero value is valid: every field
// has a default.
type ServerConfig struct {
	// Addr is the TCP address for RTSP requests and interleaved RTP.
	// Default ":8554". Port 0 picks a free port (see Server.Addr).
	Addr string
	// UDPRTPAddr and UDPRTCPAddr are the UDP addresses of the UDP
	// transport. Defaults ":8000" and ":8001". The RTP port must be even
	// and the RTCP port the next one. A UDPRTPAddr with port 0 picks a
	// free pair on its host; UDPRTCPAddr must then be empty.
	UDPRTPAddr  string
	UDPRTCPAddr string
	// DisableUDP turns the UDP transport off: publishers must use TCP.
	DisableUDP bool
	// TLS, when set, makes this an RTSPS server (rtsps://): every
	// connection is TLS and only the TCP transport is offered (UDP would
	// carry the media in clear), whatever DisableUDP says.
	TLS *tls.Config
	// ReadTimeout closes a publisher that sends nothing (no request, no
	// RTP/RTCP) for this long. Default 10s.
	ReadTimeout time.Duration
	// WriteQueueSize is the size of the queue of outgoing packets per
	// session (RTCP receiver reports). Default 256; a power of two.
	WriteQueueSize int
	// Authenticate, when set, decides every ANNOUNCE: a non-nil error
	// refuses it with 401 (and a challenge when no credentials were sent).
	// It is the one place where credentials are checked. Nil: open.
	Authenticate func(req AuthRequest) error
	// Logger receives the server's logs. Default slog.Default().
	Logger *slog.Logger
}

// Server accepts RTSP publishers (ANNOUNCE, SETUP, RECORD) and records
// what they send through a Recorder. Lifecycle: NewServer, Start, Close.
type Server struct {
	cfg ServerConfig
	rec Recorder
	log *slog.Logger

	ctx    context.Context // cancelled by Close; given to Recorder.Open
	cancel context.CancelFunc

	mu      sync.Mutex
	srv     *gortsplib.Server
	addr    net.Addr
	started bool
	closed  bool
}

// NewServer returns a Server that records into rec. It does nothing until
// Start.
func NewServer(cfg ServerConfig, rec Recorder) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{cfg: cfg, rec: rec, log: cfg.Logger, ctx: ctx, cancel: cancel}
}

// Start checks the configuration (reporting every bad field at once),
// binds the TCP and UDP listeners and starts serving. A Server starts at
// most once.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.closed {
		return errors.New("rtsp: server already started or closed")
	}
	if err := s.checkConfig(); err != nil {
		return err
	}
	srv := &gortsplib.Server{
		Handler:        &handler{s: s},
		RTSPAddress:    s.cfg.Addr,
		ReadTimeout:    s.cfg.ReadTimeout,
		WriteQueueSize: s.cfg.WriteQueueSize,
		TLSConfig:      s.cfg.TLS,
	}
	var ln net.Listener
	srv.Listen = func(network, address string) (net.Listener, error) {
		l, err := net.Listen(network, address)
		ln = l
		return l, err
	}
	var pair *udpPair
	if !s.cfg.DisableUDP && s.cfg.TLS == nil {
		var err error
		if pair, err = bindUDP(s.cfg.UDPRTPAddr, s.cfg.UDPRTCPAddr); err != nil {
			return fmt.Errorf("rtsp: UDP: %w", err)
		}
		srv.UDPRTPAddress, srv.UDPRTCPAddress = pair.rtpAddr, pair.rtcpAddr
		srv.ListenPacket = pair.listenPacket
	}
	err := srv.Start()
	if pair != nil {
		pair.closeUnused()
	}
	if err != nil {
		return fmt.Errorf("rtsp: start: %w", err)
	}
	s.srv, s.addr, s.started = srv, ln.Addr(), true
	s.log.Info("rtsp: server listening", "addr", s.addr.String(), "udp", pair != nil, "tls", s.cfg.TLS != nil)
	return nil
}

// checkConfig fills the defaults and reports every bad field at once.
func (s *Server) checkConfig() error {
	c := &s.cfg
	if c.Addr == "" {
		c.Addr = ":8554"
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 10 * time.Second
	}
	if c.WriteQueueSize == 0 {
		c.WriteQueueSize = 256
	}
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("rtsp: ServerConfig.Addr %q: %w", c.Addr, err))
	}
	if c.ReadTimeout < 0 {
		errs = append(errs, fmt.Errorf("rtsp: ServerConfig.ReadTimeout %v: must be positive", c.ReadTimeout))
	}
	if c.WriteQueueSize < 0 || c.WriteQueueSize&(c.WriteQueueSize-1) != 0 {
		errs = append(errs, fmt.Errorf("rtsp: ServerConfig.WriteQueueSize %d: must be a power of two", c.WriteQueueSize))
	}
	if !c.DisableUDP && c.TLS == nil {
		errs = append(errs, checkUDPConfig(c)...)
	}
	return errors.Join(errs...)
}

// checkUDPConfig fills the UDP defaults and checks the ports.
func checkUDPConfig(c *ServerConfig) []error {
	if c.UDPRTPAddr == "" && c.UDPRTCPAddr == "" {
		c.UDPRTPAddr, c.UDPRTCPAddr = ":8000", ":8001"
	}
	_, rtp, err := splitPort(c.UDPRTPAddr)
	if err != nil {
		return []error{fmt.Errorf("rtsp: ServerConfig.UDPRTPAddr %q: %w", c.UDPRTPAddr, err)}
	}
	if rtp == 0 {
		if c.UDPRTCPAddr != "" {
			return []error{fmt.Errorf("rtsp: ServerConfig.UDPRTCPAddr %q: must be empty when UDPRTPAddr has port 0", c.UDPRTCPAddr)}
		}
		return nil
	}
	var errs []error
	if rtp%2 != 0 {
		errs = append(errs, fmt.Errorf("rtsp: ServerConfig.UDPRTPAddr %q: port must be even", c.UDPRTPAddr))
	}
	_, rtcp, err := splitPort(c.UDPRTCPAddr)
	if err != nil {
		errs = append(errs, fmt.Errorf("rtsp: ServerConfig.UDPRTCPAddr %q: %w", c.UDPRTCPAddr, err))
	} else if rtcp != rtp+1 {
		errs = append(errs, fmt.Errorf("rtsp: ServerConfig.UDPRTCPAddr %q: port must be UDPRTPAddr's port + 1", c.UDPRTCPAddr))
	}
	return errs
}

func splitPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	return host, int(port), nil
}

// Addr returns the bound TCP address, or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Close stops the server: it closes every connection, closes every
// ingest session (each exactly once) and waits for all of its goroutines.
// It is safe to call more than once, and before Start.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	srv := s.srv
	s.mu.Unlock()
	s.cancel()
	if srv != nil {
		srv.Close()
	}
}
