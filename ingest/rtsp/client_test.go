package rtsp

import (
	"bytes"
	"errors"
	"testing"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v4/pkg/liberrors"
	"github.com/pion/rtp"
)

// testSPS and testPPS are a valid 320x240 baseline SPS and a PPS.
var (
	testSPS = []byte{0x67, 0x42, 0xc0, 0x0d, 0xda, 0x05, 0x07, 0xec, 0x04, 0x40, 0x00, 0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x0c, 0x83, 0xc5, 0x0a, 0xa8}
	testPPS = []byte{0x68, 0xce, 0x0f, 0xc8}
)

// h264Desc is a session description with one H.264 track.
func h264Desc() (*description.Session, *format.H264) {
	f := &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: testSPS, PPS: testPPS}
	return &description.Session{Medias: []*description.Media{{Type: description.MediaTypeVideo, Formats: []format.Format{f}}}}, f
}

// syntheticAU returns access unit i: a keyframe every 10, with parameter
// sets, big enough to be fragmented (FU-A).
func syntheticAU(i int) [][]byte {
	if i%10 == 0 {
		idr := bytes.Repeat([]byte{byte(i)}, 3000)
		idr[0] = 0x65
		return [][]byte{testSPS, testPPS, idr}
	}
	p := bytes.Repeat([]byte{byte(i)}, 600)
	p[0] = 0x41
	return [][]byte{p}
}

// publisher is a gortsplib client publishing crafted packets.
type publisher struct {
	t     *testing.T
	c     *gortsplib.Client
	media *description.Media
	enc   *rtph264.Encoder
	seq   uint16
}

// startPublisher announces desc at url and starts recording.
func startPublisher(t *testing.T, url string, transport gortsplib.Transport) (*publisher, error) {
	t.Helper()
	desc, f := h264Desc()
	c := &gortsplib.Client{Transport: &transport}
	if err := c.StartRecording(url, desc); err != nil {
		return nil, err
	}
	enc, err := f.CreateEncoder()
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	return &publisher{t: t, c: c, media: desc.Medias[0], enc: enc, seq: 1000}, nil
}

// writeAU sends one access unit at RTP timestamp ts.
func (p *publisher) writeAU(au [][]byte, ts uint32) {
	pkts, err := p.enc.Encode(au)
	if err != nil {
		p.t.Fatal(err)
	}
	for _, pkt := range pkts {
		pkt.Timestamp = ts
		p.write(pkt)
	}
}

// write sends one packet with the next sequence number.
func (p *publisher) write(pkt *rtp.Packet) {
	pkt.PayloadType = 96
	pkt.SequenceNumber = p.seq
	p.seq++
	if err := p.c.WritePacketRTP(p.media, pkt); err != nil {
		p.t.Fatal(err)
	}
}

// statusCode returns the RTSP status code of a client error, or 0.
func statusCode(err error) int {
	var e liberrors.ErrClientBadStatusCode
	if errors.As(err, &e) {
		return int(e.Code)
	}
	return 0
}
