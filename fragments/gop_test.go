package fragments_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
)

// TestWriterGOP: after every frame of 4 s (keyframes each second,
// fragments of 2 s, parts of 200 ms), GOP gives back exactly the video
// units written since the last keyframe (without parameter sets and
// delimiters), with their timestamps, from the open fragment's parts
// (held, or read back from a spill) and what is not yet in a part.
func TestWriterGOP(t *testing.T) {
	var parts []*fragments.Part
	spilled := map[*fragments.Part]bool{}
	w, err := fragments.NewWriter(fragments.WriterConfig{Session: "s", DropParts: true, OnPart: func(p *fragments.Part) {
		if len(parts)%2 == 1 { // every other part is spilled
			c := *p
			c.Bytes = nil
			c.Spill = &fragments.Spill{R: bytes.NewReader(p.Bytes), N: len(p.Bytes)}
			p = &c
			spilled[p] = true
		}
		parts = append(parts, p)
	}}, fragmentstest.Tracks(t))
	if err != nil {
		t.Fatal(err)
	}
	if !w.CanGOP(0) || w.CanGOP(1) {
		t.Fatal("CanGOP: want the H.264 track only")
	}
	var gop []fragments.Unit
	var written int
	f := fragmentstest.NewFeeder(t, time.Now(), func(u fragments.Unit) {
		if err := w.Write(u); err != nil {
			t.Fatal(err)
		}
		if u.Track != 0 {
			return
		}
		written++
		var au [][]byte
		key := false
		for _, n := range u.Data {
			switch typ := h264.NALUType(n[0] & 0x1f); typ {
			case h264.NALUTypeSPS, h264.NALUTypePPS, h264.NALUTypeAccessUnitDelimiter:
			default:
				key = key || typ == h264.NALUTypeIDR
				au = append(au, n)
			}
		}
		if key {
			gop = gop[:0]
		}
		gop = append(gop, fragments.Unit{Track: 0, PTS: u.PTS, Data: au})
	})
	for frame := range 100 {
		f.Frames(1)
		got, err := w.GOP(0, parts)
		if err != nil {
			t.Fatalf("frame %d: %v", frame, err)
		}
		if len(got) != len(gop) {
			t.Fatalf("frame %d: GOP has %d units, %d were written since the keyframe", frame, len(got), len(gop))
		}
		for i := range got {
			if got[i].PTS != gop[i].PTS || len(got[i].Data) != len(gop[i].Data) {
				t.Fatalf("frame %d, unit %d: PTS %d with %d NAL units, want %d with %d", frame, i, got[i].PTS, len(got[i].Data), gop[i].PTS, len(gop[i].Data))
			}
			for j := range got[i].Data {
				if !bytes.Equal(got[i].Data[j], gop[i].Data[j]) {
					t.Fatalf("frame %d, unit %d: NAL unit %d differs", frame, i, j)
				}
			}
		}
	}
	if written != 100 || len(spilled) == 0 {
		t.Fatalf("%d frames written, %d parts spilled", written, len(spilled))
	}
}
