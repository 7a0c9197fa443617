package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments/fragmentstest"
)

func requireFFmpeg(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is required (scripts/test.sh installs it)", tool)
			}
			t.Skipf("%s not installed (scripts/test.sh installs it)", tool)
		}
	}
}

// publish starts ffmpeg publishing a test pattern (25 fps, a keyframe
// every 2 s) and a tone for seconds to url.
func publish(t *testing.T, url, vcodec, transport string, seconds int) *exec.Cmd {
	t.Helper()
	args := []string{"-v", "error", "-re",
		"-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", fmt.Sprint(seconds), "-c:v", vcodec, "-preset", "ultrafast", "-g", "50", "-keyint_min", "50", "-pix_fmt", "yuv420p"}
	if vcodec == "libx265" {
		args = append(args, "-x265-params", "log-level=error:scenecut=0")
	} else {
		args = append(args, "-sc_threshold", "0")
	}
	args = append(args, "-c:a", "aac", "-f", "rtsp", "-rtsp_transport", transport, url)
	cmd := exec.Command("ffmpeg", args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

type listedFragment struct {
	FragmentNumber               string
	FragmentSizeInBytes          int64
	ProducerTimestamp            time.Time
	ServerTimestamp              time.Time
	FragmentLengthInMilliseconds int64
}

func listFragments(t *testing.T, url, stream string) []listedFragment {
	t.Helper()
	var out struct{ Fragments []listedFragment }
	runAWS(t, url, &out, "kinesis-video-archived-media", "list-fragments", "--stream-name", stream)
	sort.Slice(out.Fragments, func(i, j int) bool {
		return out.Fragments[i].ProducerTimestamp.Before(out.Fragments[j].ProducerTimestamp)
	})
	return out.Fragments
}

// archived returns the init and fragment files of a stream in a local
// archive, fragments in time order.
func archived(t *testing.T, dataDir, stream string) (inits, frags []string) {
	t.Helper()
	root := filepath.Join(dataDir, "archive", "video", "s-"+stream)
	inits, _ = filepath.Glob(filepath.Join(root, "*", "init", "*.mp4"))
	frags, _ = filepath.Glob(filepath.Join(root, "*", "fragments", "*.m4s"))
	sort.Strings(frags) // keys start with the producer time in ms
	return inits, frags
}

// TestVideoIngestEndToEnd publishes with ffmpeg over RTSP (H.264+AAC over
// TCP and over UDP, H.265 over TCP, and a publisher killed mid-stream) and
// checks the archive with the AWS CLI and ffprobe.
func TestVideoIngestEndToEnd(t *testing.T) {
	requireFFmpeg(t)
	requireTool(t, awsCLI)
	dir := t.TempDir()
	srv := startServer(t, dir)
	const seconds = 20
	pubs := map[string]*exec.Cmd{
		"cam-tcp":  publish(t, srv.rtsp+"/cam-tcp", "libx264", "tcp", seconds),
		"cam-udp":  publish(t, srv.rtsp+"/cam-udp", "libx264", "udp", seconds),
		"cam-h265": publish(t, srv.rtsp+"/cam-h265", "libx265", "tcp", seconds),
	}
	killed := publish(t, srv.rtsp+"/cam-killed", "libx264", "tcp", seconds)
	time.Sleep(7 * time.Second)
	killed.Process.Signal(syscall.SIGKILL) // disconnects mid-fragment

	var wg sync.WaitGroup
	for name, cmd := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cmd.Wait(); err != nil {
				t.Errorf("ffmpeg %s: %v", name, err)
			}
		}()
	}
	wg.Wait()
	time.Sleep(time.Second) // the last fragment is stored and indexed

	for _, stream := range []string{"cam-tcp", "cam-udp", "cam-h265"} {
		t.Run(stream, func(t *testing.T) {
			listed := listFragments(t, srv.url, stream)
			var total int64
			for i, f := range listed {
				total += f.FragmentLengthInMilliseconds
				if i > 0 && (f.FragmentNumber <= listed[i-1].FragmentNumber || !f.ProducerTimestamp.After(listed[i-1].ProducerTimestamp) || f.ServerTimestamp.Before(listed[i-1].ServerTimestamp)) {
					t.Errorf("fragment %d does not follow %d: %+v after %+v", i, i-1, f, listed[i-1])
				}
			}
			if total < (seconds-2)*1000 || total > (seconds+2)*1000 {
				t.Fatalf("%d fragments hold %d ms; %d s were published", len(listed), total, seconds)
			}
			inits, frags := archived(t, dir, stream)
			if len(inits) != 1 || len(frags) != len(listed) {
				t.Fatalf("archive holds %d inits and %d fragments; the index lists %d", len(inits), len(frags), len(listed))
			}
			init, _ := os.ReadFile(inits[0])
			frames := 0
			for i, path := range frags {
				media, _ := os.ReadFile(path)
				probe := fragmentstest.FFprobe(t, init, media)
				want := int(listed[i].FragmentLengthInMilliseconds * 25 / 1000)
				if probe.Packets["video"] != want || probe.Packets["audio"] == 0 {
					t.Errorf("fragment %d (%d ms): ffprobe counts %v, want %d video frames and audio", i, listed[i].FragmentLengthInMilliseconds, probe.Packets, want)
				}
				frames += probe.Packets["video"]
			}
			if frames != seconds*25 {
				t.Errorf("archived %d video frames, ffmpeg sent %d", frames, seconds*25)
			}
		})
	}
	t.Run("cam-killed", func(t *testing.T) {
		// Whatever was archived of the killed publisher is indexed, and
		// every index entry has its object.
		listed := listFragments(t, srv.url, "cam-killed")
		_, frags := archived(t, dir, "cam-killed")
		if len(listed) < 2 || len(frags) != len(listed) {
			t.Fatalf("killed publisher: %d fragments listed, %d archived", len(listed), len(frags))
		}
	})
	if !strings.Contains(srv.log.String(), "cam-killed") {
		t.Error("the server log does not mention the killed publisher")
	}
	srv.stop(t)
}
