package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

func RequireFFmpeg(t *testing.T) {
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

// Publish starts ffmpeg publishing a test pattern (25 fps, a keyframe
// every 2 s) and a tone for seconds to url.
func Publish(t *testing.T, url, vcodec, transport string, seconds int) *exec.Cmd {
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

type ListedFragment struct {
	FragmentNumber               string
	FragmentSizeInBytes          int64
	ProducerTimestamp            time.Time
	ServerTimestamp              time.Time
	FragmentLengthInMilliseconds int64
}

func ListFragments(t *testing.T, url, stream string) []ListedFragment {
	t.Helper()
	var out struct{ Fragments []ListedFragment }
	RunAWS(t, url, &out, "kinesis-video-archived-media", "list-fragments", "--stream-name", stream)
	sort.Slice(out.Fragments, func(i, j int) bool {
		return out.Fragments[i].ProducerTimestamp.Before(out.Fragments[j].ProducerTimestamp)
	})
	return out.Fragments
}

// Archived returns the init and fragment files of a stream in a local
// archive, fragments in time order.
func Archived(t *testing.T, dataDir, stream string) (inits, frags []string) {
	t.Helper()
	root := filepath.Join(dataDir, "archive", "video", "s-"+stream)
	inits, _ = filepath.Glob(filepath.Join(root, "*", "init", "*.mp4"))
	frags, _ = filepath.Glob(filepath.Join(root, "*", "fragments", "*.m4s"))
	sort.Strings(frags) // keys start with the producer time in ms
	return inits, frags
}
