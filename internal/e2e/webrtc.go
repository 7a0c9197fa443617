package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// WebrtcPage is the script that drives Sluice's /publish and /watch pages
// in headless Chromium (with web/browsertest's playwright-core).
var WebrtcPage = filepath.Join(Root, "ingest", "webrtc", "testdata", "browser", "page.mjs")

// PageState is window.sluice of the publish and watch pages.
type PageState struct {
	State         string
	Error         *string
	Codec         *string
	FramesEncoded int
	FramesSent    int
	FramesDecoded int
	Width, Height int
	FirstFrameMs  *float64
}

type PageRun struct {
	Samples []struct {
		T int
		PageState
	}
	Final  PageState
	Errors []string
}

// PublishedSpan is how long the page sent frames in a run of seconds:
// from the first sample that had sent one (less the half-second sampling
// interval, so never shorter than the truth) to the end of the run. The
// browser's setup (ICE, DTLS) eats into the run, more on a loaded machine:
// archive durations are checked against this, not against the run.
func (r PageRun) PublishedSpan(seconds int) time.Duration {
	for _, s := range r.Samples {
		if s.FramesSent > 0 {
			return time.Duration(seconds)*time.Second - time.Duration(s.T)*time.Millisecond + 500*time.Millisecond
		}
	}
	return time.Duration(seconds) * time.Second
}

// RunPage opens a page of the server for seconds and returns what it did.
func RunPage(t *testing.T, url string, seconds int) PageRun {
	t.Helper()
	modules, _ := filepath.Abs(filepath.Join(Browsertest, "node_modules"))
	cmd := exec.Command("node", WebrtcPage, "--modules", modules, "--url", url, "--seconds", fmt.Sprint(seconds))
	cmd.Stderr = os.Stderr
	timer := time.AfterFunc(time.Duration(seconds+60)*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("page.mjs %s: %v\n%s", url, err, out)
	}
	var r PageRun
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("page.mjs output: %v\n%s", err, out)
	}
	return r
}

// ProbeSpan reads files concatenated with ffprobe: the span of the
// video's timestamps (seconds; the fragments' absolute timestamps make
// the container's duration meaningless) and the packets per type.
func ProbeSpan(t *testing.T, files ...string) (float64, map[string]int) {
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

// CheckWatched checks a watch page's run: no errors, the picture at its
// size, frames decoded all along (at least 100 in the run's 8 s).
func CheckWatched(t *testing.T, what string, r PageRun, width, height int) {
	t.Helper()
	decoded := []int{}
	for _, s := range r.Samples {
		decoded = append(decoded, s.FramesDecoded)
	}
	f := r.Final
	if len(r.Errors) > 0 || f.Width != width || f.Height != height || f.FramesDecoded < 100 || len(decoded) < 4 || decoded[len(decoded)-1] <= decoded[len(decoded)/2] {
		t.Fatalf("%s: watch page %+v, framesDecoded over time %v, errors %v", what, f, decoded, r.Errors)
	}
	first := -1.0
	if f.FirstFrameMs != nil {
		first = *f.FirstFrameMs
	}
	t.Logf("%s: %dx%d, %d frames decoded, first picture %.0f ms after the POST", what, f.Width, f.Height, f.FramesDecoded, first)
}
