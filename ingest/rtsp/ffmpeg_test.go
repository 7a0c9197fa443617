package rtsp

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"

	"github.com/sluice-dev/sluice/fragments"
)

const (
	testFPS     = 25
	testSeconds = 3
)

// publishH264AAC publishes testSeconds of H.264 + AAC with ffmpeg.
func publishH264AAC(t *testing.T, url, transport string, extra ...string) ffmpegResult {
	t.Helper()
	args := join(lavfiVideo(testFPS), lavfiAudio(48000),
		[]string{"-t", strconv.Itoa(testSeconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p"},
		extra,
		[]string{"-c:a", "aac", "-b:a", "64k", "-f", "rtsp", "-rtsp_transport", transport, url})
	return runFFmpeg(t, 20*time.Second, args...)
}

func TestServerH264AACOverTCP(t *testing.T) {
	t.Parallel()
	rec := newFakeRecorder()
	s := startServer(t, ServerConfig{}, rec)
	// x264's default B-frames: PTS are out of order, DTS are derived by package fragments.
	res := publishH264AAC(t, publishURL(s, "cam1"), "tcp", "-bf", "2")
	if res.err != nil {
		t.Fatalf("ffmpeg: %v\n%s", res.err, res.stderr)
	}
	sess := rec.waitOpen(t, time.Second)
	sess.waitClosed(t, 3*time.Second)
	sess.check(t)
	if sess.stream != "cam1" || sess.src.Kind != "rtsp-push" || sess.src.Transport != "tcp" || sess.src.Remote == "" {
		t.Errorf("session %q source %+v", sess.stream, sess.src)
	}
	units, _ := sess.snapshot()
	checkH264AAC(t, sess, units, true)
	checkDecodable(t, sess.tracks, units, "v", testFPS*testSeconds)
}

func TestServerH264AACOverUDP(t *testing.T) {
	t.Parallel()
	rec := newFakeRecorder()
	s := startServer(t, ServerConfig{}, rec)
	res := publishH264AAC(t, publishURL(s, "cam-udp"), "udp", "-bf", "0")
	if res.err != nil {
		t.Fatalf("ffmpeg: %v\n%s", res.err, res.stderr)
	}
	sess := rec.waitOpen(t, time.Second)
	sess.waitClosed(t, 3*time.Second)
	sess.check(t)
	if sess.src.Transport != "udp" {
		t.Errorf("transport %q", sess.src.Transport)
	}
	units, _ := sess.snapshot()
	checkH264AAC(t, sess, units, false)
	checkMonotonic(t, "video", units[0])
}

// checkH264AAC checks the tracks and units of an H.264 + AAC publish of
// testSeconds at testFPS. Over TCP nothing may be lost.
func checkH264AAC(t *testing.T, sess *fakeSession, units [][]fragments.Unit, lossless bool) {
	t.Helper()
	if len(sess.tracks) != 2 {
		t.Fatalf("tracks %+v", sess.tracks)
	}
	v, ok := sess.tracks[0].Codec.(*mp4.CodecH264)
	if !ok || sess.tracks[0].ClockRate != 90000 || len(v.SPS) == 0 || len(v.PPS) == 0 {
		t.Fatalf("video track %#v", sess.tracks[0])
	}
	a, ok := sess.tracks[1].Codec.(*mp4.CodecMPEG4Audio)
	if !ok || sess.tracks[1].ClockRate != 48000 || a.Config.SampleRate != 48000 {
		t.Fatalf("audio track %#v", sess.tracks[1])
	}
	want := testFPS * testSeconds
	min := want - 1
	if !lossless {
		min = want * 9 / 10
	}
	if n := len(units[0]); n < min || n > want {
		t.Errorf("%d video access units, want %d", n, want)
	}
	for i, u := range units[0] {
		if vcl := h264Pictures(u.Data); vcl != 1 {
			t.Fatalf("video unit %d has %d pictures (NAL types %v)", i, vcl, h264Types(u.Data))
		}
		if u.Arrival.IsZero() {
			t.Fatalf("video unit %d without arrival time", i)
		}
	}
	checkVideoPTS(t, units[0], 90000/testFPS)
	aus := 0
	for _, u := range units[1] {
		aus += len(u.Data)
	}
	wantAU := testSeconds * 48000 / 1024
	if aus < wantAU*9/10 || aus > wantAU*11/10 {
		t.Errorf("%d AAC access units, want about %d", aus, wantAU)
	}
	checkMonotonic(t, "audio", units[1])
}

// h264Pictures counts the primary coded pictures of an access unit: the
// slices that start a picture (first_mb_in_slice 0, whose ue(v) code is a
// single 1 bit).
func h264Pictures(nalus [][]byte) int {
	n := 0
	for _, nalu := range nalus {
		if len(nalu) < 2 {
			continue
		}
		switch h264.NALUType(nalu[0] & 0x1f) {
		case h264.NALUTypeNonIDR, h264.NALUTypeIDR:
			if nalu[1]&0x80 != 0 {
				n++
			}
		}
	}
	return n
}

func h264Types(nalus [][]byte) []int {
	var out []int
	for _, n := range nalus {
		if len(n) > 0 {
			out = append(out, int(n[0]&0x1f))
		}
	}
	return out
}

// checkVideoPTS checks that video PTS, sorted, are distinct and one frame
// apart (B-frames reorder them, but none is lost or doubled).
func checkVideoPTS(t *testing.T, units []fragments.Unit, frame int64) {
	t.Helper()
	pts := make([]int64, len(units))
	for i, u := range units {
		pts[i] = u.PTS
	}
	sort.Slice(pts, func(i, j int) bool { return pts[i] < pts[j] })
	for i := 1; i < len(pts); i++ {
		if d := pts[i] - pts[i-1]; d < frame/2 || d > 2*frame+frame/2 {
			t.Fatalf("sorted video PTS %d -> %d: step %d, frame is %d", pts[i-1], pts[i], d, frame)
		}
	}
}

// checkMonotonic checks that PTS strictly increase.
func checkMonotonic(t *testing.T, what string, units []fragments.Unit) {
	t.Helper()
	for i := 1; i < len(units); i++ {
		if units[i].PTS <= units[i-1].PTS {
			t.Fatalf("%s PTS not increasing at %d: %d -> %d", what, i, units[i-1].PTS, units[i].PTS)
		}
	}
}

// checkDecodable cuts the units into fMP4 with fragments.Writer and checks
// with ffprobe that the first stream of kind sel ("v" or "a") decodes
// without errors into wantFrames frames (or about as many as there are
// units in it when wantFrames is 0).
func checkDecodable(t *testing.T, tracks []fragments.Track, units [][]fragments.Unit, sel string, wantFrames int) {
	t.Helper()
	ffprobe := requireTool(t, "/usr/bin/ffprobe")
	var media bytes.Buffer
	var initBytes []byte
	w, err := fragments.NewWriter(fragments.WriterConfig{
		Session: "test",
		OnFragment: func(f *fragments.Fragment) {
			if initBytes == nil {
				initBytes = f.Init.Bytes
			}
			media.Write(f.Bytes())
		},
	}, tracks)
	if err != nil {
		t.Fatal(err)
	}
	// interleave by arrival, as a session would see them
	var all []fragments.Unit
	for _, us := range units {
		all = append(all, us...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Arrival.Before(all[j].Arrival) })
	for _, u := range all {
		if err := w.Write(u); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	if initBytes == nil {
		t.Fatal("no fragment written")
	}
	path := filepath.Join(t.TempDir(), "out.mp4")
	if err := os.WriteFile(path, append(initBytes, media.Bytes()...), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ffprobe, "-v", "error", "-select_streams", sel+":0", "-count_frames",
		"-show_entries", "stream=codec_name,nb_read_frames", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	f := strings.Split(strings.TrimSpace(string(out)), ",")
	if len(f) != 2 {
		t.Fatalf("ffprobe output %q", out)
	}
	n, _ := strconv.Atoi(f[1])
	t.Logf("ffprobe decoded %d %s frames from %d bytes of fMP4", n, f[0], media.Len())
	if wantFrames == 0 {
		for i, tr := range tracks {
			if tr.Codec.IsVideo() == (sel == "v") {
				for _, u := range units[i] {
					wantFrames += max(len(u.Data), 1)
				}
				break
			}
		}
	}
	if n < wantFrames-1 || n > wantFrames {
		t.Errorf("ffprobe decoded %d %s frames, want %d", n, f[0], wantFrames)
	}
	decodeErr, _ := exec.Command(ffprobe, "-v", "error", "-count_frames", "-show_entries", "stream=nb_read_frames", path).CombinedOutput()
	if strings.Contains(string(decodeErr), "rror") {
		t.Errorf("ffprobe reports decoding errors:\n%s", decodeErr)
	}
}
