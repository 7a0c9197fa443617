package remux_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/playback/remux"
)

// h265Session encodes 4 s of H.265 (25 fps, a keyframe every second, no
// B-frames) with ffmpeg and writes it as one session of fragments.
func h265Session(t *testing.T) []*fragments.Fragment {
	t.Helper()
	requireTool(t, "ffmpeg")
	path := filepath.Join(t.TempDir(), "video.h265")
	out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "4",
		"-c:v", "libx265", "-x265-params", "log-level=error:keyint=25:min-keyint=25:scenecut=0:bframes=0", "-f", "hevc", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nalus h264.AnnexB // the same start codes
	if err := nalus.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	// Access units: a new one at each VCL NAL unit that starts a picture
	// (first_slice_segment_in_pic_flag), or at parameter sets after one.
	var aus [][][]byte
	var cur [][]byte
	vcl := false
	for _, n := range nalus {
		typ := (n[0] >> 1) & 0x3f
		isVCL := typ < 32
		if vcl && (!isVCL || n[2]&0x80 != 0) {
			aus, cur, vcl = append(aus, cur), nil, false
		}
		cur = append(cur, n)
		vcl = vcl || isVCL
	}
	aus = append(aus, cur)
	var frags []*fragments.Fragment
	w, err := fragments.NewWriter(fragments.WriterConfig{Session: "h265", OnFragment: func(f *fragments.Fragment) { frags = append(frags, f) }},
		[]fragments.Track{{Codec: &mp4.CodecH265{}, ClockRate: 90000}})
	if err != nil {
		t.Fatal(err)
	}
	for i, au := range aus {
		w.Write(fragments.Unit{Track: 0, PTS: int64(i) * 3600, Arrival: start.Add(time.Duration(i) * 40 * time.Millisecond), Data: au})
	}
	w.Close()
	if len(aus) != 100 || len(frags) != 2 {
		t.Fatalf("%d access units in %d fragments", len(aus), len(frags))
	}
	return frags
}

// TestTSH265: each H.265 segment decodes on its own (the parameter sets
// of the init segment come before its keyframes) with every frame.
func TestTSH265(t *testing.T) {
	for i, f := range h265Session(t) {
		seg, err := remux.TS(f.Init.Bytes, f.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if got := decoded(t, writeTemp(t, "seg.ts", seg)); got != "hevc,50" {
			t.Errorf("segment %d: ffprobe decodes %q, want 50 HEVC frames", i, got)
		}
	}
}

// decoded is what ffprobe decodes of a file's first video stream:
// "codec,frames".
func decoded(t *testing.T, path string) string {
	t.Helper()
	requireTool(t, "ffprobe")
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
		"-show_entries", "stream=codec_name,nb_read_frames", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	// TS streams are listed under their program too: the first line.
	got, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSuffix(got, ",")
}
