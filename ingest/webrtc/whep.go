package webrtc

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/ingest/relay"
	"github.com/sluice-dev/sluice/streams"
)

// whepSession is one WHEP viewer: the stream's relayed access units are
// packetized and sent as RTP, nothing is re-muxed.
type whepSession struct {
	*peer
	sub    *relay.Subscription
	out    map[int]*outTrack // by the stream's track index
	byKind map[string]*outTrack
}

// startWHEP answers a WHEP offer for the live stream.
func (s *Server) startWHEP(ctx context.Context, stream, offer, remote string) (*whepSession, string, error) {
	if s.rel == nil {
		return nil, "", httpErr(http.StatusNotFound, "WHEP viewing is not enabled on this server")
	}
	ms, err := parseOffer(offer)
	if err != nil {
		return nil, "", httpErr(http.StatusBadRequest, "not an SDP offer: %v", err)
	}
	if !receives(ms) {
		return nil, "", httpErr(http.StatusUnprocessableEntity, "the offer receives no audio or video")
	}
	if err := s.reserve(); err != nil {
		return nil, "", err
	}
	sub, err := s.rel.Subscribe(stream)
	if errors.Is(err, relay.ErrNotLive) {
		return nil, "", s.notLive(ctx, stream)
	}
	if err != nil {
		return nil, "", err
	}
	plans, notes := planWHEP(sub.Tracks(), ms)
	if sub.Reordered() {
		plans, notes = withoutVideo(plans, notes)
	}
	if len(plans) == 0 {
		sub.Close()
		return nil, "", httpErr(http.StatusUnprocessableEntity, "nothing of stream %s can be sent to this viewer: %s",
			stream, strings.Join(notes, "; "))
	}
	pc, err := s.newPeerConnection()
	if err != nil {
		sub.Close()
		return nil, "", err
	}
	w := &whepSession{sub: sub, out: map[int]*outTrack{}, byKind: map[string]*outTrack{}}
	w.peer = newPeer(s, "whep", stream, remote, pc)
	w.onClose = w.release
	fail := func(err error) (*whepSession, string, error) {
		w.close("refused: " + err.Error())
		return nil, "", err
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return fail(httpErr(http.StatusBadRequest, "offer refused: %v", err))
	}
	tracks := sub.Tracks()
	var senders []*webrtc.RTPSender
	for _, p := range plans {
		sender, err := w.addTrack(p, tracks[p.track])
		if err != nil {
			return fail(err)
		}
		senders = append(senders, sender)
	}
	// Sections nothing is sent in are rejected in the answer.
	for _, tr := range pc.GetTransceivers() {
		used := false
		for _, s := range senders {
			used = used || tr.Sender() == s
		}
		if !used {
			if err := tr.Stop(); err != nil {
				return fail(err)
			}
		}
	}
	answer, err := w.answer(ctx)
	if err != nil {
		return fail(err)
	}
	if err := w.register(w); err != nil {
		return fail(err)
	}
	w.goTracked(w.run)
	for _, n := range notes {
		w.log.Info("whep: " + n)
	}
	return w, answer, nil
}

// release ends the subscription (onClose, after the session's goroutines).
func (w *whepSession) release() {
	w.sub.Close()
	args := []any{"dropped_by_relay", w.sub.Dropped()}
	for _, o := range w.out {
		args = append(args, strings.ToLower(o.name)+"_units", o.sent, strings.ToLower(o.name)+"_errors", o.errors)
	}
	w.log.Debug("whep: viewer stats", args...)
}

// receives reports whether an offer receives audio or video.
func receives(ms []media) bool {
	for _, m := range ms {
		if (m.kind == "audio" || m.kind == "video") && (m.dir == "recvonly" || m.dir == "sendrecv") {
			return true
		}
	}
	return false
}

// notLive is the error for a stream without a publisher: 404 when the
// stream does not exist (as far as Streams can tell), 409 otherwise.
func (s *Server) notLive(ctx context.Context, stream string) error {
	if s.streams != nil {
		_, err := s.streams.Describe(ctx, stream)
		switch {
		case errors.Is(err, streams.ErrNotFound) || errors.Is(err, fragments.ErrNotFound):
			return httpErr(http.StatusNotFound, "no stream named %s", stream)
		case err == nil:
			return httpErr(http.StatusConflict, "stream %s is not live: nobody is publishing it now", stream)
		}
	}
	return httpErr(http.StatusNotFound, "stream %s is not live", stream)
}

