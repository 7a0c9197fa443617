package browser

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/internal/e2e"
)

// TestWebRTCEndToEnd runs the binary with WebRTC on a loopback UDP port:
// headless Chromium publishes its fake camera over WHIP for 15 s in H.264
// and in VP9 (chosen with setCodecPreferences by the publish page); both
// are archived (list-fragments, ffprobe of the fragments and of an
// ON_DEMAND HLS session: about 15 s). Then ffmpeg publishes over RTSP
// and the watch page plays it over WHEP at its size.
func TestWebRTCEndToEnd(t *testing.T) {
	e2e.RequireFFmpeg(t)
	e2e.RequireTool(t, e2e.AWSCLI)
	e2e.RequireBrowser(t)
	dir := t.TempDir()
	srv := e2e.StartServer(t, dir, "--webrtc-addr", fmt.Sprintf("127.0.0.1:%d", e2e.FreeUDPPort(t)))
	const seconds = 15

	began := time.Now()
	runs := map[string]e2e.PageRun{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, codec := range []string{"H264", "VP9"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e2e.RunPage(t, fmt.Sprintf("%s/publish/web-%s?autostart=1&codec=%s&audio=1", srv.URL, strings.ToLower(codec), codec), seconds)
			mu.Lock()
			runs[codec] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	ended := time.Now()
	time.Sleep(2 * time.Second) // the last fragments are stored and indexed
	for _, codec := range []string{"H264", "VP9"} {
		t.Run(codec, func(t *testing.T) {
			r := runs[codec]
			f := r.Final
			if f.Error != nil || f.Codec == nil || !strings.EqualFold(*f.Codec, "video/"+codec) || f.FramesSent < 5*seconds || len(r.Errors) > 0 {
				t.Fatalf("publish page: %+v, errors %v\n%s", f, r.Errors, srv.Log.String())
			}
			stream := "web-" + strings.ToLower(codec)
			frags := e2e.ListFragments(t, srv.URL, stream)
			var listed time.Duration
			for _, fr := range frags {
				listed += time.Duration(fr.FragmentLengthInMilliseconds) * time.Millisecond
			}
			inits, files := e2e.Archived(t, dir, stream)
			span := r.PublishedSpan(seconds) // the page's setup eats into its run
			if len(frags) < 4 || len(files) != len(frags) || len(inits) == 0 || listed < span-3*time.Second || listed > span+2*time.Second {
				t.Fatalf("%d fragments listed (%v) for %v published, %d archived, %d inits", len(frags), listed, span, len(files), len(inits))
			}
			// The session's fragments, concatenated behind its init segment.
			media := []string{inits[0]}
			media = append(media, files...)
			duration, packets := e2e.ProbeSpan(t, media...)
			pub := span.Seconds()
			if duration < pub-3 || duration > pub+2 || float64(packets["video"]) < 5*(pub-3) || packets["audio"] == 0 {
				t.Fatalf("archive: ffprobe reads %.2f s, %v packets; %.2f s were published", duration, packets, pub)
			}
			rng := e2e.Selector("SERVER_TIMESTAMP", began.Add(-2*time.Second), ended.Add(2*time.Second))
			u := e2e.SessionURL(t, srv.URL, stream, "--playback-mode", "ON_DEMAND", "--hls-fragment-selector", rng)
			hlsDuration, hlsPackets := e2e.ProbeTimeline(t, u)
			if hlsDuration < pub-3 || hlsDuration > pub+2 || float64(hlsPackets["video"]) < 5*(pub-3) {
				t.Fatalf("ON_DEMAND HLS: ffprobe reads %.2f s, %v packets", hlsDuration, hlsPackets)
			}
			t.Logf("%s: page sent %d frames %dx%d for %v; %d fragments, %v listed; archive %.2f s %v; HLS %.2f s",
				codec, f.FramesSent, f.Width, f.Height, span, len(frags), listed, duration, packets, hlsDuration)
		})
	}

	// An RTSP camera watched over WHEP in the watch page.
	pub := e2e.Publish(t, srv.RTSP+"/rtsp-cam", "libx264", "tcp", 30)
	defer pub.Process.Kill()
	e2e.WaitFor(t, 15*time.Second, "rtsp-cam live", func() bool {
		st, _ := e2e.HttpGet(t, srv.URL+"/hls/rtsp-cam/index.m3u8")
		return st == http.StatusOK
	})
	e2e.CheckWatched(t, "watch page", e2e.RunPage(t, srv.URL+"/watch/rtsp-cam", 8), 320, 240)
	srv.Stop(t)
}
