package rtsp

import (
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
)

func TestServerH265(t *testing.T) {
	t.Parallel()
	rec := newFakeRecorder()
	s := startServer(t, ServerConfig{}, rec)
	res := runFFmpeg(t, 30*time.Second, join(lavfiVideo(testFPS),
		[]string{"-t", "2", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error:keyint=25",
			"-pix_fmt", "yuv420p", "-f", "rtsp", "-rtsp_transport", "tcp", publishURL(s, "hevc")})...)
	if res.err != nil {
		t.Fatalf("ffmpeg: %v\n%s", res.err, res.stderr)
	}
	sess := rec.waitOpen(t, time.Second)
	sess.waitClosed(t, 3*time.Second)
	sess.check(t)
	units, _ := sess.snapshot()
	if len(sess.tracks) != 1 {
		t.Fatalf("tracks %+v", sess.tracks)
	}
	c, ok := sess.tracks[0].Codec.(*mp4.CodecH265)
	if !ok {
		t.Fatalf("codec %T", sess.tracks[0].Codec)
	}
	if len(c.VPS) == 0 || len(c.SPS) == 0 || len(c.PPS) == 0 {
		t.Errorf("parameter sets missing from the track (ffmpeg sends sprop-vps/sps/pps): %+v", c)
	}
	// and in band
	inband := map[h265.NALUType]bool{}
	for _, u := range units[0] {
		for _, n := range u.Data {
			if len(n) >= 2 {
				inband[h265.NALUType((n[0]>>1)&0x3f)] = true
			}
		}
	}
	for name, known := range map[string]bool{
		"VPS": len(c.VPS) > 0 || inband[h265.NALUType_VPS_NUT],
		"SPS": len(c.SPS) > 0 || inband[h265.NALUType_SPS_NUT],
		"PPS": len(c.PPS) > 0 || inband[h265.NALUType_PPS_NUT],
	} {
		if !known {
			t.Errorf("%s unknown", name)
		}
	}
	if n := len(units[0]); n < 2*testFPS-1 || n > 2*testFPS {
		t.Errorf("%d H265 access units, want %d", n, 2*testFPS)
	}
	checkDecodable(t, sess.tracks, units, "v", 2*testFPS)
}

func TestServerOpus(t *testing.T) {
	t.Parallel()
	rec := newFakeRecorder()
	s := startServer(t, ServerConfig{}, rec)
	res := runFFmpeg(t, 20*time.Second, join(lavfiAudio(48000),
		[]string{"-t", "2", "-c:a", "libopus", "-b:a", "32k", "-f", "rtsp", "-rtsp_transport", "tcp", publishURL(s, "opus")})...)
	if res.err != nil {
		t.Fatalf("ffmpeg: %v\n%s", res.err, res.stderr)
	}
	sess := rec.waitOpen(t, time.Second)
	sess.waitClosed(t, 3*time.Second)
	sess.check(t)
	units, _ := sess.snapshot()
	if c, ok := sess.tracks[0].Codec.(*mp4.CodecOpus); !ok || c.ChannelCount != 1 || sess.tracks[0].ClockRate != 48000 {
		t.Fatalf("track %#v", sess.tracks[0])
	}
	// 20 ms packets
	if n := len(units[0]); n < 90 || n > 101 {
		t.Errorf("%d Opus packets, want about 100", n)
	}
	for _, u := range units[0] {
		if len(u.Data) != 1 || len(u.Data[0]) == 0 {
			t.Fatalf("Opus unit %v", u.Data)
		}
	}
	checkMonotonic(t, "opus", units[0])
}

