package rtsp

import (
	"errors"
	"fmt"

	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtpfragmented"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph265"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtplpcm"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtpmpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/g711"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/pion/rtp"
)

// depacketizer turns the RTP packets of one track into access units, in
// the layout fragments.Unit.Data wants for the track's codec. It returns
// nil data while an access unit is incomplete, and the RTP timestamp of
// the access unit it returns (which is not always the packet's: see
// h264Dep). Errors are about bad input and never fatal: the caller counts
// them and goes on with the next packet.
type depacketizer interface {
	decode(pkt *rtp.Packet) (data [][]byte, ts uint32, err error)
}

// errIncomplete reports whether err only says that more packets are needed.
func errIncomplete(err error) bool {
	return errors.Is(err, rtph264.ErrMorePacketsNeeded) || errors.Is(err, rtph265.ErrMorePacketsNeeded) ||
		errors.Is(err, rtpmpeg4audio.ErrMorePacketsNeeded) || errors.Is(err, rtpfragmented.ErrMorePacketsNeeded)
}

// h264Dep depacketizes H.264 (RFC 6184) into NAL units, parameter sets
// included (package fragments picks them up).
//
// gortsplib's decoder also ends an access unit when the timestamp changes
// without a marker bit (cameras that never set it); the access unit it
// then returns belongs to the previous packet's timestamp, not to the
// packet that was just given, and h264Dep reports that timestamp.
type h264Dep struct {
	dec        *rtph264.Decoder
	last       uint32 // timestamp of the previous packet
	lastMarker bool
	started    bool
}

func newH264Dep(f *format.H264) (*h264Dep, error) {
	dec, err := f.CreateDecoder()
	if err != nil {
		return nil, err
	}
	return &h264Dep{dec: dec}, nil
}

func (d *h264Dep) decode(pkt *rtp.Packet) ([][]byte, uint32, error) {
	prev, prevMarker, started := d.last, d.lastMarker, d.started
	d.last, d.lastMarker, d.started = pkt.Timestamp, pkt.Marker, true
	au, err := d.dec.Decode(pkt)
	if err != nil {
		return nil, 0, err
	}
	ts := pkt.Timestamp
	if started && (!pkt.Marker || prev != pkt.Timestamp && !prevMarker) {
		ts = prev // ended by a timestamp change: the access unit is the previous one
	}
	return au, ts, nil
}

// h265Dep depacketizes H.265 (RFC 7798) into NAL units.
type h265Dep struct{ dec *rtph265.Decoder }

func newH265Dep(f *format.H265) (*h265Dep, error) {
	dec, err := f.CreateDecoder()
	if err != nil {
		return nil, err
	}
	return &h265Dep{dec: dec}, nil
}

func (d *h265Dep) decode(pkt *rtp.Packet) ([][]byte, uint32, error) {
	au, err := d.dec.Decode(pkt)
	return au, pkt.Timestamp, err
}

// aacDep depacketizes MPEG-4 audio (RFC 3640, AAC-hbr) into AAC access
// units; a packet may carry several.
type aacDep struct{ dec *rtpmpeg4audio.Decoder }

func newAACDep(f *format.MPEG4Audio) (*aacDep, error) {
	dec, err := f.CreateDecoder()
	if err != nil {
		return nil, err
	}
	return &aacDep{dec: dec}, nil
}

func (d *aacDep) decode(pkt *rtp.Packet) ([][]byte, uint32, error) {
	aus, err := d.dec.Decode(pkt)
	return aus, pkt.Timestamp, err
}

// latmDep depacketizes MP4A-LATM (RFC 6416) with out-of-band
// configuration into AAC access units.
type latmDep struct {
	dec *rtpfragmented.Decoder
	smc *mpeg4audio.StreamMuxConfig
}

func newLATMDep(f *format.MPEG4AudioLATM) (*latmDep, error) {
	dec, err := f.CreateDecoder()
	if err != nil {
		return nil, err
	}
	return &latmDep{dec: dec, smc: f.StreamMuxConfig}, nil
}

func (d *latmDep) decode(pkt *rtp.Packet) ([][]byte, uint32, error) {
	buf, err := d.dec.Decode(pkt)
	if err != nil {
		return nil, 0, err
	}
	ame := mpeg4audio.AudioMuxElement{StreamMuxConfig: d.smc}
	if err := ame.Unmarshal(buf); err != nil {
		return nil, 0, fmt.Errorf("LATM: %w", err)
	}
	aus := make([][]byte, 0, len(ame.Payloads))
	for _, sub := range ame.Payloads {
		// the first layer of the first program is the track
		if len(sub) > 0 && len(sub[0]) > 0 && len(sub[0][0]) > 0 {
			aus = append(aus, sub[0][0])
		}
	}
	return aus, pkt.Timestamp, nil
}

// opusDep passes Opus packets (RFC 7587) through: one per RTP packet.
type opusDep struct{}

func (opusDep) decode(pkt *rtp.Packet) ([][]byte, uint32, error) {
	if len(pkt.Payload) == 0 {
		return nil, 0, errors.New("empty Opus packet")
	}
	return [][]byte{pkt.Payload}, pkt.Timestamp, nil
}

// g711Dep converts G.711 (RFC 3551) to 16-bit big-endian LPCM.
type g711Dep struct {
	dec   *rtplpcm.Decoder
	mulaw bool
}

func newG711Dep(f *format.G711) (*g711Dep, error) {
	dec, err := f.CreateDecoder()
	if err != nil {
		return nil, err
	}
	return &g711Dep{dec: dec, mulaw: f.MULaw}, nil
}

func (d *g711Dep) decode(pkt *rtp.Packet) ([][]byte, uint32, error) {
	samples, err := d.dec.Decode(pkt)
	if err != nil {
		return nil, 0, err
	}
	if len(samples) == 0 {
		return nil, 0, errors.New("empty G711 packet")
	}
	var lpcm []byte
	if d.mulaw {
		var m g711.Mulaw
		m.Unmarshal(samples)
		lpcm = m
	} else {
		var a g711.Alaw
		a.Unmarshal(samples)
		lpcm = a
	}
	return [][]byte{lpcm}, pkt.Timestamp, nil
}
