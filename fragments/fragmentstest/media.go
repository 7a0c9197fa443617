// Package fragmentstest provides test media and an ffprobe check for tests
// of the video path.
package fragmentstest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"

	"github.com/sluice-dev/sluice/fragments"
)

func testdata(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", name)
}

// Video returns the access units of testdata/video.h264: 320x240, 25 fps,
// 100 frames (4 s), a keyframe every 25 frames, no B-frames. Parameter sets
// are in band (in the first access unit).
func Video(t testing.TB) [][][]byte {
	t.Helper()
	b, err := os.ReadFile(testdata("video.h264"))
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

// Audio returns the AAC configuration and access units of testdata/audio.aac
// (48 kHz mono, 4 s).
func Audio(t testing.TB) (mpeg4audio.AudioSpecificConfig, [][]byte) {
	t.Helper()
	b, err := os.ReadFile(testdata("audio.aac"))
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

// Tracks returns the tracks of Video and Audio.
func Tracks(t testing.TB) []fragments.Track {
	conf, _ := Audio(t)
	return []fragments.Track{
		{Codec: &mp4.CodecH264{}, ClockRate: 90000},
		{Codec: &mp4.CodecMPEG4Audio{Config: conf}, ClockRate: 48000},
	}
}

// Feed writes Video and Audio interleaved in time order to write, as a
// publisher would, with arrival times from start (or, when pace is true,
// in real time).
func Feed(t testing.TB, start time.Time, pace bool, write func(fragments.Unit)) {
	video := Video(t)
	_, audio := Audio(t)
	ai := 0
	t0 := time.Now()
	for vi, au := range video {
		vt := time.Duration(vi) * 40 * time.Millisecond
		if pace {
			time.Sleep(time.Until(t0.Add(vt)))
		}
		for ai < len(audio) && time.Duration(ai)*time.Second*1024/48000 <= vt {
			write(fragments.Unit{Track: 1, PTS: int64(ai) * 1024, Arrival: start.Add(vt), Data: [][]byte{audio[ai]}})
			ai++
		}
		write(fragments.Unit{Track: 0, PTS: int64(vi) * 3600, Arrival: start.Add(vt), Data: au})
	}
}

// Probe is what ffprobe reports of a media file.
type Probe struct {
	Packets  map[string]int // by codec_type: "video", "audio"
	Duration float64        // seconds, of the container
}

// FFprobe decodes the concatenated media with ffprobe (counting packets).
// ffprobe must be installed: the test fails without it.
func FFprobe(t testing.TB, media ...[]byte) Probe {
	t.Helper()
	path := filepath.Join(t.TempDir(), "media.mp4")
	if err := os.WriteFile(path, bytes.Join(media, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	return FFprobeFile(t, path)
}

// FFprobeFile is FFprobe of a file (or URL).
func FFprobeFile(t testing.TB, path string) Probe {
	t.Helper()
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Fatal("ffprobe is required (the test command installs ffmpeg): ", err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-count_packets", "-show_entries",
		"stream=codec_type,nb_read_packets:format=duration", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	p := Probe{Packets: map[string]int{}}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(strings.TrimSpace(l), ",")
		switch len(f) {
		case 1:
			p.Duration, _ = strconv.ParseFloat(f[0], 64)
		case 2:
			n, _ := strconv.Atoi(f[1])
			p.Packets[f[0]] += n
		}
	}
	return p
}