func TestServerG711(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ codec, stream string }{{"pcm_mulaw", "pcmu"}, {"pcm_alaw", "pcma"}} {
		rec := newFakeRecorder()
		s := startServer(t, ServerConfig{}, rec)
		res := runFFmpeg(t, 20*time.Second, join(lavfiAudio(8000),
			[]string{"-t", "2", "-c:a", c.codec, "-ar", "8000", "-ac", "1", "-f", "rtsp", "-rtsp_transport", "tcp", publishURL(s, c.stream)})...)
		if res.err != nil {
			t.Fatalf("%s: ffmpeg: %v\n%s", c.codec, res.err, res.stderr)
		}
		sess := rec.waitOpen(t, time.Second)
		sess.waitClosed(t, 3*time.Second)
		sess.check(t)
		units, _ := sess.snapshot()
		l, ok := sess.tracks[0].Codec.(*mp4.CodecLPCM)
		if !ok || l.BitDepth != 16 || l.SampleRate != 8000 || l.ChannelCount != 1 || l.LittleEndian || sess.tracks[0].ClockRate != 8000 {
			t.Fatalf("%s: track %#v", c.codec, sess.tracks[0])
		}
		samples := 0
		var peak int16
		for _, u := range units[0] {
			for _, b := range u.Data {
				if len(b)%2 != 0 {
					t.Fatalf("%s: odd LPCM buffer of %d bytes", c.codec, len(b))
				}
				samples += len(b) / 2
				for i := 0; i+1 < len(b); i += 2 {
					peak = max(peak, int16(uint16(b[i])<<8|uint16(b[i+1])))
				}
			}
		}
		if samples < 15000 || samples > 16100 {
			t.Errorf("%s: %d samples, want about 16000", c.codec, samples)
		}
		// ffmpeg's sine source peaks at 1/8 of full scale: about 4096 in
		// big-endian 16-bit; a byte-order mistake would read very differently.
		if peak < 3500 || peak > 4700 {
			t.Errorf("%s: peak sample %d, want about 4096", c.codec, peak)
		}
		checkMonotonic(t, c.codec, units[0])
	}
}

func TestServerAACLATM(t *testing.T) {
	t.Parallel()
	rec := newFakeRecorder()
	s := startServer(t, ServerConfig{}, rec)
	res := runFFmpeg(t, 20*time.Second, join(lavfiAudio(48000),
		[]string{"-t", "2", "-c:a", "aac", "-b:a", "64k", "-rtpflags", "latm", "-f", "rtsp", "-rtsp_transport", "tcp", publishURL(s, "latm")})...)
	if res.err != nil {
		t.Fatalf("ffmpeg: %v\n%s", res.err, res.stderr)
	}
	sess := rec.waitOpen(t, time.Second)
	sess.waitClosed(t, 3*time.Second)
	sess.check(t)
	units, _ := sess.snapshot()
	a, ok := sess.tracks[0].Codec.(*mp4.CodecMPEG4Audio)
	if !ok || a.Config.SampleRate != 48000 || sess.tracks[0].ClockRate != 48000 {
		t.Fatalf("track %#v", sess.tracks[0])
	}
	aus := 0
	for _, u := range units[0] {
		aus += len(u.Data)
	}
	if want := 2 * 48000 / 1024; aus < want*9/10 || aus > want*11/10 {
		t.Errorf("%d LATM access units, want about %d", aus, want)
	}
	checkMonotonic(t, "latm", units[0])
	checkDecodable(t, sess.tracks, units, "a", 0)
}

func TestServerRefusesMJPEG(t *testing.T) {
	t.Parallel()
	rec := newFakeRecorder()
	logger, logs := testLogger(t)
	s := startServer(t, ServerConfig{Logger: logger}, rec)
	res := runFFmpeg(t, 20*time.Second, join(lavfiVideo(testFPS),
		[]string{"-t", "1", "-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-f", "rtsp", "-rtsp_transport", "tcp", publishURL(s, "mjpeg")})...)
	if res.err == nil {
		t.Fatal("ffmpeg published M-JPEG without error")
	}
	t.Logf("ffmpeg: %s", res.stderr)
	if !strings.Contains(res.stderr, "415") || !strings.Contains(res.stderr, "M-JPEG") {
		t.Errorf("ffmpeg's error does not show 415 and the codec:\n%s", res.stderr)
	}
	if !strings.Contains(logs.String(), "codec=M-JPEG") {
		t.Errorf("no log line names the dropped codec:\n%s", logs)
	}
	if n := len(rec.all()); n != 0 {
		t.Errorf("%d sessions opened", n)
	}
}