// addTrack sends track t in the offer's section p.mid, answered with the
// one payload format chosen.
func (w *whepSession) addTrack(p outPlan, t fragments.Track) (*webrtc.RTPSender, error) {
	cp := p.codec.parameters(p.kind)
	local, err := webrtc.NewTrackLocalStaticRTP(cp.RTPCodecCapability, p.kind, "sluice-"+w.stream)
	if err != nil {
		return nil, err
	}
	// AddTrack takes the first section of the kind that can send, as
	// planWHEP did.
	sender, err := w.pc.AddTrack(local)
	if err != nil {
		return nil, err
	}
	var tr *webrtc.RTPTransceiver
	for _, c := range w.pc.GetTransceivers() {
		if c.Sender() == sender {
			tr = c
		}
	}
	if tr == nil {
		return nil, httpErr(http.StatusBadRequest, "no section of the offer receives %s", p.kind)
	}
	if err := tr.SetCodecPreferences([]webrtc.RTPCodecParameters{cp}); err != nil {
		return nil, httpErr(http.StatusUnprocessableEntity, "cannot send %s: %v", p.codec.name, err)
	}
	o := newOutTrack(p.kind, p.codec.name, local, t.ClockRate)
	w.out[p.track] = o
	w.byKind[p.kind] = o
	w.goTracked(func() { w.readRTCP(sender) })
	return sender, nil
}

// readRTCP reads a sender's RTCP (pion's NACK responder and reports see
// it on the way) and passes the viewer's keyframe requests on.
func (w *whepSession) readRTCP(sender *webrtc.RTPSender) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				w.sub.RequestKeyframe()
			}
		}
	}
}

// run forwards the subscription's events until the session closes, the
// stream stays without publisher for IdleTimeout, or it restarts with
// codecs the viewer did not negotiate.
func (w *whepSession) run() {
	// Nothing can be sent before the viewer is connected; then start
	// afresh from the cached keyframe, not from what queued meanwhile.
	select {
	case <-w.up:
	case <-w.ctx.Done():
		return
	}
	w.sub.Rewind()
	var idle time.Time // when the publisher went away; zero while live
	for {
		ctx, cancel := w.ctx, context.CancelFunc(func() {})
		if !idle.IsZero() {
			ctx, cancel = context.WithDeadline(w.ctx, idle.Add(w.srv.cfg.IdleTimeout))
		}
		ev, err := w.sub.Next(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) && w.ctx.Err() == nil {
			w.closeAsync("the stream has had no publisher for " + w.srv.cfg.IdleTimeout.String())
			return
		}
		if err != nil {
			return
		}
		switch ev.Kind {
		case relay.KindUnit:
			o := w.out[ev.Unit.Track]
			if o == nil {
				continue
			}
			if err := o.send(ev.Unit, ev.Cached); err != nil {
				w.log.Debug("whep: writing RTP", "err", err)
			}
			if o.bframes {
				w.log.Warn("whep: " + bframesNote)
				w.closeAsync("B-frames")
				return
			}
		case relay.KindEnd:
			idle = time.Now()
		case relay.KindStart:
			idle = time.Time{}
			if !w.remap(ev.Tracks) {
				w.closeAsync("the stream restarted with other codecs: reconnect")
				return
			}
		}
	}
}

// remap follows a new publishing session: each sent track continues with
// the new session's track of the same kind and codec. False when a sent
// kind is gone or changed codec.
func (w *whepSession) remap(tracks []fragments.Track) bool {
	out := map[int]*outTrack{}
	for i, t := range tracks {
		kind := "audio"
		if t.Codec != nil && t.Codec.IsVideo() {
			kind = "video"
		}
		o := w.byKind[kind]
		if o == nil {
			continue
		}
		if !sameCodec(o.name, codecName(t)) || out[i] != nil {
			return false
		}
		o.rebase, o.clock, o.sent = true, int64(t.ClockRate), 0
		out[i] = o
	}
	if len(out) != len(w.byKind) {
		return false
	}
	w.out = out
	return true
}

// sameCodec reports whether a payload format carries a stream codec.
func sameCodec(payload, stream string) bool {
	switch payload {
	case "OPUS":
		return stream == "Opus"
	case "PCMU", "PCMA":
		return stream == "LPCM"
	}
	return strings.EqualFold(payload, stream)
}

// bframesNote says why a stream with B-frames is not sent.
const bframesNote = "the stream's video has B-frames, which browsers do not decode over WebRTC (they show its keyframes only): video not sent; watch it over HLS, or turn B-frames off in the camera"

// withoutVideo drops the video from a plan, with bframesNote.
func withoutVideo(plans []outPlan, notes []string) ([]outPlan, []string) {
	var out []outPlan
	for _, p := range plans {
		if p.kind != "video" {
			out = append(out, p)
		}
	}
	return out, append(notes, bframesNote)
}
