package fragments

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
)

// testVideo returns the access units of testdata/video.h264 (320x240,
// 25 fps, 100 frames, a keyframe every 25 frames, no B-frames).
func testVideo(t *testing.T) [][][]byte {
	t.Helper()
	b, err := os.ReadFile("testdata/video.h264")
	if err != nil {
		t.Fatal(err)
	}
	var nalus h264.AnnexB
	if err := nalus.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	var aus [][][]byte
	var cur [][]byte
	seenVCL := false
	for _, n := range nalus {
		typ := h264.NALUType(n[0] & 0x1f)
		vcl := typ == h264.NALUTypeIDR || typ == h264.NALUTypeNonIDR
		firstSlice := vcl && len(n) > 1 && n[1]&0x80 != 0
		if seenVCL && (!vcl || firstSlice) {
			aus, cur, seenVCL = append(aus, cur), nil, false
		}
		cur = append(cur, n)
		seenVCL = seenVCL || vcl
	}
	return append(aus, cur)
}

func testAudio(t *testing.T) (mpeg4audio.AudioSpecificConfig, [][]byte) {
	t.Helper()
	b, err := os.ReadFile("testdata/audio.aac")
	if err != nil {
		t.Fatal(err)
	}
	var pkts mpeg4audio.ADTSPackets
	if err := pkts.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	var aus [][]byte
	for _, p := range pkts {
		aus = append(aus, p.AU)
	}
	return mpeg4audio.AudioSpecificConfig{Type: pkts[0].Type, SampleRate: pkts[0].SampleRate, ChannelCount: pkts[0].ChannelCount}, aus
}

// ffprobeFrames decodes init+media with ffprobe and returns the packet
// count and duration (seconds) of each stream ("video", "audio").
func ffprobeFrames(t *testing.T, media ...[]byte) map[string][2]float64 {
	t.Helper()
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Fatal("ffprobe is required (the test command installs ffmpeg): ", err)
	}
	path := filepath.Join(t.TempDir(), "media.mp4")
	if err := os.WriteFile(path, bytes.Join(media, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-count_packets", "-show_entries",
		"stream=codec_type,nb_read_packets:format=duration", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	res := map[string][2]float64{}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	dur, _ := strconv.ParseFloat(lines[len(lines)-1], 64)
	for _, l := range lines[:len(lines)-1] {
		f := strings.Split(l, ",")
		n, _ := strconv.ParseFloat(f[1], 64)
		res[f[0]] = [2]float64{n, dur}
	}
	return res
}

type collected struct {
	parts []*Part
	frags []*Fragment
}

func newTestWriter(t *testing.T, cfg WriterConfig, tracks ...Track) (*Writer, *collected) {
	t.Helper()
	c := &collected{}
	cfg.OnPart = func(p *Part) { c.parts = append(c.parts, p) }
	cfg.OnFragment = func(f *Fragment) { c.frags = append(c.frags, f) }
	w, err := NewWriter(cfg, tracks)
	if err != nil {
		t.Fatal(err)
	}
	return w, c
}

func TestWriterCutsAtKeyframes(t *testing.T) {
	video := testVideo(t)
	if len(video) != 100 {
		t.Fatalf("test video has %d access units", len(video))
	}
	conf, audio := testAudio(t)
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w, c := newTestWriter(t, WriterConfig{Session: "s"},
		Track{Codec: &mp4.CodecH264{}, ClockRate: 90000}, // parameters in band only
		Track{Codec: &mp4.CodecMPEG4Audio{Config: conf}, ClockRate: 48000})
	// Interleave by time: video every 40 ms, audio every 1024/48000 s.
	ai := 0
	for vi, au := range video {
		vt := time.Duration(vi) * 40 * time.Millisecond
		for ai < len(audio) && time.Duration(ai)*time.Second*1024/48000 <= vt {
			w.Write(Unit{Track: 1, PTS: int64(ai) * 1024, Arrival: start.Add(vt), Data: [][]byte{audio[ai]}})
			ai++
		}
		w.Write(Unit{Track: 0, PTS: int64(vi) * 3600, Arrival: start.Add(vt), Data: au})
	}
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
		probe := ffprobeFrames(t, f.Init.Bytes, f.Bytes)
		if int(probe["video"][0]) != f.Samples[1] || int(probe["audio"][0]) != f.Samples[2] {
			t.Errorf("fragment %d: ffprobe %v, writer counted %v", i, probe, f.Samples)
		}
		if f.Parts < 9 || f.Parts > 11 {
			t.Errorf("fragment %d has %d parts, want about 10 of 200 ms", i, f.Parts)
		}
	}
	if total != 4*time.Second || videoFrames != 100 {
		t.Fatalf("fragments hold %v and %d frames, want 4s and all 100 (the last one included)", total, videoFrames)
	}
	if len(c.parts) != c.frags[0].Parts+c.frags[1].Parts || !c.parts[0].Independent {
		t.Fatalf("%d parts emitted", len(c.parts))
	}
	var joined []byte
	for _, p := range c.parts[:c.frags[0].Parts] {
		joined = append(joined, p.Bytes...)
	}
	if !bytes.Equal(joined, c.frags[0].Bytes) {
		t.Fatal("a fragment is not the concatenation of its parts")
	}
}

func TestWriterMaxDurationAndNotBefore(t *testing.T) {
	video := testVideo(t)
	notBefore := time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC)
	w, c := newTestWriter(t, WriterConfig{Session: "s", TargetDuration: 500 * time.Millisecond, MaxDuration: 600 * time.Millisecond, Discontinuity: true, NotBefore: notBefore},
		Track{Codec: &mp4.CodecH264{}, ClockRate: 90000})
	arrival := notBefore.Add(-time.Hour) // a producer clock an hour behind
	for vi, au := range video {
		w.Write(Unit{Track: 0, PTS: int64(vi) * 3600, Arrival: arrival, Data: au})
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
	_, err := NewWriter(WriterConfig{}, []Track{{Codec: &mp4.CodecMJPEG{}, ClockRate: 90000}})
	if err == nil || !strings.Contains(err.Error(), "MJPEG") {
		t.Fatalf("got %v", err)
	}
}

func TestWriterSurvivesGarbage(t *testing.T) {
	video := testVideo(t)
	w, c := newTestWriter(t, WriterConfig{Session: "s"}, Track{Codec: &mp4.CodecH264{}, ClockRate: 90000})
	for vi, au := range video {
		w.Write(Unit{Track: 0, PTS: int64(vi) * 3600, Arrival: time.Now(), Data: [][]byte{{0x65}, {}, {0xff, 0xff}}}) // truncated NAL units
		w.Write(Unit{Track: 0, PTS: int64(vi) * 3600, Arrival: time.Now(), Data: au})
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
