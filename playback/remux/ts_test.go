package remux_test

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/playback/remux"
)

// TestTS writes two consecutive fragments as two TS segments, as an HLS
// playlist lists them: ffprobe reads every frame of both, and the
// timestamps of the concatenation go on without a jump.
func TestTS(t *testing.T) {
	frags := session(t, "s", start, 2*time.Second, time.Time{})
	if len(frags) != 2 {
		t.Fatalf("%d fragments", len(frags))
	}
	var segs [][]byte
	for _, f := range frags {
		seg, err := remux.TS(f.Init.Bytes, f.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if len(seg)%188 != 0 || seg[0] != 0x47 {
			t.Fatalf("segment of %d bytes is not MPEG-TS", len(seg))
		}
		segs = append(segs, seg)
	}
	for i, seg := range segs {
		ps := probePackets(t, writeTemp(t, "seg.ts", seg))
		if v, a := count(ps, "video"), count(ps, "audio"); v != frags[i].Samples[1] || a != frags[i].Samples[2] {
			t.Errorf("segment %d: ffprobe reads %d video and %d audio packets, want %v", i, v, a, frags[i].Samples)
		}
		// Each segment decodes on its own: the SPS and PPS (in the init
		// segment only) come before its keyframes.
		if got := decoded(t, writeTemp(t, "seg.ts", seg)); got != "h264,50" {
			t.Errorf("segment %d: ffprobe decodes %q, want 50 H.264 frames", i, got)
		}
		if pid := firstPES(seg); pid != 256 {
			t.Errorf("segment %d: the first PES is on PID %d, not the video track's (256)", i, pid)
		}
		for _, p := range ps {
			if p.kind == "video" {
				if !p.key {
					t.Errorf("segment %d does not start with a video keyframe: %+v", i, p)
				}
				break
			}
		}
	}
	ps := probePackets(t, writeTemp(t, "all.ts", bytes.Join(segs, nil)))
	if v := count(ps, "video"); v != 100 {
		t.Fatalf("the concatenation has %d video packets, want 100", v)
	}
	// The absolute time mod 2^33 in 90 kHz, in seconds.
	abs := float64(start.UnixNano()) / 1e9
	want0 := math.Mod(abs*90000, 1<<33) / 90000
	last := map[string]float64{}
	first := true
	for _, p := range ps {
		if first && p.kind == "video" {
			if math.Abs(p.pts-want0) > 0.001 {
				t.Errorf("first video PTS %.4f, want %.4f (absolute time in 90 kHz mod 2^33)", p.pts, want0)
			}
			first = false
		}
		if l, ok := last[p.kind]; ok {
			step := p.dts - l
			if p.kind == "video" && math.Abs(step-0.04) > 0.0001 || p.kind == "audio" && math.Abs(step-1024.0/48000) > 0.0001 {
				t.Fatalf("%s DTS goes from %.5f to %.5f", p.kind, l, p.dts)
			}
		}
		last[p.kind] = p.dts
	}
}

func TestTSTime(t *testing.T) {
	for _, c := range []struct{ t, ts, want int64 }{
		{0, 90000, 0},
		{90000, 90000, 90000},
		{48000, 48000, 90000},
		{1 << 33, 90000, 0},
		{(1 << 33) + 5, 90000, 5},
		{-1, 90000, (1 << 33) - 1},
		// An absolute wall clock in a 90 kHz timescale does not overflow.
		{1767322800 * 90000, 90000, (1767322800 * 90000) % (1 << 33)},
	} {
		if got := remux.TSTime(c.t, c.ts); got != c.want {
			t.Errorf("TSTime(%d, %d) = %d, want %d", c.t, c.ts, got, c.want)
		}
	}
}

// firstPES returns the PID of the first TS packet that starts a PES (not
// PAT, PID 0, nor the PMT, which the writer puts on PID 0x1000).
func firstPES(ts []byte) int {
	for i := 0; i+188 <= len(ts); i += 188 {
		p := ts[i : i+188]
		pid := int(p[1]&0x1f)<<8 | int(p[2])
		if p[1]&0x40 != 0 && pid != 0 && pid != 0x1000 {
			return pid
		}
	}
	return -1
}
