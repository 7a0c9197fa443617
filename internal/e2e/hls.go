package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Browsertest is the Node project that plays HLS with hls.js in headless
// Chromium (the test command runs npm ci there and installs chromium).
var Browsertest = filepath.Join(Root, "web", "browsertest")

func RequireBrowser(t *testing.T) {
	t.Helper()
	for _, need := range []string{"/usr/bin/chromium", filepath.Join(Browsertest, "node_modules", "playwright-core"), filepath.Join(Browsertest, "node_modules", "hls.js"),
		filepath.Join(Browsertest, "node_modules", "esbuild"), filepath.Join(Browsertest, "node_modules", "@aws-sdk", "client-kinesis")} {
		if _, err := os.Stat(need); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is required (scripts/test.sh installs chromium and runs npm ci in web/browsertest): %v", need, err)
			}
			t.Skipf("%s missing (scripts/test.sh installs it)", need)
		}
	}
	if _, err := exec.LookPath("node"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is required")
		}
		t.Skip("node not installed")
	}
}

// Played is what play.mjs reports of hls.js playing a URL.
type Played struct {
	Samples []struct {
		T           int     `json:"t"`
		CurrentTime float64 `json:"currentTime"`
		Frames      int     `json:"frames"`
	} `json:"samples"`
	CurrentTime      float64 `json:"currentTime"`
	TotalVideoFrames int     `json:"totalVideoFrames"`
	Fatal            bool    `json:"fatal"`
	Errors           []struct {
		Type, Details, Reason string
		Fatal                 bool
	} `json:"errors"`
}

// PlayHLS plays src with hls.js in headless Chromium for seconds.
func PlayHLS(t *testing.T, src string, seconds int) Played {
	t.Helper()
	page := httptest.NewServer(http.FileServer(http.Dir(Browsertest)))
	defer page.Close()
	cmd := exec.Command("node", "play.mjs", "--page", page.URL+"/page.html", "--src", src, "--seconds", strconv.Itoa(seconds))
	cmd.Dir = Browsertest
	cmd.Stderr = os.Stderr

	timer := time.AfterFunc(time.Duration(seconds+60)*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	out, err := cmd.Output()

	if err != nil {
		t.Fatalf("play.mjs %s: %v\n%s", src, err, out)
	}
	var p Played
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("play.mjs output: %v\n%s", err, out)
	}
	return p
}

// CheckPlayed fails unless hls.js played: time advanced by at least
// minAdvance, frames were decoded and no fatal error happened.
func CheckPlayed(t *testing.T, what string, p Played, minAdvance float64) {
	t.Helper()
	first := -1.0
	for _, s := range p.Samples {
		if s.CurrentTime > 0 && first < 0 {
			first = s.CurrentTime
		}
	}
	if p.Fatal || first < 0 || p.CurrentTime-first < minAdvance || p.TotalVideoFrames == 0 {
		t.Fatalf("%s: hls.js played from %.2f s to %.2f s, %d frames, fatal %v, errors %+v", what, first, p.CurrentTime, p.TotalVideoFrames, p.Fatal, p.Errors)
	}
	t.Logf("%s: hls.js played %.2f s to %.2f s, %d frames decoded, %d non-fatal errors", what, first, p.CurrentTime, p.TotalVideoFrames, len(p.Errors))
}

func HttpGet(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// MediaPlaylist fetches the media playlist of a session URL (its master).
func MediaPlaylist(t *testing.T, master string) (sequence uint64, segments []string, body string) {
	t.Helper()
	status, body := HttpGet(t, strings.Replace(master, "getHLSMasterPlaylist.m3u8", "getHLSMediaPlaylist.m3u8", 1))
	if status != 200 {
		t.Fatalf("media playlist of %s: %d %s", master, status, body)
	}
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, "#EXT-X-MEDIA-SEQUENCE:"); ok {
			sequence, _ = strconv.ParseUint(v, 10, 64)
		} else if l != "" && !strings.HasPrefix(l, "#") {
			segments = append(segments, l)
		}
	}
	return sequence, segments, body
}

// SessionURL asks the AWS CLI for an HLS session of stream.
func SessionURL(t *testing.T, srvURL, stream string, args ...string) string {
	t.Helper()
	var out struct{ HLSStreamingSessionURL string }
	RunAWS(t, srvURL, &out, append([]string{"kinesis-video-archived-media", "get-hls-streaming-session-url", "--stream-name", stream}, args...)...)
	if !strings.HasPrefix(out.HLSStreamingSessionURL, srvURL+"/getHLSMasterPlaylist.m3u8?SessionToken=") {
		t.Fatalf("session URL %q", out.HLSStreamingSessionURL)
	}
	return out.HLSStreamingSessionURL
}

