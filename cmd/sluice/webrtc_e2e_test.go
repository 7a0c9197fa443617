package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// webrtcPage is the script that drives Sluice's /publish and /watch pages
// in headless Chromium (with web/browsertest's playwright-core).
var webrtcPage = filepath.Join("..", "..", "ingest", "webrtc", "testdata", "browser", "page.mjs")

// pageState is window.sluice of the publish and watch pages.
type pageState struct {
	State         string
	Error         *string
	Codec         *string
	FramesEncoded int
	FramesSent    int
	FramesDecoded int
	Width, Height int
	FirstFrameMs  *float64
}

type pageRun struct {
	Samples []struct {
		T int
		pageState
	}
	Final  pageState
	Errors []string
}

// runPage opens a page of the server for seconds and returns what it did.
func runPage(t *testing.T, url string, seconds int) pageRun {
	t.Helper()
	modules, _ := filepath.Abs(filepath.Join(browsertest, "node_modules"))
	cmd := exec.Command("node", webrtcPage, "--modules", modules, "--url", url, "--seconds", fmt.Sprint(seconds))
	cmd.Stderr = os.Stderr
	timer := time.AfterFunc(time.Duration(seconds+60)*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("page.mjs %s: %v\n%s", url, err, out)
	}
	var r pageRun
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("page.mjs output: %v\n%s", err, out)
	}
	return r
}

// TestWebRTCEndToEnd runs the binary with WebRTC on a loopback UDP port:
// headless Chromium publishes its fake camera over WHIP for 15 s in H.264
// and in VP9 (chosen with setCodecPreferences by the publish page); both
// are archived (list-fragments, ffprobe of the fragments and of an
// ON_DEMAND HLS session: about 15 s). Then ffmpeg publishes over RTSP
// and the watch page plays it over WHEP at its size.
func TestWebRTCEndToEnd(t *testing.T) {
	requireFFmpeg(t)
	requireTool(t, awsCLI)
	requireBrowser(t)
	dir := t.TempDir()
	srv := startServer(t, dir, "--webrtc-addr", fmt.Sprintf("127.0.0.1:%d", freeUDPPort(t)))
	const seconds = 15

	began := time.Now()
	runs := map[string]pageRun{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, codec := range []string{"H264", "VP9"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := runPage(t, fmt.Sprintf("%s/publish/web-%s?autostart=1&codec=%s&audio=1", srv.url, strings.ToLower(codec), codec), seconds)
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
				t.Fatalf("publish page: %+v, errors %v\n%s", f, r.Errors, srv.log.String())
			}
			stream := "web-" + strings.ToLower(codec)
			frags := listFragments(t, srv.url, stream)
			var listed time.Duration
			for _, fr := range frags {
				listed += time.Duration(fr.FragmentLengthInMilliseconds) * time.Millisecond
			}
			inits, files := archived(t, dir, stream)
			if len(frags) < 4 || len(files) != len(frags) || len(inits) == 0 || listed < (seconds-3)*time.Second || listed > (seconds+2)*time.Second {
				t.Fatalf("%d fragments listed (%v), %d archived, %d inits", len(frags), listed, len(files), len(inits))
			}
			// The session's fragments, concatenated behind its init segment.
			media := []string{inits[0]}
			media = append(media, files...)
			duration, packets := probeSpan(t, media...)
			if duration < seconds-3 || duration > seconds+2 || packets["video"] < 5*(seconds-3) || packets["audio"] == 0 {
				t.Fatalf("archive: ffprobe reads %.2f s, %v packets; %d s were published", duration, packets, seconds)
			}
			rng := selector("SERVER_TIMESTAMP", began.Add(-2*time.Second), ended.Add(2*time.Second))
			u := sessionURL(t, srv.url, stream, "--playback-mode", "ON_DEMAND", "--hls-fragment-selector", rng)
			hlsDuration, hlsPackets := probeTimeline(t, u)
			if hlsDuration < seconds-3 || hlsDuration > seconds+2 || hlsPackets["video"] < 5*(seconds-3) {
				t.Fatalf("ON_DEMAND HLS: ffprobe reads %.2f s, %v packets", hlsDuration, hlsPackets)
			}
			t.Logf("%s: page sent %d frames %dx%d; %d fragments, %v listed; archive %.2f s %v; HLS %.2f s",
				codec, f.FramesSent, f.Width, f.Height, len(frags), listed, duration, packets, hlsDuration)
		})
	}

	// An RTSP camera watched over WHEP in the watch page.
	pub := publish(t, srv.rtsp+"/rtsp-cam", "libx264", "tcp", 30)
	defer pub.Process.Kill()
	time.Sleep(3 * time.Second)
	r := runPage(t, srv.url+"/watch/rtsp-cam", 8)
	decoded := []int{}
	for _, s := range r.Samples {
		decoded = append(decoded, s.FramesDecoded)
	}
	f := r.Final
	if len(r.Errors) > 0 || f.Width != 320 || f.Height != 240 || f.FramesDecoded < 100 || len(decoded) < 4 || decoded[len(decoded)-1] <= decoded[len(decoded)/2] {
		t.Fatalf("watch page: %+v, framesDecoded over time %v, errors %v", f, decoded, r.Errors)
	}
	first := -1.0
	if f.FirstFrameMs != nil {
		first = *f.FirstFrameMs
	}
	t.Logf("watch page: %dx%d, %d frames decoded in 8 s, first picture %.0f ms after the POST", f.Width, f.Height, f.FramesDecoded, first)
	srv.stop(t)
}

// probeSpan reads files concatenated with ffprobe: the span of the
// video's timestamps (seconds; the fragments' absolute timestamps make
// the container's duration meaningless) and the packets per type.
func probeSpan(t *testing.T, files ...string) (float64, map[string]int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "media.mp4")
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if err := os.WriteFile(path, all, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "packet=codec_type,pts_time,duration_time", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	packets := map[string]int{}
	first, last := -1.0, 0.0
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, ",")
		if len(f) < 3 {
			continue
		}
		packets[f[0]]++
		if f[0] != "video" {
			continue
		}
		pts, _ := strconv.ParseFloat(f[1], 64)
		dur, _ := strconv.ParseFloat(f[2], 64)
		if first < 0 || pts < first {
			first = pts
		}
		last = max(last, pts+dur)
	}
	return last - first, packets
}
