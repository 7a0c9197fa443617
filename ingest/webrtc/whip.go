package webrtc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/ingest"
)

// inTrack is one recorded track of a WHIP session.
type inTrack struct {
	index int // in the tracks given to Recorder.Open
	kind  string
	mid   string
	codec offeredCodec
	mime  string
	bound atomic.Bool // a remote track reads into it
}

// whipSession is one WHIP publisher (RFC 9725): its tracks are
// depacketized into access units and written to a recording session.
type whipSession struct {
	*peer
	tracks  []*inTrack
	tl      *timeline
	pli     chan struct{} // keyframe wanted (viewers, losses)
	lastKey atomic.Int64  // unix ns of the last video keyframe
	ssrc    atomic.Uint32 // of the video track, 0 before it arrives

	alignMu sync.Mutex    // serializes emit
	pending []pendingUnit // held while alignment is pending

	feedMu   sync.Mutex // serializes writes to rec, as ingest.Session wants
	rec      ingest.Session
	recDone  bool              // closed: writes are dropped
	deferred bool              // VP9: the recording opens at the first keyframe
	ftracks  []fragments.Track // given to Recorder.Open
}

// startWHIP answers a WHIP offer: it plans the recorded tracks, opens the
// recording (at once, or at the first VP9 keyframe, whose header gives
// the picture size the archive needs) and returns the registered session
// and its SDP answer.
func (s *Server) startWHIP(ctx context.Context, stream, offer, remote string) (*whipSession, string, error) {
	if s.rec == nil {
		return nil, "", httpErr(http.StatusNotFound, "WHIP publishing is not enabled on this server")
	}
	ms, err := parseOffer(offer)
	if err != nil {
		return nil, "", httpErr(http.StatusBadRequest, "not an SDP offer: %v", err)
	}
	tracks, err := planWHIP(ms)
	if err != nil {
		return nil, "", err
	}
	if err := s.reserve(); err != nil {
		return nil, "", err
	}
	w := &whipSession{tracks: tracks, pli: make(chan struct{}, 1)}
	clocks := make([]int, len(tracks))
	for i, t := range tracks {
		clocks[i] = int(t.codec.clock)
		w.ftracks = append(w.ftracks, fragmentTrack(t))
		w.deferred = w.deferred || t.mime == webrtc.MimeTypeVP9
	}
	w.tl = newTimeline(clocks)
	if w.deferred && s.rel != nil && s.rel.Live(stream) {
		return nil, "", httpErr(http.StatusConflict, "stream %s already has a publisher", stream)
	}
	pc, err := s.newPeerConnection()
	if err != nil {
		return nil, "", err
	}
	w.peer = newPeer(s, "whip", stream, remote, pc)
	fail := func(err error) (*whipSession, string, error) {
		w.close("refused: " + err.Error())
		return nil, "", err
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return fail(httpErr(http.StatusBadRequest, "offer refused: %v", err))
	}
	if err := w.chooseCodecs(); err != nil {
		return fail(err)
	}
	w.onClose = w.closeRecording
	pc.OnTrack(w.onTrack)
	if !w.deferred {
		if err := w.openRecording(ctx); err != nil {
			return fail(err)
		}
	}
	answer, err := w.answer(ctx)
	if err != nil {
		return fail(err)
	}
	if err := w.register(w); err != nil {
		return fail(err)
	}
	w.goTracked(w.control)
	w.log.Info("whip: publishing", "tracks", describeTracks(tracks), "deferred", w.deferred)
	return w, answer, nil
}

// planWHIP picks, for the first audio and the first video section the
// client sends, the codec to record. Other sections are not recorded.
func planWHIP(ms []media) ([]*inTrack, error) {
	var tracks []*inTrack
	seen := map[string]bool{}
	hasMedia := false
	for _, m := range ms {
		if m.kind != "audio" && m.kind != "video" {
			continue
		}
		hasMedia = true
		if seen[m.kind] || m.dir == "recvonly" || m.dir == "inactive" {
			continue
		}
		c, ok := chooseIngest(m)
		if !ok {
			continue
		}
		seen[m.kind] = true
		tracks = append(tracks, &inTrack{index: len(tracks), kind: m.kind, mid: m.mid, codec: c, mime: c.mime(m.kind)})
	}
	if !hasMedia {
		return nil, httpErr(http.StatusUnprocessableEntity, "the offer has no audio or video to publish")
	}
	if len(tracks) == 0 {
		return nil, httpErr(http.StatusUnprocessableEntity, "no codec that can be recorded: offered %s; supported: %s",
			describeOffer(ms), supportedIngest)
	}
	// The recording's first track leads the fragments: video first.
	if len(tracks) == 2 && tracks[0].kind == "audio" {
		tracks[0], tracks[1] = tracks[1], tracks[0]
		tracks[0].index, tracks[1].index = 0, 1
	}
	return tracks, nil
}

