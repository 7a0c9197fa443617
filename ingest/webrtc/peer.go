package webrtc

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
)

// peer is what WHIP and WHEP sessions share: the peer connection, its
// lifetime (connect and disconnect timeouts, close once), the goroutines
// that must end before the session's resources are released, and
// trickle ICE.
type peer struct {
	srv    *Server
	kindID string // "whip" or "whep"
	stream string
	remote string // HTTP client address
	log    *slog.Logger
	pc     *webrtc.PeerConnection
	tag    string // ETag of the ICE session

	ctx    context.Context // cancelled when the session closes
	cancel context.CancelFunc

	up        chan struct{} // closed when first connected
	upOnce    sync.Once
	id        string  // resource ID
	self      session // what was registered, nil before
	connected atomic.Bool

	mu           sync.Mutex // guards closed, the timers and wg.Add
	closed       bool
	wg           sync.WaitGroup
	connectTimer *time.Timer
	discTimer    *time.Timer
	closeOnce    sync.Once
	onClose      func() // releases the session's own resources, after its goroutines ended
}

func newPeer(srv *Server, kind, stream, remote string, pc *webrtc.PeerConnection) *peer {
	ctx, cancel := context.WithCancel(srv.ctx)
	id := newID()
	p := &peer{srv: srv, up: make(chan struct{}), kindID: kind, stream: stream, remote: remote, pc: pc, ctx: ctx, cancel: cancel, id: id,
		tag: `"` + newID() + `"`, log: srv.log.With("kind", kind, "stream", stream, "session", id, "remote", remote)}
	pc.OnConnectionStateChange(p.onState) // pion calls it on its own goroutine
	return p
}

func (p *peer) kind() string       { return p.kindID }
func (p *peer) streamName() string { return p.stream }
func (p *peer) etag() string       { return p.tag }

// register adds the session to the server and starts the connect timer.
func (p *peer) register(ss session) error {
	if err := p.srv.add(p.id, ss); err != nil {
		return err
	}
	p.mu.Lock()
	p.self = ss
	if !p.closed && !p.connected.Load() {
		p.connectTimer = time.AfterFunc(p.srv.cfg.ConnectTimeout, func() {
			p.close(fmt.Sprintf("not connected within %v", p.srv.cfg.ConnectTimeout))
		})
	}
	p.mu.Unlock()
	return nil
}

// goTracked runs fn on a goroutine the session waits for when it closes;
// it reports false (and does not run fn) once the session is closed.
func (p *peer) goTracked(fn func()) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		fn()
	}()
	return true
}

func (p *peer) onState(st webrtc.PeerConnectionState) {
	switch st {
	case webrtc.PeerConnectionStateConnected:
		p.connected.Store(true)
		p.upOnce.Do(func() { close(p.up) })
		p.mu.Lock()
		stopTimer(p.connectTimer)
		stopTimer(p.discTimer)
		p.discTimer = nil
		p.mu.Unlock()
		p.log.Info("webrtc: connected")
	case webrtc.PeerConnectionStateDisconnected:
		p.mu.Lock()
		if !p.closed && p.discTimer == nil {
			p.discTimer = time.AfterFunc(p.srv.cfg.DisconnectTimeout, func() { p.close("peer stopped answering") })
		}
		p.mu.Unlock()
	case webrtc.PeerConnectionStateFailed:
		p.close("ICE or DTLS failed")
	case webrtc.PeerConnectionStateClosed:
		p.close("peer connection closed")
	}
}

// close ends the session: the peer connection closes (which ends its
// readers), the session's goroutines are waited for, then onClose
// releases the rest. Safe to call more than once and from any goroutine
// but the session's own tracked ones (they use closeAsync).
func (p *peer) close(reason string) {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		stopTimer(p.connectTimer)
		stopTimer(p.discTimer)
		p.mu.Unlock()
		p.cancel()
		if err := p.pc.Close(); err != nil {
			p.log.Debug("webrtc: closing the peer connection", "err", err)
		}
		p.wg.Wait()
		if p.onClose != nil {
			p.onClose()
		}
		p.mu.Lock()
		self := p.self
		p.mu.Unlock()
		if self != nil {
			p.srv.remove(p.id, self)
		}
		p.log.Info("webrtc: session ended", "reason", reason)
	})
}

// closeAsync closes the session from one of its own goroutines.
func (p *peer) closeAsync(reason string) { go p.close(reason) }

// patch applies a trickle-ICE SDP fragment (RFC 8840, as RFC 9725 uses
// it): its candidates are added; an ICE restart (new ufrag) is refused.
func (p *peer) patch(frag string) error {
	remote := p.pc.RemoteDescription()
	if remote == nil {
		return httpErr(409, "the session has no remote description")
	}
	ufrag := sdpValue(remote.SDP, "ice-ufrag")
	mid := ""
	if ms := strings.Split(remote.SDP, "\nm="); len(ms) > 1 {
		mid = sdpValue("m="+ms[1], "mid")
	}
	var added int
	for _, line := range strings.Split(strings.ReplaceAll(frag, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "a=ice-ufrag:"):
			if v := strings.TrimPrefix(line, "a=ice-ufrag:"); v != ufrag {
				return httpErr(422, "ICE restarts are not supported: start a new session")
			}
		case strings.HasPrefix(line, "a=mid:"):
			mid = strings.TrimPrefix(line, "a=mid:")
		case strings.HasPrefix(line, "a=candidate:"):
			m := mid
			if err := p.pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: strings.TrimPrefix(line, "a="), SDPMid: &m}); err != nil {
				return httpErr(400, "bad candidate %q: %v", line, err)
			}
			added++
		}
	}
	p.log.Debug("webrtc: trickle ICE", "candidates", added)
	return nil
}

// sdpValue returns the first "a=key:value" value of an SDP text.
func sdpValue(s, key string) string {
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "a="+key+":"); ok {
			return v
		}
	}
	return ""
}

// answer creates the local answer and waits until its candidates are
// gathered (the answer carries them all: the server never trickles).
func (p *peer) answer(ctx context.Context) (string, error) {
	answer, err := p.pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(answer); err != nil {
		return "", err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", ctx.Err()
	case <-time.After(10 * time.Second):
		p.log.Warn("webrtc: ICE gathering incomplete after 10s; answering with what was gathered")
	}
	return p.pc.LocalDescription().SDP, nil
}

func stopTimer(t *time.Timer) {
	if t != nil {
		t.Stop()
	}
}
