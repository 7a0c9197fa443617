package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments/fragmentstest"
)

// CliTime writes a time as the AWS CLI takes it (ISO 8601). The CLI sends
// whole epoch seconds, so tests give it whole seconds.
func CliTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// KeyframeBefore is the start of the last listed fragment at or before t:
// the stream's keyframes are every 2 s, so each starts a fragment and
// fragments start nowhere else.
func KeyframeBefore(listed []ListedFragment, t time.Time) time.Time {
	kf := listed[0].ProducerTimestamp
	for _, f := range listed {
		if !f.ProducerTimestamp.After(t) {
			kf = f.ProducerTimestamp
		}
	}
	return kf
}

// CompleteDocuments cuts Matroska output of GetMedia at the start of its
// last EBML document, which a client stopped mid-stream may hold only in
// part (the AWS CLI writes a streamed body in 128 KiB blocks and drops the
// last partial one when its read times out), and says how many documents
// (fragments) remain.
func CompleteDocuments(b []byte) ([]byte, int) {
	var starts []int // EBML header ID, a one-byte size, EBMLVersion's ID
	for i := 0; i+7 <= len(b); i++ {
		if bytes.HasPrefix(b[i:], []byte{0x1a, 0x45, 0xdf, 0xa3}) && b[i+4]&0x80 != 0 && b[i+5] == 0x42 && b[i+6] == 0x86 {
			starts = append(starts, i)
		}
	}
	if len(starts) == 0 {
		return nil, 0
	}
	return b[:starts[len(starts)-1]], len(starts) - 1
}

// GetClip fetches a clip of [from, to] (producer timestamps) with the AWS
// CLI and returns the file it wrote.
func GetClip(t *testing.T, url, stream string, from, to time.Time) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clip.mp4")
	var out struct{ ContentType string }
	RunAWS(t, url, &out, "kinesis-video-archived-media", "get-clip", "--stream-name", stream,
		"--clip-fragment-selector", fmt.Sprintf("FragmentSelectorType=PRODUCER_TIMESTAMP,TimestampRange={StartTimestamp=%s,EndTimestamp=%s}", CliTime(from), CliTime(to)),
		path)
	if out.ContentType != "video/mp4" {
		t.Errorf("get-clip: ContentType %q", out.ContentType)
	}
	return path
}

// VideoPTS lists the presentation times of a file's video packets, sorted.
func VideoPTS(t *testing.T, path string) []float64 {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	var pts []float64
	for _, l := range strings.Fields(string(out)) {
		v, err := strconv.ParseFloat(strings.TrimSuffix(l, ","), 64)
		if err != nil {
			t.Fatalf("ffprobe packet line %q", l)
		}
		pts = append(pts, v)
	}
	sort.Float64s(pts)
	return pts
}

// CheckFrames checks that a file's video frames are every 1/25 s from its
// first to its last, none missing and none twice, and returns their count
// and the video duration.
func CheckFrames(t *testing.T, path string) (int, float64) {
	t.Helper()
	pts := VideoPTS(t, path)
	if len(pts) == 0 {
		t.Fatalf("%s has no video", path)
	}
	for i := 1; i < len(pts); i++ {
		if d := pts[i] - pts[i-1]; math.Abs(d-0.04) > 0.002 {
			t.Errorf("video frame %d at %.3f s follows one at %.3f s: missing or duplicated frames", i, pts[i], pts[i-1])
		}
	}
	dur := pts[len(pts)-1] - pts[0] + 0.04
	if n := int(math.Round(dur * 25)); n != len(pts) {
		t.Errorf("%d video frames over %.3f s: want duration x 25 = %d", len(pts), dur, n)
	}
	return len(pts), dur
}

func MediaEndToEnd(t *testing.T, srv *Server) {
	MediaAcross(t, srv.RTSP, srv.URL, "cam")
	srv.Stop(t)
}

