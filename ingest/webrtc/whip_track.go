package webrtc

import (
	"strings"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/vp9"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/sluice-dev/sluice/fragments"
)

// reorderWait is how long packets after a gap wait for the missing one
// (retransmitted after a NACK) before the gap counts as a loss.
const reorderWait = 150 * time.Millisecond

// onTrack binds a remote track to its planned track and reads it until
// the peer connection closes. Pion calls it on its own goroutine.
func (w *whipSession) onTrack(tr *webrtc.TrackRemote, rc *webrtc.RTPReceiver) {
	var t *inTrack
	for _, c := range w.tracks {
		if c.kind == tr.Kind().String() && strings.EqualFold(c.mime, tr.Codec().MimeType) && c.bound.CompareAndSwap(false, true) {
			t = c
			break
		}
	}
	if t == nil {
		w.log.Info("whip: ignoring an extra track (only the first audio and video tracks are recorded)",
			"kind", tr.Kind().String(), "codec", tr.Codec().MimeType, "rid", tr.RID())
		return
	}
	if t.kind == "video" {
		w.ssrc.Store(uint32(tr.SSRC()))
		w.requestKeyframe() // start the recording at a fresh keyframe
	}
	w.goTracked(func() { w.readRTCP(rc, t) })
	w.goTracked(func() { w.readRTP(tr, t) })
}

// readRTP depacketizes a track into access units and writes them.
func (w *whipSession) readRTP(tr *webrtc.TrackRemote, t *inTrack) {
	asm, err := newAssembler(t.mime)
	if err != nil {
		w.log.Error("whip: track not recorded", "err", err)
		return
	}
	video := t.kind == "video"
	ro := reorder{maxWait: reorderWait}
	needKey := video
	var losses, errs int
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			w.log.Debug("whip: track ended", "kind", t.kind, "losses", losses, "errors", errs, "err", err)
			return
		}
		now := time.Now()
		w.tl.anchor(t.index, pkt.Timestamp, now)
		pkts, lost := ro.push(pkt, now)
		if lost {
			losses++
			if video {
				asm.reset()
				needKey = true
				w.requestKeyframe()
			}
		}
		for _, p := range pkts {
			needKey = w.assemble(asm, t, p, now, needKey, &errs)
		}
	}
}

// assemble feeds one in-order packet to the assembler and writes the
// access units it completes; it returns whether video still waits for a
// keyframe (after a loss or bad input).
func (w *whipSession) assemble(asm assembler, t *inTrack, p *rtp.Packet, now time.Time, needKey bool, errs *int) bool {
	video := t.kind == "video"
	if len(p.Payload) == 0 {
		return needKey // padding only (browsers probe bandwidth with it)
	}
	frames, err := asm.push(p)
	if err != nil {
		*errs++
		w.log.Debug("whip: undecodable packet", "kind", t.kind, "errors", *errs, "err", err)
		asm.reset()
		if video {
			needKey = true
			w.requestKeyframe()
		}
	}
	for _, f := range frames {
		if video {
			key := asm.keyframe(f.data)
			if needKey && !key {
				continue
			}
			needKey = false
			if key {
				w.lastKey.Store(now.UnixNano())
			}
		}
		w.emit(t, f.ts, now, f.data)
	}
	return needKey
}

// pendingUnit is an access unit held until the tracks are aligned.
type pendingUnit struct {
	t       *inTrack
	ts      uint32
	arrival time.Time
	data    [][]byte
}

// maxPending bounds the units held while alignment is pending (3 s of
// 60 fps video with its audio is about 330); past it the tracks are
// placed by arrival.
const maxPending = 1024

// emit timestamps an access unit and writes it, holding units (in order)
// while the tracks' alignment is pending. Units of all tracks pass here
// one at a time, so each track's units stay in order.
func (w *whipSession) emit(t *inTrack, ts uint32, arrival time.Time, data [][]byte) {
	w.alignMu.Lock()
	defer w.alignMu.Unlock()
	if !w.tl.align(arrival) && len(w.pending) < maxPending {
		w.pending = append(w.pending, pendingUnit{t: t, ts: ts, arrival: arrival, data: data})
		return
	}
	if w.pending != nil {
		bySR, skew := w.tl.how()
		w.log.Debug("whip: tracks aligned", "by_sender_reports", bySR, "arrival_would_be_off_by", skew, "held", len(w.pending))
		for _, p := range w.pending {
			pts, ntp := w.tl.unit(p.t.index, p.ts)
			w.write(p.t, fragments.Unit{Track: p.t.index, PTS: pts, Arrival: p.arrival, NTP: ntp, Data: p.data})
		}
		w.pending = nil
	}
	pts, ntp := w.tl.unit(t.index, ts)
	w.write(t, fragments.Unit{Track: t.index, PTS: pts, Arrival: arrival, NTP: ntp, Data: data})
}

// readRTCP reads a track's RTCP (pion's interceptors see it on the way)
// for the sender reports that give the publisher's wall clock.
func (w *whipSession) readRTCP(rc *webrtc.RTPReceiver, t *inTrack) {
	start := time.Now()
	first := true
	for {
		pkts, _, err := rc.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			if sr, ok := p.(*rtcp.SenderReport); ok {
				w.tl.senderReport(t.index, sr.RTPTime, sr.NTPTime)
				if first {
					first = false
					w.log.Debug("whip: first sender report", "kind", t.kind, "after", time.Since(start))
				}
			}
		}
	}
}

// write passes a unit to the recording; a deferred (VP9) recording opens
// at its first keyframe, whose header gives the picture size.
func (w *whipSession) write(t *inTrack, u fragments.Unit) {
	w.feedMu.Lock()
	if w.recDone {
		w.feedMu.Unlock()
		return
	}
	if w.rec == nil {
		w.feedMu.Unlock()
		if !w.deferred || t.kind != "video" {
			return // audio before the first picture: the recording starts there anyway
		}
		var h vp9.Header
		if len(u.Data) != 1 || h.Unmarshal(u.Data[0]) != nil || h.NonKeyFrame || h.ColorConfig == nil {
			return
		}
		w.ftracks[t.index].Codec = &mp4.CodecVP9{Width: h.Width(), Height: h.Height(), Profile: h.Profile,
			BitDepth: h.ColorConfig.BitDepth, ChromaSubsampling: h.ChromaSubsampling(), ColorRange: h.ColorConfig.ColorRange}
		if err := w.openRecording(w.ctx); err != nil {
			w.log.Error("whip: cannot record", "err", err)
			w.closeAsync("recording refused: " + err.Error())
			return
		}
		w.log.Info("whip: recording VP9", "width", h.Width(), "height", h.Height(), "profile", h.Profile)
		w.feedMu.Lock()
		if w.rec == nil || w.recDone {
			w.feedMu.Unlock()
			return
		}
	}
	w.rec.Write(u)
	w.feedMu.Unlock()
}
