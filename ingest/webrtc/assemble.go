package webrtc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/vp9"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// maxUnitBytes bounds an access unit being assembled; a larger one is
// dropped as garbage.
const maxUnitBytes = 16 << 20

// frame is one complete access unit, in the layout fragments.Unit.Data
// wants for its codec, with its RTP timestamp.
type frame struct {
	data [][]byte
	ts   uint32
}

// assembler turns the in-order RTP packets of one track into access units
// with pion's depacketizers. Errors are about bad input; the caller resets
// the assembler and waits for a keyframe.
type assembler interface {
	push(p *rtp.Packet) ([]frame, error)
	// reset drops the partial access unit (after a loss or an error).
	reset()
	// keyframe reports whether an access unit can be decoded on its own.
	keyframe(data [][]byte) bool
}

func newAssembler(mime string) (assembler, error) {
	switch strings.ToLower(mime) {
	case "video/h264":
		return &videoAsm{codec: &h264Codec{}}, nil
	case "video/vp9":
		return &videoAsm{codec: &vp9Codec{}}, nil
	case "video/av1":
		return &videoAsm{codec: &av1Codec{}}, nil
	case "audio/opus":
		return opusAsm{}, nil
	}
	return nil, fmt.Errorf("no depacketizer for %s", mime)
}

// videoCodec is the codec-specific half of videoAsm.
type videoCodec interface {
	// payload depacketizes one packet; chunk goes to the access unit.
	payload(p *rtp.Packet) (chunk []byte, err error)
	// split turns the concatenated chunks of an access unit into units.
	split(au []byte) ([][]byte, error)
	reset()
	keyframe(data [][]byte) bool
}

// videoAsm collects the packets of one picture (same timestamp) until the
// marker bit, or until the timestamp changes when a sender omits it.
type videoAsm struct {
	codec videoCodec
	buf   []byte
	ts    uint32
	open  bool
}

func (a *videoAsm) push(p *rtp.Packet) ([]frame, error) {
	var out []frame
	if a.open && p.Timestamp != a.ts {
		f, err := a.finish()
		if err != nil {
			return nil, err
		}
		out = append(out, f...)
	}
	chunk, err := a.codec.payload(p)
	if err != nil {
		a.reset()
		return out, err
	}
	if len(a.buf)+len(chunk) > maxUnitBytes {
		a.reset()
		return out, errors.New("access unit too large")
	}
	a.buf = append(a.buf, chunk...)
	a.ts, a.open = p.Timestamp, true
	if p.Marker {
		f, err := a.finish()
		if err != nil {
			return out, err
		}
		out = append(out, f...)
	}
	return out, nil
}

func (a *videoAsm) finish() ([]frame, error) {
	buf, ts := a.buf, a.ts
	a.buf, a.open = nil, false
	if len(buf) == 0 {
		return nil, nil
	}
	data, err := a.codec.split(buf)
	if err != nil {
		a.codec.reset()
		return nil, err
	}
	return []frame{{data: data, ts: ts}}, nil
}

func (a *videoAsm) reset() {
	a.buf, a.open = nil, false
	a.codec.reset()
}

func (a *videoAsm) keyframe(data [][]byte) bool { return a.codec.keyframe(data) }

// h264Codec: RFC 6184 (single NAL unit, STAP-A, FU-A) to NAL units.
type h264Codec struct {
	pkt  codecs.H264Packet
	inFU bool // inside a fragmented NAL unit (FU-A)
}

func (c *h264Codec) payload(p *rtp.Packet) ([]byte, error) {
	if len(p.Payload) >= 2 && p.Payload[0]&0x1f == 28 { // FU-A
		start, end := p.Payload[1]&0x80 != 0, p.Payload[1]&0x40 != 0
		if !start && !c.inFU {
			return nil, errors.New("H264: FU-A without its start")
		}
		c.inFU = !end
	}
	c.pkt.IsAVC = true // 4-byte lengths, split below
	return c.pkt.Unmarshal(p.Payload)
}
func (*h264Codec) split(au []byte) ([][]byte, error) { return splitLengths(au) }
func (c *h264Codec) reset()                          { c.pkt, c.inFU = codecs.H264Packet{}, false }
func (*h264Codec) keyframe(data [][]byte) bool       { return h264.IsRandomAccess(data) }

// splitLengths splits 4-byte length-prefixed NAL units.
func splitLengths(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, errors.New("H264: truncated NAL unit length")
		}
		n := int(binary.BigEndian.Uint32(b))
		if n == 0 || n > len(b)-4 {
			return nil, errors.New("H264: bad NAL unit length")
		}
		out = append(out, b[4:4+n])
		b = b[4+n:]
	}
	return out, nil
}

// vp9Codec: the VP9 payload descriptor (RFC 9628) stripped; one frame.
type vp9Codec struct{ inFrame bool }

func (c *vp9Codec) payload(p *rtp.Packet) ([]byte, error) {
	var pkt codecs.VP9Packet
	chunk, err := pkt.Unmarshal(p.Payload)
	if err != nil {
		return nil, err
	}
	if !pkt.B && !c.inFrame {
		return nil, errors.New("VP9: frame without its start")
	}
	c.inFrame = !pkt.E
	return chunk, nil
}
func (*vp9Codec) split(au []byte) ([][]byte, error) { return [][]byte{au}, nil }
func (c *vp9Codec) reset()                          { c.inFrame = false }
func (*vp9Codec) keyframe(data [][]byte) bool {
	var h vp9.Header
	return len(data) == 1 && h.Unmarshal(data[0]) == nil && !h.NonKeyFrame
}

// av1Codec: the AV1 RTP payload to OBUs, each with its size field (a
// temporal unit in the low-overhead bitstream format, split per OBU).
type av1Codec struct{ dep codecs.AV1Depacketizer }

func (c *av1Codec) payload(p *rtp.Packet) ([]byte, error) { return c.dep.Unmarshal(p.Payload) }
func (c *av1Codec) split(au []byte) ([][]byte, error)     { return splitOBUs(au) }
func (c *av1Codec) reset()                                { c.dep = codecs.AV1Depacketizer{} }
func (c *av1Codec) keyframe(data [][]byte) bool           { return av1.IsRandomAccess2(data) }

// splitOBUs splits a low-overhead AV1 bitstream into OBUs, each keeping
// its header (with extension) and size field.
func splitOBUs(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		hdr := 1
		if b[0]&0x04 != 0 {
			hdr = 2 // extension header
		}
		if b[0]&0x02 == 0 || len(b) < hdr+1 {
			return nil, errors.New("AV1: OBU without size field")
		}
		var size av1.LEB128
		n, err := size.Unmarshal(b[hdr:])
		if err != nil {
			return nil, fmt.Errorf("AV1: %w", err)
		}
		end := hdr + n + int(size)
		if end > len(b) {
			return nil, errors.New("AV1: truncated OBU")
		}
		out = append(out, b[:end])
		b = b[end:]
	}
	return out, nil
}

// opusAsm passes Opus packets (RFC 7587) through: one per RTP packet.
type opusAsm struct{}

func (opusAsm) push(p *rtp.Packet) ([]frame, error) {
	if len(p.Payload) == 0 {
		return nil, nil // padding or DTX
	}
	return []frame{{data: [][]byte{p.Payload}, ts: p.Timestamp}}, nil
}
func (opusAsm) reset()                 {}
func (opusAsm) keyframe([][]byte) bool { return true }
