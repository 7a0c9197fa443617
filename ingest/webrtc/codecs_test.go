package webrtc_test

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	ingestwebrtc "github.com/sluice-dev/sluice/ingest/webrtc"
)

// requireFFmpeg fails (under CI) or skips when ffmpeg is missing.
func requireFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ffmpeg is required (the test command installs it)")
		}
		t.Skip("ffmpeg not installed")
	}
}

// ivfFrames encodes 4 s of a 320x240 test pattern at 25 fps, a keyframe a
// second, with an ffmpeg encoder into IVF, and returns its frames.
func ivfFrames(t *testing.T, encoder ...string) [][]byte {
	t.Helper()
	requireFFmpeg(t)
	path := filepath.Join(t.TempDir(), "v.ivf")
	args := append([]string{"-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "4", "-g", "25", "-pix_fmt", "yuv420p"}, encoder...)
	if out, err := exec.Command("ffmpeg", append(args, "-f", "ivf", path)...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, _, err := ivfreader.NewWith(f)
	if err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	for {
		b, _, err := rd.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			return frames
		}
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, b)
	}
}

// only registers one video codec (and Opus), as a browser does after
// setCodecPreferences.
func only(mime, fmtp string) func(*webrtc.MediaEngine) {
	return func(m *webrtc.MediaEngine) {
		_ = m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000, SDPFmtpLine: fmtp,
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}}}, PayloadType: 98}, webrtc.RTPCodecTypeVideo)
		_ = m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, PayloadType: 111}, webrtc.RTPCodecTypeAudio)
	}
}

// TestVP9AndAV1 publishes VP9 and AV1 over WHIP, watches each over WHEP
// in the same codec, and checks the archive with ffprobe.
func TestVP9AndAV1(t *testing.T) {
	cases := []struct {
		mime, fmtp, name string
		encoder          []string
	}{
		{webrtc.MimeTypeVP9, "profile-id=0", "vp9", []string{"-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"}},
		{webrtc.MimeTypeAV1, "", "av1", []string{"-c:v", "libaom-av1", "-usage", "realtime", "-cpu-used", "8", "-b:v", "300k"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			frames := ivfFrames(t, c.encoder...)
			r := newRig(t, ingestwebrtc.Config{})
			api := clientAPI(t, only(c.mime, c.fmtp))
			pub := newPublisherOf(t, api, urlOf(r, "whip", c.name), c.mime, frames, true, true)
			if pub.resp.status != 201 || !strings.Contains(pub.resp.body, strings.TrimPrefix(c.mime, "video/")) {
				t.Fatalf("WHIP: %d %q", pub.resp.status, pub.resp.body)
			}
			waitConnected(t, pub.pc)
			pub.send(t, 1)
			waitFor(t, 5*time.Second, "the stream to be live", func() bool { return r.rel.Live(c.name) })
			time.Sleep(500 * time.Millisecond)
			v := newViewer(t, api, urlOf(r, "whep", c.name))
			if v.resp.status != 201 {
				t.Fatalf("WHEP: %d %q", v.resp.status, v.resp.body)
			}
			waitFor(t, 5*time.Second, "25 pictures at the viewer", func() bool { return v.frames() >= 25 })
			v.mu.Lock()
			mime := v.videoMime
			v.mu.Unlock()
			if !strings.EqualFold(mime, c.mime) {
				t.Fatalf("viewer got %s", mime)
			}
			pub.wait()
			v.close()
			pub.close()
			r.srv.Close()
			r.rec.Close(bg)
			var frags []fragments.Info
			_ = r.lib.Fragments(bg, c.name, fragments.Selector{}, func(in fragments.Info) bool { frags = append(frags, in); return true })
			var total time.Duration
			packets := 0
			for _, f := range frags {
				total += f.Duration
				init, media := read(t, r, f.InitKey), read(t, r, f.Key)
				packets += fragmentstest.FFprobe(t, init, media).Packets["video"]
				decodes(t, init, media)
			}
			if len(frags) < 2 || total < 3*time.Second || packets < 75 {
				t.Fatalf("%d fragments, %v, %d video packets decoded; want about 4 s, 100 packets", len(frags), total, packets)
			}
			t.Logf("%s: %d fragments, %v, %d video packets; viewer %d pictures, first after %v", c.name, len(frags), total, packets, v.frames(), v.first)
		})
	}
}

// decodes fails the test unless ffmpeg decodes the media without error.
func decodes(t *testing.T, media ...[]byte) {
	t.Helper()
	requireFFmpeg(t)
	path := filepath.Join(t.TempDir(), "m.mp4")
	var all []byte
	for _, m := range media {
		all = append(all, m...)
	}
	if err := os.WriteFile(path, all, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "null", "-").CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("ffmpeg cannot decode the archived media: %v\n%s", err, out)
	}
}