// MediaAcross publishes stream for 20 s to the RTSP server at rtspURL and
// reads it back through the API at url (the same node, or another node
// of a cluster): GetMedia following the live stream, a clip to now (the
// newest fragments, up to the live edge), a clip of the past, and
// GetMediaForFragmentList.
func MediaAcross(t *testing.T, rtspURL, url, stream string) {
	const seconds = 20
	pub := Publish(t, rtspURL+"/"+stream, "libx264", "tcp", seconds) // keyframes every 2 s: 2-s fragments

	time.Sleep(5 * time.Second)
	getMedia := StartGetMedia(t, url, stream)
	time.Sleep(8 * time.Second)
	t.Run("clip across the live seam", func(t *testing.T) {
		listed := ListFragments(t, url, stream)
		if len(listed) < 3 {
			t.Fatalf("%d fragments after 13 s", len(listed))
		}
		// To now (the CLI sends whole seconds): archived fragments, then
		// those only on the live edge yet, then nothing of the open one.
		first, now := listed[0].ProducerTimestamp, time.Now().Truncate(time.Second)
		_, dur := CheckFrames(t, GetClip(t, url, stream, first, now))
		var Archived time.Duration
		for _, f := range listed {
			if end := f.ProducerTimestamp.Add(time.Duration(f.FragmentLengthInMilliseconds) * time.Millisecond); !end.After(now) {
				Archived = end.Sub(first)
			}
		}
		upTo := now.Sub(first).Seconds()
		if dur < Archived.Seconds()-0.05 || dur > upTo+0.05 || dur < upTo-2.1 {
			t.Errorf("the clip to now lasts %.3f s: want at least what was archived (%.3f s), at most %.3f s and less than a fragment short of it", dur, Archived.Seconds(), upTo)
		}
	})
	if err := pub.Wait(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // the last fragment is stored and indexed
	listed := ListFragments(t, url, stream)
	if len(listed) < 8 {
		t.Fatalf("%d fragments listed", len(listed))
	}

	t.Run("clip", func(t *testing.T) {
		// From mid-fragment (it starts at the keyframe before) to
		// mid-fragment (trimmed there).
		from := listed[1].ProducerTimestamp.Add(500 * time.Millisecond).Truncate(time.Second)
		to := listed[4].ProducerTimestamp.Add(700 * time.Millisecond).Truncate(time.Second)
		path := GetClip(t, url, stream, from, to)
		frames, dur := CheckFrames(t, path)
		want := to.Sub(KeyframeBefore(listed, from)).Seconds()
		if math.Abs(dur-want) > 0.05 || math.Abs(dur-to.Sub(from).Seconds()) > 2 {
			t.Errorf("clip of %v..%v lasts %.3f s (%d frames), want %.3f s (within a GOP of %.3f)", from, to, dur, frames, want, to.Sub(from).Seconds())
		}
		// The container spans the video within a quarter second: the audio is
		// trimmed with it (a publisher starved of CPU skews its audio by up
		// to ~0.1 s, which the clip keeps).
		if p := fragmentstest.FFprobeFile(t, path); p.Packets["audio"] == 0 || math.Abs(p.Duration-dur) > 0.25 {
			t.Errorf("clip: ffprobe %+v, video lasts %.3f", p, dur)
		}
	})

	t.Run("get-media-for-fragment-list", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "list.mkv")
		nums := []string{listed[2].FragmentNumber, listed[0].FragmentNumber, listed[1].FragmentNumber}
		var out struct{ ContentType string }
		RunAWS(t, url, &out, append([]string{"kinesis-video-archived-media", "get-media-for-fragment-list", path, "--stream-name", stream, "--fragments"}, nums...)...)
		if out.ContentType != "video/x-matroska" {
			t.Errorf("ContentType %q", out.ContentType)
		}
		CheckMatroska(t, path, int((listed[0].FragmentLengthInMilliseconds+listed[1].FragmentLengthInMilliseconds+listed[2].FragmentLengthInMilliseconds)*25/1000))
	})

	t.Run("get-media", func(t *testing.T) {
		if err := <-getMedia.Done; err != nil && !strings.Contains(getMedia.Out.String(), "timeout") {
			t.Fatalf("aws get-media: %v\n%s", err, getMedia.Out.String())
		}
		b, err := os.ReadFile(getMedia.Path)
		if err != nil {
			t.Fatal(err)
		}
		whole, n := CompleteDocuments(b)
		// The call began 5 s into the publication: the fragments after
		// that came as they closed.
		if n < len(listed)-2 {
			t.Fatalf("get-media wrote %d whole fragments of %d (%d bytes)", n, len(listed), len(b))
		}
		path := filepath.Join(t.TempDir(), "whole.mkv")
		if err := os.WriteFile(path, whole, 0o600); err != nil {
			t.Fatal(err)
		}
		var frames int64
		for _, f := range listed[:n] {
			frames += f.FragmentLengthInMilliseconds * 25 / 1000
		}
		CheckMatroska(t, path, int(frames))
	})
}

// CliCall is an AWS CLI call running in the background.
type CliCall struct {
	Path string // its outfile
	Out  *LogBuffer
	Done chan error
}

// StartGetMedia runs "aws kinesis-video-media get-media" from the
// earliest fragment, after get-data-endpoint as the API asks. get-media
// follows the stream until the client goes: the CLI's read timeout ends it
// 4 s after the last fragment.
func StartGetMedia(t *testing.T, url, stream string) *CliCall {
	t.Helper()
	var ep struct{ DataEndpoint string }
	RunAWS(t, url, &ep, "kinesisvideo", "get-data-endpoint", "--stream-name", stream, "--api-name", "GET_MEDIA")
	if ep.DataEndpoint != url {
		t.Fatalf("data endpoint %q, want %q", ep.DataEndpoint, url)
	}
	c := &CliCall{Path: filepath.Join(t.TempDir(), "media.mkv"), Out: &LogBuffer{}, Done: make(chan error, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	cmd := exec.CommandContext(ctx, AWSCLI, "--endpoint-url", ep.DataEndpoint, "--cli-read-timeout", "4",
		"kinesis-video-media", "get-media", "--stream-name", stream, "--start-selector", "StartSelectorType=EARLIEST", c.Path)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret", "AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=")
	cmd.Stdout, cmd.Stderr = c.Out, c.Out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { c.Done <- cmd.Wait(); cancel() }()
	t.Cleanup(func() { cancel() })
	return c
}

// CheckMatroska checks that ffprobe reads a file as Matroska with frames
// video frames, and that it carries KVS's fragment tags.
func CheckMatroska(t *testing.T, path string, frames int) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=format_name:format_tags", "-of", "default=nw=1", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	for _, want := range []string{"format_name=matroska,webm", "TAG:AWS_KINESISVIDEO_FRAGMENT_NUMBER=", "TAG:AWS_KINESISVIDEO_PRODUCER_TIMESTAMP="} {
		if !strings.Contains(string(out), want) {
			t.Errorf("ffprobe of %s: no %q in\n%s", path, want, out)
		}
	}
	if p := fragmentstest.FFprobeFile(t, path); p.Packets["video"] != frames || p.Packets["audio"] == 0 {
		t.Errorf("ffprobe of %s: %v, want %d video frames and audio", path, p.Packets, frames)
	}
}
