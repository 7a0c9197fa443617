package fragments_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
)

type collected struct {
	parts []*fragments.Part
	frags []*fragments.Fragment
}

func newTestWriter(t *testing.T, cfg fragments.WriterConfig, tracks ...fragments.Track) (*fragments.Writer, *collected) {
	t.Helper()
	c := &collected{}
	cfg.OnPart = func(p *fragments.Part) { c.parts = append(c.parts, p) }
	cfg.OnFragment = func(f *fragments.Fragment) { c.frags = append(c.frags, f) }
	w, err := fragments.NewWriter(cfg, tracks)
	if err != nil {
		t.Fatal(err)
	}
	return w, c
}

func TestWriterCutsAtKeyframes(t *testing.T) {
	video := fragmentstest.Video(t)
	if len(video) != 100 {
		t.Fatalf("test video has %d access units", len(video))
	}
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w, c := newTestWriter(t, fragments.WriterConfig{Session: "s"}, fragmentstest.Tracks(t)...) // H.264 parameters in band only
	fragmentstest.Feed(t, start, false, func(u fragments.Unit) { w.Write(u) })
	w.Close()

	if len(c.frags) != 2 {
		t.Fatalf("%d fragments, want 2 (4 s at a 2 s target, keyframes every second)", len(c.frags))
	}
	var total time.Duration
	videoFrames := 0
	for i, f := range c.frags {
		if !f.Keyframe || f.Discontinuity || f.Index != i {
			t.Errorf("fragment %d: keyframe=%v discontinuity=%v index=%d", i, f.Keyframe, f.Discontinuity, f.Index)
		}
		if want := start.Add(total); !f.ProducerStart.Equal(want) {
			t.Errorf("fragment %d starts at %v, want %v", i, f.ProducerStart, want)
		}
		total += f.Duration
		videoFrames += f.Samples[1]
		probe := fragmentstest.FFprobe(t, f.Init.Bytes, f.Bytes())
		if probe.Packets["video"] != f.Samples[1] || probe.Packets["audio"] != f.Samples[2] {
			t.Errorf("fragment %d: ffprobe %v, writer counted %v", i, probe, f.Samples)
		}
		if len(f.Parts) < 9 || len(f.Parts) > 11 {
			t.Errorf("fragment %d has %d parts, want about 10 of 200 ms", i, len(f.Parts))
		}
	}
	if total != 4*time.Second || videoFrames != 100 {
		t.Fatalf("fragments hold %v and %d frames, want 4s and all 100 (the last one included)", total, videoFrames)
	}
	if len(c.parts) != len(c.frags[0].Parts)+len(c.frags[1].Parts) || !c.parts[0].Independent {
		t.Fatalf("%d parts emitted", len(c.parts))
	}
	var joined []byte
	for _, p := range c.parts[:len(c.frags[0].Parts)] {
		joined = append(joined, p.Bytes...)
	}
	if !bytes.Equal(joined, c.frags[0].Bytes()) {
		t.Fatal("a fragment is not the concatenation of its parts")
	}
}

func TestWriterMaxDurationAndNotBefore(t *testing.T) {
	video := fragmentstest.Video(t)
	notBefore := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	w, c := newTestWriter(t, fragments.WriterConfig{Session: "s", TargetDuration: 500 * time.Millisecond, MaxDuration: 600 * time.Millisecond, Discontinuity: true, NotBefore: notBefore},
		fragments.Track{Codec: &mp4.CodecH264{}, ClockRate: 90000})
	arrival := notBefore.Add(-time.Hour) // a producer clock an hour behind
	for vi, au := range video {
		w.Write(fragments.Unit{Track: 0, PTS: int64(vi) * 3600, Arrival: arrival, Data: au})
	}
	w.Close()
	// Keyframes every 1 s, max 600 ms: fragments alternate keyframe / mid-GOP.
	if len(c.frags) < 6 {
		t.Fatalf("%d fragments", len(c.frags))
	}
	if !c.frags[0].Discontinuity || c.frags[1].Discontinuity {
		t.Fatal("only the first fragment of the session should be a discontinuity")
	}
	if !c.frags[0].ProducerStart.Equal(notBefore) {
		t.Fatalf("first fragment at %v, want NotBefore %v", c.frags[0].ProducerStart, notBefore)
	}
	mid := 0
	for _, f := range c.frags {
		if f.Duration > 600*time.Millisecond {
			t.Errorf("fragment of %v exceeds MaxDuration", f.Duration)
		}
		if !f.Keyframe {
			mid++
		}
	}
	if mid == 0 {
		t.Fatal("no fragment was cut mid-GOP")
	}
}

func TestWriterRefusesUnsupportedCodec(t *testing.T) {
	_, err := fragments.NewWriter(fragments.WriterConfig{}, []fragments.Track{{Codec: &mp4.CodecMJPEG{}, ClockRate: 90000}})
	if err == nil || !strings.Contains(err.Error(), "MJPEG") {
		t.Fatalf("got %v", err)
	}
}

func TestWriterSurvivesGarbage(t *testing.T) {
	video := fragmentstest.Video(t)
	w, c := newTestWriter(t, fragments.WriterConfig{Session: "s"}, fragments.Track{Codec: &mp4.CodecH264{}, ClockRate: 90000})
	for vi, au := range video {
		w.Write(fragments.Unit{Track: 0, PTS: int64(vi) * 3600, Arrival: time.Now(), Data: [][]byte{{0x65}, {}, {0xff, 0xff}}}) // truncated NAL units
		w.Write(fragments.Unit{Track: 0, PTS: int64(vi) * 3600, Arrival: time.Now(), Data: au})
	}
	w.Close()
	n := 0
	for _, f := range c.frags {
		n += f.Samples[1]
	}
	if n < 100 {
		t.Fatalf("only %d of 100 good frames archived", n)
	}
}

// TestWriterAbsoluteTimes: tfdt base times are the producer wall clock in
// each track's timescale (no overflow at today's epoch), so tracks line up.
func TestWriterAbsoluteTimes(t *testing.T) {
	start := time.Date(2026, 11, 25, 12, 0, 0, 500_000_000, time.UTC)
	w, c := newTestWriter(t, fragments.WriterConfig{Session: "s"}, fragmentstest.Tracks(t)...)
	fragmentstest.Feed(t, start, false, func(u fragments.Unit) { w.Write(u) })
	w.Close()
	var parts fmp4.Parts
	if err := parts.Unmarshal(c.frags[0].Bytes()); err != nil {
		t.Fatal(err)
	}
	for _, tr := range parts[0].Tracks {
		scale := map[int]float64{1: 90000, 2: 48000}[tr.ID]
		got := float64(tr.BaseTime) / scale
		want := float64(start.UnixNano()) / 1e9
		if d := got - want; d < -0.05 || d > 0.05 {
			t.Fatalf("track %d starts at %.3f s, want %.3f s (the wall clock)", tr.ID, got, want)
		}
	}
}
