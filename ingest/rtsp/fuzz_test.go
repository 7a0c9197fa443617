package rtsp

import (
	"testing"

	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/pion/rtp"
)

// fuzzFormats are the formats whose depacketizers the fuzz test drives.
func fuzzFormats() []format.Format {
	asc := &mpeg4audio.AudioSpecificConfig{Type: mpeg4audio.ObjectTypeAACLC, SampleRate: 48000, ChannelCount: 2}
	return []format.Format{
		&format.H264{PayloadTyp: 96, PacketizationMode: 1},
		&format.H265{PayloadTyp: 96},
		&format.MPEG4Audio{PayloadTyp: 96, Config: asc, SizeLength: 13, IndexLength: 3, IndexDeltaLength: 3},
		&format.MPEG4AudioLATM{PayloadTyp: 96, StreamMuxConfig: &mpeg4audio.StreamMuxConfig{
			Programs: []*mpeg4audio.StreamMuxConfigProgram{{Layers: []*mpeg4audio.StreamMuxConfigLayer{{AudioSpecificConfig: asc, LatmBufferFullness: 255}}}},
		}},
		&format.Opus{PayloadTyp: 96, ChannelCount: 2},
		&format.G711{PayloadTyp: 0, MULaw: true, SampleRate: 8000, ChannelCount: 1},
		&format.G711{PayloadTyp: 8, SampleRate: 8000, ChannelCount: 2},
	}
}

// FuzzDepacketize feeds arbitrary packets to every depacketizer: they
// may fail, never panic. Input: a sequence of [len, flags, payload...].
func FuzzDepacketize(f *testing.F) {
	f.Add([]byte{3, 0x80, 0x65, 1, 2})
	f.Add([]byte{4, 0x00, 0x1c, 0x85, 1, 2, 4, 0x80, 0x1c, 0x45, 3, 4})
	f.Add([]byte{5, 0x80, 0x18, 0x00, 0x09, 0x67})
	f.Add([]byte{6, 0x80, 0x00, 0x10, 0x00, 0x10, 0xaa})
	f.Add([]byte{2, 0x80, 0x31, 0x00})
	f.Add([]byte{0, 0x80, 1, 0x80, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fm := range fuzzFormats() {
			tr := mapFormat(fm)
			if tr == nil {
				t.Fatalf("%s not mapped", fm.Codec())
			}
			d, err := tr.newDep()
			if err != nil {
				t.Fatal(err)
			}
			buf := data
			for seq := uint16(0); len(buf) >= 2; seq++ {
				n, flags := int(buf[0]), buf[1]
				buf = buf[2:]
				n = min(n, len(buf))
				pkt := &rtp.Packet{Header: rtp.Header{Marker: flags&0x80 != 0, SequenceNumber: seq + uint16(flags&1), Timestamp: uint32(flags&0x0e) * 1000}, Payload: buf[:n]}
				buf = buf[n:]
				d.decode(pkt) //nolint:errcheck // errors are expected, panics are not
			}
		}
	})
}
