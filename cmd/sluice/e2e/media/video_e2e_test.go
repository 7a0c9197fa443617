package media

import (
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/internal/e2e"
)

// TestVideoIngestEndToEnd publishes with ffmpeg over RTSP (H.264+AAC over
// TCP and over UDP, H.265 over TCP, and a publisher killed mid-stream) and
// checks the archive with the AWS CLI and ffprobe.
func TestVideoIngestEndToEnd(t *testing.T) {
	e2e.RequireFFmpeg(t)
	e2e.RequireTool(t, e2e.AWSCLI)
	dir := t.TempDir()
	srv := e2e.StartServer(t, dir)
	const seconds = 20
	pubs := map[string]*exec.Cmd{
		"cam-tcp":  e2e.Publish(t, srv.RTSP+"/cam-tcp", "libx264", "tcp", seconds),
		"cam-udp":  e2e.Publish(t, srv.RTSP+"/cam-udp", "libx264", "udp", seconds),
		"cam-h265": e2e.Publish(t, srv.RTSP+"/cam-h265", "libx265", "tcp", seconds),
	}
	killed := e2e.Publish(t, srv.RTSP+"/cam-killed", "libx264", "tcp", seconds)
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
			listed := e2e.ListFragments(t, srv.URL, stream)
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
			inits, frags := e2e.Archived(t, dir, stream)
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
			// Every fragment holds as many frames as its duration says (no
			// gap inside); over TCP every frame sent is archived. Over UDP
			// the last datagrams race ffmpeg's TEARDOWN on the TCP
			// connection, and the session ends with what was read: a
			// loaded machine loses a few frames at the very end (seen: 4).
			lost := seconds*25 - frames
			if lost < 0 || lost > 0 && stream != "cam-udp" || lost > 12 {
				t.Errorf("archived %d video frames, ffmpeg sent %d", frames, seconds*25)
			}
		})
	}
	t.Run("cam-killed", func(t *testing.T) {
		// Whatever was archived of the killed publisher is indexed, and
		// every index entry has its object.
		listed := e2e.ListFragments(t, srv.URL, "cam-killed")
		_, frags := e2e.Archived(t, dir, "cam-killed")
		if len(listed) < 2 || len(frags) != len(listed) {
			t.Fatalf("killed publisher: %d fragments listed, %d archived", len(listed), len(frags))
		}
	})
	if !strings.Contains(srv.Log.String(), "cam-killed") {
		t.Error("the server log does not mention the killed publisher")
	}
	srv.Stop(t)
}