// fragmentTrack is the recording track of t (VP9's size comes later).
func fragmentTrack(t *inTrack) fragments.Track {
	switch t.mime {
	case webrtc.MimeTypeH264:
		return fragments.Track{Codec: &mp4.CodecH264{}, ClockRate: 90000}
	case webrtc.MimeTypeAV1:
		return fragments.Track{Codec: &mp4.CodecAV1{}, ClockRate: 90000}
	case webrtc.MimeTypeVP9:
		return fragments.Track{Codec: &mp4.CodecVP9{}, ClockRate: 90000}
	}
	return fragments.Track{Codec: &mp4.CodecOpus{ChannelCount: 2}, ClockRate: 48000}
}

// chooseCodecs answers each planned section with its one chosen codec and
// stops the others (the answer rejects them).
func (w *whipSession) chooseCodecs() error {
	for _, tr := range w.pc.GetTransceivers() {
		var t *inTrack
		for _, c := range w.tracks {
			if c.mid == tr.Mid() {
				t = c
			}
		}
		if t == nil {
			if err := tr.Stop(); err != nil {
				return err
			}
			continue
		}
		if err := tr.SetCodecPreferences([]webrtc.RTPCodecParameters{t.codec.parameters(t.kind)}); err != nil {
			return httpErr(http.StatusUnprocessableEntity, "cannot answer %s with %s: %v", t.kind, t.codec.name, err)
		}
	}
	return nil
}

// openRecording opens the recording session and lets viewers ask for
// keyframes. Errors are HTTP errors for the offer's answer.
func (w *whipSession) openRecording(ctx context.Context) error {
	src := ingest.Source{Kind: "whip", Remote: w.remote, Transport: "webrtc"}
	rec, err := w.srv.rec.Open(ctx, w.stream, src, w.ftracks)
	switch {
	case errors.Is(err, ingest.ErrUnknownStream):
		return httpErr(http.StatusNotFound, "%v", err)
	case errors.Is(err, ingest.ErrBusy):
		return httpErr(http.StatusConflict, "stream %s already has a publisher", w.stream)
	case errors.Is(err, ingest.ErrOwnedElsewhere):
		return httpErr(http.StatusConflict, "%v; publish there, or here once it stops", err)
	case errors.Is(err, ingest.ErrNoTracks):
		return httpErr(http.StatusUnprocessableEntity, "%v", err)
	case err != nil:
		w.log.Error("whip: opening the recording", "err", err)
		return fmt.Errorf("opening the recording: %w", err)
	}
	if kr, ok := rec.(keyframeRequester); ok {
		kr.SetKeyframeRequester(w.requestKeyframe)
	}
	if e, ok := rec.(ender); ok { // the recorder stopped (ownership lost): drop the publisher
		w.goTracked(func() {
			select {
			case <-e.Ended():
				w.closeAsync("recording stopped: this node no longer owns the stream")
			case <-w.ctx.Done():
			}
		})
	}
	w.feedMu.Lock()
	defer w.feedMu.Unlock()
	if w.recDone { // closed meanwhile
		rec.Close()
		return errClosed
	}
	w.rec = rec
	return nil
}

// closeRecording flushes and closes the recording (onClose).
func (w *whipSession) closeRecording() {
	w.feedMu.Lock()
	defer w.feedMu.Unlock()
	w.recDone = true
	if w.rec != nil {
		w.rec.Close()
	}
}

// requestKeyframe asks for a PLI; it never blocks (relay requester).
func (w *whipSession) requestKeyframe() {
	select {
	case w.pli <- struct{}{}:
	default:
	}
}

// control sends PLIs: when asked (viewers joining, losses), and when no
// keyframe came for KeyframeInterval (so that fragments get cut).
func (w *whipSession) control() {
	hasVideo := w.tracks[0].kind == "video"
	interval := w.srv.cfg.KeyframeInterval
	var tick <-chan time.Time
	if hasVideo && interval > 0 {
		t := time.NewTicker(max(interval/10, 50*time.Millisecond))
		defer t.Stop()
		tick = t.C
	}
	var last time.Time
	for {
		select {
		case <-w.ctx.Done():
			return
		case <-w.pli:
			if time.Since(last) >= 200*time.Millisecond {
				last = w.sendPLI(last)
			}
		case <-tick:
			sinceKey := time.Since(time.Unix(0, w.lastKey.Load()))
			if w.connected.Load() && sinceKey >= interval && time.Since(last) >= interval/2 {
				last = w.sendPLI(last)
			}
		}
	}
}

func (w *whipSession) sendPLI(last time.Time) time.Time {
	ssrc := w.ssrc.Load()
	if ssrc == 0 {
		return last
	}
	if err := w.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
		w.log.Debug("whip: sending PLI", "err", err)
	}
	return time.Now()
}

func describeTracks(ts []*inTrack) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.mime
		if p := t.codec.param("profile-level-id"); p != "" {
			names[i] += " " + p
		}
	}
	return strings.Join(names, ", ")
}
