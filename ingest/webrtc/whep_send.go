package webrtc

import (
	"crypto/rand"
	"encoding/binary"
	"strings"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/g711"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/opus"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/sluice-dev/sluice/fragments"
)

// rtpMTU is the largest RTP payload sent.
const rtpMTU = 1200

// outTrack sends one track of the stream to one viewer as RTP: it
// packetizes access units with pion's payloaders and maps their
// timestamps onto a continuous RTP timeline.
type outTrack struct {
	kind    string
	name    string // codec name, upper case: H264, H265, VP9, AV1, OPUS, PCMU, PCMA
	local   *webrtc.TrackLocalStaticRTP
	clock   int64 // source clock rate (the stream track's)
	seq     uint16
	pay     rtp.Payloader // video payloader
	lastPTS int64         // of the last video unit, to notice B-frames
	bframes bool          // pictures came out of presentation order
	sent    int           // access units sent
	errors  int

	started bool
	offset  int64 // RTP time = PTS + offset
	last    int64 // RTP time of the last unit sent
	burst   bool  // the last unit was a cached one
	rebase  bool  // a new publishing session: continue after last
}

func newOutTrack(kind, name string, local *webrtc.TrackLocalStaticRTP, clock int) *outTrack {
	o := &outTrack{kind: kind, name: strings.ToUpper(name), local: local, clock: int64(clock), seq: uint16(randUint32())}
	switch o.name {
	case "H264":
		o.pay = &codecs.H264Payloader{}
	case "H265":
		o.pay = &codecs.H265Payloader{}
	case "VP9":
		o.pay = &codecs.VP9Payloader{}
	case "AV1":
		o.pay = &codecs.AV1Payloader{}
	}
	return o
}

// timestamp returns the RTP time of a unit. Cached units (the group of
// pictures a viewer starts with) get consecutive ticks: the viewer
// decodes them at once and shows the last, and the live units after
// them keep their real spacing.
func (o *outTrack) timestamp(pts int64, cached bool) uint32 {
	switch {
	case !o.started:
		o.started = true
		o.offset = int64(randUint32()) - pts
	case cached:
		o.last++
		return uint32(o.last)
	case o.burst || o.rebase:
		// Continue one tick after the cached pictures, or about a picture
		// after the previous publishing session.
		step := int64(1)
		if !o.burst {
			step = o.clock / 25
		}
		o.offset = o.last + step - pts
	}
	o.burst, o.rebase = cached, false
	o.last = pts + o.offset
	return uint32(o.last)
}

// send packetizes and writes one access unit.
func (o *outTrack) send(u fragments.Unit, cached bool) error {
	if o.kind == "video" {
		o.bframes = o.bframes || o.sent > 0 && u.PTS < o.lastPTS
		o.lastPTS = u.PTS
	}
	o.sent++
	ts := o.timestamp(u.PTS, cached)
	switch o.name {
	case "OPUS":
		for _, pkt := range u.Data {
			if err := o.write(pkt, ts, false); err != nil {
				return err
			}
			ts += uint32(max(opus.PacketDuration2(pkt), 0))
		}
		return nil
	case "PCMU", "PCMA":
		return o.sendG711(u, ts)
	}
	payloads := o.packetize(u.Data)
	for i, p := range payloads {
		if err := o.write(p, ts, i == len(payloads)-1); err != nil {
			return err
		}
	}
	return nil
}

// packetize returns the RTP payloads of a video access unit.
func (o *outTrack) packetize(data [][]byte) [][]byte {
	switch o.name {
	case "H264":
		var out [][]byte
		for _, nalu := range data {
			if len(nalu) == 0 || h264.NALUType(nalu[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter {
				continue
			}
			out = append(out, o.pay.Payload(rtpMTU, nalu)...)
		}
		return out
	case "H265":
		var annexB []byte
		for _, nalu := range data {
			annexB = append(annexB, 0, 0, 0, 1)
			annexB = append(annexB, nalu...)
		}
		return o.pay.Payload(rtpMTU, annexB)
	case "VP9":
		if len(data) != 1 {
			return nil
		}
		return o.pay.Payload(rtpMTU, data[0])
	case "AV1":
		bs, err := av1.Bitstream(data).Marshal()
		if err != nil {
			o.errors++
			return nil
		}
		return o.pay.Payload(rtpMTU, bs)
	}
	return nil
}

// sendG711 re-encodes 16-bit LPCM (8 kHz mono) to G.711, 20 ms a packet.
func (o *outTrack) sendG711(u fragments.Unit, ts uint32) error {
	for _, buf := range u.Data {
		var enc []byte
		var err error
		if o.name == "PCMU" {
			enc, err = g711.Mulaw(buf).Marshal()
		} else {
			enc, err = g711.Alaw(buf).Marshal()
		}
		if err != nil {
			o.errors++
			continue
		}
		for len(enc) > 0 {
			n := min(len(enc), 160)
			if err := o.write(enc[:n], ts, false); err != nil {
				return err
			}
			enc, ts = enc[n:], ts+uint32(n)
		}
	}
	return nil
}

func (o *outTrack) write(payload []byte, ts uint32, marker bool) error {
	o.seq++
	return o.local.WriteRTP(&rtp.Packet{
		Header:  rtp.Header{Version: 2, Marker: marker, SequenceNumber: o.seq, Timestamp: ts},
		Payload: payload,
	})
}

func randUint32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])
}
