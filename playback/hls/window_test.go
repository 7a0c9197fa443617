package hls_test

import (
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/playback/hls"
	"github.com/sluice-dev/sluice/streams"
)

// recordTwoSessions records two 4 s sessions (2 fragments each) of stream,
// the second 10 s after the first, and waits until all are indexed.
func recordTwoSessions(t *testing.T, r *rig, stream string) (start time.Time) {
	t.Helper()
	start = time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	for i, at := range []time.Time{start, start.Add(14 * time.Second)} {
		f := r.publish(t, stream, at)
		f.Frames(100)
		f.s.Close()
		waitFor(t, "fragments indexed", func() bool {
			n := 0
			r.lib.Fragments(bg, stream, fragments.Selector{}, func(fragments.Info) bool { n++; return true })
			return n == 2*(i+1)
		})
	}
	return start
}

func TestWindowModes(t *testing.T) {
	r := newRig(t)
	start := recordTwoSessions(t, r, "cam")
	discs := func(w hls.Window) string {
		var b strings.Builder
		for _, e := range w.Entries {
			if e.Disc {
				b.WriteByte('D')
			} else {
				b.WriteByte('-')
			}
		}
		return b.String()
	}
	for _, tc := range []struct {
		name  string
		sess  playback.Session
		n     int
		discs string
		ended bool
	}{
		{"on demand, server time, default ALWAYS", playback.Session{Mode: hls.ModeOnDemand, Start: start.Add(-time.Second), End: time.Now()}, 4, "-DDD", true},
		{"on demand, producer time, default NEVER", playback.Session{Mode: hls.ModeOnDemand, Producer: true, Start: start, End: time.Now()}, 4, "----", true},
		{"on demand, ON_DISCONTINUITY", playback.Session{Mode: hls.ModeOnDemand, Discontinuity: hls.DiscOn, Start: start.Add(-time.Second), End: time.Now()}, 4, "--D-", true},
		{"on demand, at most 3", playback.Session{Mode: hls.ModeOnDemand, MaxFragments: 3, Start: start.Add(-time.Second), End: time.Now()}, 3, "-DD", true},
		{"on demand, a range of the second session", playback.Session{Mode: hls.ModeOnDemand, Start: start.Add(13 * time.Second), End: time.Now()}, 2, "-D", true},
		{"replay without end", playback.Session{Mode: hls.ModeLiveReplay, Start: start.Add(-time.Second)}, 4, "-DDD", false},
		{"replay past its end", playback.Session{Mode: hls.ModeLiveReplay, Start: start.Add(-time.Second), End: time.Now().Add(-time.Second)}, 4, "-DDD", true},
		{"live, newest 3", playback.Session{Mode: hls.ModeLive, MaxFragments: 3}, 3, "-DD", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.sess.Stream = "cam"
			w, err := r.hls.Window(bg, tc.sess)
			if err != nil {
				t.Fatal(err)
			}
			if len(w.Entries) != tc.n || discs(w) != tc.discs || w.Ended != tc.ended {
				t.Fatalf("%d entries, discontinuities %s, ended %v; want %d, %s, %v", len(w.Entries), discs(w), w.Ended, tc.n, tc.discs, tc.ended)
			}
			for i, e := range w.Entries {
				if i > 0 && e.MSN != w.Entries[i-1].MSN+1 {
					t.Fatalf("MSNs not consecutive: %d after %d", e.MSN, w.Entries[i-1].MSN)
				}
			}
			switch tc.sess.Mode {
			case hls.ModeOnDemand:
				if w.Entries[0].MSN != 0 || w.Entries[0].Ref != w.Entries[0].Number {
					t.Fatalf("on demand: first MSN %d, ref %s (number %s)", w.Entries[0].MSN, w.Entries[0].Ref, w.Entries[0].Number)
				}
			case hls.ModeLive:
				m, _ := streams.SequenceMessage(w.Entries[0].Number)
				if w.Entries[0].MSN != m {
					t.Fatalf("live: MSN %d, index position %d", w.Entries[0].MSN, m)
				}
			}
		})
	}
	if _, err := r.hls.Window(bg, playback.Session{Stream: "missing", Mode: hls.ModeOnDemand}); err == nil {
		t.Fatal("a missing stream has a window")
	}
}

func TestReplayPlaylistPlays(t *testing.T) {
	r := newRig(t)
	start := recordTwoSessions(t, r, "cam")
	q := url.Values{"start": {start.Add(-time.Second).Format(time.RFC3339Nano)}, "end": {time.Now().Format(time.RFC3339Nano)}}
	status, _, body := r.get(t, "/hls/cam/replay.m3u8?"+q.Encode())
	if status != 200 {
		t.Fatalf("replay: %d %s", status, body)
	}
	p := parsePlaylist(t, string(body))
	if !p.ended || p.tags["#EXT-X-PLAYLIST-TYPE"] != "VOD" || len(p.segments) != 4 || !p.segments[2].disc || p.segments[1].disc {
		t.Fatalf("replay playlist:\n%s", body)
	}
	if n := probeURL(t, r.srv.URL+"/hls/cam/replay.m3u8?"+q.Encode()); n["video"] != 200 || n["audio"] == 0 {
		t.Fatalf("ffprobe of the replay: %v", n)
	}
	q.Set("end", start.Add(-time.Second).Format(time.RFC3339))
	q.Set("start", start.Add(-time.Hour).Format(time.RFC3339))
	if status, _, _ := r.get(t, "/hls/cam/replay.m3u8?"+q.Encode()); status != http.StatusNotFound {
		t.Fatalf("an empty range: %d", status)
	}
	if status, _, _ := r.get(t, "/hls/cam/replay.m3u8?start=yesterday"); status != http.StatusBadRequest {
		t.Fatalf("a bad range: %d", status)
	}
}

// probeURL counts the packets ffprobe reads from a URL, by codec type.
// (fragmentstest.FFprobeFile counts an HLS input's streams twice: once
// in its program, once at top level.)
func probeURL(t *testing.T, u string) map[string]int {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-count_packets", "-show_entries", "stream=codec_type,nb_read_packets", "-of", "csv", u).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", u, err, out)
	}
	n := map[string]int{}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Split(strings.TrimSpace(l), ",")
		if len(f) == 3 && f[0] == "stream" {
			c, _ := strconv.Atoi(f[2])
			n[f[1]] += c
		}
	}
	return n
}