func Selector(typ string, start, end time.Time) string {
	r := fmt.Sprintf(`"StartTimestamp":%d`, start.Unix())
	if !end.IsZero() {
		r += fmt.Sprintf(`,"EndTimestamp":%d`, end.Unix())
	}
	return fmt.Sprintf(`{"FragmentSelectorType":%q,"TimestampRange":{%s}}`, typ, r)
}

// ProbeTimeline reads an HLS URL with ffprobe: the duration, and whether
// each stream's packet timestamps only go forward.
func ProbeTimeline(t *testing.T, u string) (duration float64, packets map[string]int) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration:packet=codec_type,pts_time", "-of", "csv", u).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", u, err, out)
	}
	packets = map[string]int{}
	last := map[string]float64{}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Split(strings.TrimSpace(l), ",")
		switch {
		case len(f) >= 3 && f[0] == "packet": // MPEG-TS packets add side_data fields
			pts, err := strconv.ParseFloat(f[2], 64)
			if err != nil {
				t.Fatalf("packet without a timestamp: %q", l)
			}
			if prev, ok := last[f[1]]; ok && pts < prev {
				t.Fatalf("%s timestamps go back: %.3f after %.3f (%s)", f[1], pts, prev, u)
			}
			last[f[1]] = pts
			packets[f[1]]++
		case len(f) == 2 && f[0] == "format":
			duration, _ = strconv.ParseFloat(f[1], 64)
		}
	}
	return duration, packets
}

func HlsEndToEnd(t *testing.T, srv *Server) {
	const seconds = 24
	began := time.Now()
	pub := Publish(t, srv.RTSP+"/cam", "libx264", "tcp", seconds)

	// Live: LL-HLS in hls.js, while the publisher goes on.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if status, _ := HttpGet(t, srv.URL+"/hls/cam/index.m3u8"); status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no live playlist: %s", srv.Log.String())
		}
	}
	time.Sleep(3 * time.Second) // a closed fragment or two
	live := SessionURL(t, srv.URL, "cam", "--playback-mode", "LIVE")
	replay := SessionURL(t, srv.URL, "cam", "--playback-mode", "LIVE_REPLAY", "--hls-fragment-selector", Selector("SERVER_TIMESTAMP", began.Add(-2*time.Second), time.Time{}))
	seq1, live1, _ := MediaPlaylist(t, live)
	_, replay1, _ := MediaPlaylist(t, replay)

	CheckPlayed(t, "live LL-HLS", PlayHLS(t, srv.URL+"/hls/cam/index.m3u8", 8), 4)

	seq2, live2, _ := MediaPlaylist(t, live)
	_, replay2, body := MediaPlaylist(t, replay)
	if seq2 <= seq1 || live2[len(live2)-1] == live1[len(live1)-1] {
		t.Errorf("the LIVE playlist did not advance: sequence %d -> %d, last %s -> %s", seq1, seq2, live1[len(live1)-1], live2[len(live2)-1])
	}
	if len(replay2) <= len(replay1) || replay2[0] != replay1[0] || strings.Contains(body, "#EXT-X-ENDLIST") {
		t.Errorf("the LIVE_REPLAY playlist did not grow from its start: %d -> %d segments\n%s", len(replay1), len(replay2), body)
	}

	if err := pub.Wait(); err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	time.Sleep(time.Second) // the last fragment is stored and indexed
	rng := Selector("SERVER_TIMESTAMP", began.Add(-2*time.Second), time.Now().Add(time.Second))
	for _, container := range []string{"FRAGMENTED_MP4", "MPEG_TS"} {
		t.Run(container, func(t *testing.T) {
			u := SessionURL(t, srv.URL, "cam", "--playback-mode", "ON_DEMAND", "--container-format", container, "--hls-fragment-selector", rng)
			duration, packets := ProbeTimeline(t, u)
			if duration < seconds-2 || duration > seconds+2 || packets["video"] < (seconds-2)*25 || packets["audio"] == 0 {
				t.Fatalf("ON_DEMAND %s: ffprobe reads %.2f s, %v packets; %d s were published", container, duration, packets, seconds)
			}
		})
	}
	onDemand := SessionURL(t, srv.URL, "cam", "--playback-mode", "ON_DEMAND", "--hls-fragment-selector", rng)
	CheckPlayed(t, "ON_DEMAND", PlayHLS(t, onDemand, 6), 2)

	if u, err := url.Parse(onDemand); err != nil || u.Query().Get("SessionToken") == "" {
		t.Fatalf("session URL %s", onDemand)
	}
	srv.Stop(t)
}
