package rtsp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v4/pkg/base"
)

// PullerConfig configures a Puller. The zero value is valid.
type PullerConfig struct {
	// ReadTimeout drops a camera that sends nothing for this long (and
	// bounds connecting and each RTSP request). Default 5s.
	ReadTimeout time.Duration
	// BackoffMin is the delay before the first reconnection; each failed
	// attempt doubles it, up to BackoffMax; a session that delivered media
	// resets it. Each delay is drawn between half of and the full value.
	// Defaults 1s and 10s.
	BackoffMin time.Duration
	BackoffMax time.Duration
	// Logger receives the puller's logs. Default slog.Default(). Camera
	// passwords never reach it.
	Logger *slog.Logger
	// OutboundAllow are the networks cameras may be connected to. A
	// camera's host is resolved at every connection (DNS answers change)
	// and every address must be in one of them, else the attempt fails
	// with an *OutboundError (shown as the camera's LastError); a host
	// that is an address literal outside them is refused by Add. A UDP
	// source address that a camera names in its SETUP answer is checked
	// too. Nil allows every address; empty allows none.
	OutboundAllow []netip.Prefix
	// LookupNetIP resolves camera host names when OutboundAllow is set.
	// Default net.DefaultResolver.LookupNetIP. A test hook.
	LookupNetIP func(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Camera is an RTSP source to pull from.
type Camera struct {
	// Stream is the stream it records to (same rules as a push stream name).
	Stream string
	// URL is rtsp://[user:pass@]host[:port]/path (rtsps too). The
	// credentials answer Basic and Digest challenges.
	URL string
	// Transport is "tcp", "udp", or "" for automatic (UDP, then TCP if no
	// UDP packet arrives).
	Transport string
}

// Camera states.
const (
	StateConnecting = "connecting" // connecting, describing, setting up
	StateStreaming  = "streaming"  // playing: media is being recorded
	StateBackoff    = "backoff"    // waiting before the next attempt
)

// CameraStatus describes a camera. It never contains its password.
type CameraStatus struct {
	Stream string
	// URL is the camera URL without its password (the user is kept).
	URL string
	// Transport is the configured transport: "tcp", "udp" or "auto".
	Transport string
	State     string
	// LastError is why the last attempt ended (passwords removed), empty
	// before the first failure.
	LastError string
	// Since is when State began.
	Since time.Time
}

var (
	// ErrCameraExists is returned by Add when a camera already feeds the stream.
	ErrCameraExists = errors.New("rtsp: a camera already feeds this stream")
	// ErrClosed is returned by Add after Close.
	ErrClosed = errors.New("rtsp: puller closed")
	// ErrBadCamera: a camera's stream name, URL or transport is not valid.
	// The message never contains the password.
	ErrBadCamera = errors.New("rtsp: bad camera")
)

// Puller keeps IP cameras connected and records them: one goroutine per
// camera connects (DESCRIBE, SETUP, PLAY), opens an ingest session with the
// supported tracks, feeds it, and on any loss (error, end of stream,
// ReadTimeout of silence) closes the session and reconnects after a
// backoff. Lifecycle: NewPuller, Add/Remove, Close. Safe for concurrent use.
type Puller struct {
	cfg    PullerConfig
	cfgErr error
	rec    Recorder
	log    *slog.Logger
	out    outbound

	mu     sync.Mutex
	cams   map[string]*camera
	closed bool
}

// NewPuller returns a Puller recording into rec. A bad configuration is
// reported by every Add.
func NewPuller(cfg PullerConfig, rec Recorder) *Puller {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 5 * time.Second
	}
	if cfg.BackoffMin == 0 {
		cfg.BackoffMin = time.Second
	}
	if cfg.BackoffMax == 0 {
		cfg.BackoffMax = max(10*time.Second, cfg.BackoffMin)
	}
	var errs []error
	if cfg.ReadTimeout < 0 {
		errs = append(errs, fmt.Errorf("rtsp: PullerConfig.ReadTimeout %v: must be positive", cfg.ReadTimeout))
	}
	if cfg.BackoffMin < 0 {
		errs = append(errs, fmt.Errorf("rtsp: PullerConfig.BackoffMin %v: must be positive", cfg.BackoffMin))
	}
	for i, n := range cfg.OutboundAllow {
		if !n.IsValid() {
			errs = append(errs, fmt.Errorf("rtsp: PullerConfig.OutboundAllow[%d]: not a valid network", i))
		}
	}
	if cfg.LookupNetIP == nil {
		cfg.LookupNetIP = net.DefaultResolver.LookupNetIP
	}
	if cfg.BackoffMax < cfg.BackoffMin {
		errs = append(errs, fmt.Errorf("rtsp: PullerConfig.BackoffMax %v: must be at least BackoffMin (%v)", cfg.BackoffMax, cfg.BackoffMin))
	}
	return &Puller{cfg: cfg, cfgErr: errors.Join(errs...), rec: rec, log: cfg.Logger, cams: map[string]*camera{},
		out: outbound{allow: cfg.OutboundAllow, lookup: cfg.LookupNetIP}}
}

// Add starts pulling a camera. Errors: a bad stream name, URL or
// transport (ErrBadCamera; the message never contains the password), an
// address literal outside PullerConfig.OutboundAllow (ErrOutboundRefused),
// ErrCameraExists, ErrClosed.
func (p *Puller) Add(c Camera) error {
	cam, err := p.check(c)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if _, ok := p.cams[c.Stream]; ok {
		return fmt.Errorf("%w: %q", ErrCameraExists, c.Stream)
	}
	p.cams[c.Stream] = cam
	ctx, cancel := context.WithCancel(context.Background())
	cam.cancel = cancel
	go cam.run(ctx, p)
	p.log.Info("rtsp: camera added", "stream", c.Stream, "url", cam.status().URL)
	return nil
}

// Check reports the error that Add would return for c before starting
// anything (but ErrCameraExists and ErrClosed).
func (p *Puller) Check(c Camera) error {
	_, err := p.check(c)
	return err
}

func (p *Puller) check(c Camera) (*camera, error) {
	if p.cfgErr != nil {
		return nil, p.cfgErr
	}
	cam, err := newCamera(c)
	if err != nil {
		return nil, err
	}
	if err := p.out.checkLiteral((*url.URL)(cam.u).Hostname()); err != nil {
		return nil, fmt.Errorf("camera %q: %w", c.Stream, err)
	}
	return cam, nil
}

// Remove stops pulling the camera of stream and waits until its ingest
// session is closed. It does nothing for an unknown stream.
func (p *Puller) Remove(stream string) {
	p.mu.Lock()
	cam := p.cams[stream]
	delete(p.cams, stream)
	p.mu.Unlock()
	if cam != nil {
		cam.stop()
		p.log.Info("rtsp: camera removed", "stream", stream)
	}
}

// List returns the status of every camera, by stream name.
func (p *Puller) List() []CameraStatus {
	p.mu.Lock()
	out := make([]CameraStatus, 0, len(p.cams))
	for _, c := range p.cams {
		out = append(out, c.status())
	}
	p.mu.Unlock()
	slices.SortFunc(out, func(a, b CameraStatus) int {
		switch {
		case a.Stream < b.Stream:
			return -1
		case a.Stream > b.Stream:
			return 1
		}
		return 0
	})
	return out
}

// Close stops every camera and waits for their goroutines; every open
// ingest session is closed. Add fails afterwards. Safe to call twice.
func (p *Puller) Close() {
	p.mu.Lock()
	p.closed = true
	cams := p.cams
	p.cams = map[string]*camera{}
	p.mu.Unlock()
	for _, c := range cams {
		c.cancel()
	}
	for _, c := range cams {
		c.stop()
	}
}

// parseCamera checks a camera and parses its URL.
func parseCamera(c Camera) (*base.URL, error) {
	if err := checkStreamName(c.Stream); err != nil {
		return nil, &cameraError{fmt.Sprintf("rtsp: camera: %v", err)}
	}
	switch c.Transport {
	case "", "tcp", "udp":
	default:
		return nil, &cameraError{fmt.Sprintf("rtsp: camera %q: unknown transport: want \"tcp\", \"udp\" or \"\" (automatic)", c.Stream)}
	}
	// url.Parse errors quote the URL, password included: never show them
	u, err := base.ParseURL(c.URL)
	if err != nil || u.Host == "" {
		return nil, &cameraError{fmt.Sprintf("rtsp: camera %q: the URL does not parse as rtsp://[user:pass@]host[:port]/path (check the scheme and the escaping of special characters)", c.Stream)}
	}
	return u, nil
}

// cameraError is a bad camera; it matches ErrBadCamera.
type cameraError struct{ msg string }

func (e *cameraError) Error() string        { return e.msg }
func (e *cameraError) Is(target error) bool { return target == ErrBadCamera }
