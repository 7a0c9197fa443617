package hls_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/ingest"
)

func TestLiveLowLatencyPlaylist(t *testing.T) {
	r := newRig(t)
	f := r.publish(t, "cam", time.Now().Add(-time.Minute))
	f.Frames(130) // fragments [0,50) and [50,100) closed; [100,130) open: 5 parts flushed
	status, hdr, body := r.get(t, "/hls/cam/index.m3u8")
	if status != 200 || hdr.Get("Cache-Control") != "no-cache" || hdr.Get("Content-Type") != "application/vnd.apple.mpegurl" {
		t.Fatalf("GET index.m3u8: %d %v\n%s", status, hdr, body)
	}
	p := parsePlaylist(t, string(body))
	if p.tags["#EXT-X-SERVER-CONTROL"] != "CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.600" || p.tags["#EXT-X-PART-INF"] != "PART-TARGET=0.200" || p.tags["#EXT-X-TARGETDURATION"] != "2" {
		t.Fatalf("LL-HLS header tags:\n%s", p.raw)
	}
	if len(p.segments) != 2 || p.segments[0].duration != 2 || p.segments[1].duration != 2 || p.segments[0].mapURI == "" {
		t.Fatalf("want 2 segments of 2 s after an EXT-X-MAP:\n%s", p.raw)
	}
	// The newest closed segment lists its parts; an older one only until
	// it is archived (fragments.WatchedBytes).
	for i, s := range p.segments {
		if i == 0 && len(s.parts) == 0 {
			continue
		}
		if len(s.parts) != 10 || !s.indep[0] || !s.indep[5] || s.indep[1] {
			t.Fatalf("segment %d: parts %v independent %v\n%s", i, s.parts, s.indep, p.raw)
		}
	}
	if len(p.tail) != 5 || p.hint == "" {
		t.Fatalf("open fragment: %d parts, hint %q\n%s", len(p.tail), p.hint, p.raw)
	}

	// Media: the init, a segment and a part decode; they are cacheable.
	_, ih, init := r.get(t, "/hls/cam/"+p.segments[0].mapURI)
	_, sh, seg0 := r.get(t, "/hls/cam/"+p.segments[0].uri)
	_, ph, part := r.get(t, "/hls/cam/"+p.tail[0])
	for _, h := range []http.Header{ih, sh, ph} {
		if h.Get("Cache-Control") != "max-age=3600" || h.Get("Content-Type") != "video/mp4" {
			t.Fatalf("media headers %v", h)
		}
	}
	if probe := fragmentstest.FFprobe(t, init, seg0); probe.Packets["video"] != 50 || probe.Packets["audio"] == 0 {
		t.Fatalf("segment 0: %v", probe.Packets)
	}
	if probe := fragmentstest.FFprobe(t, init, part); probe.Packets["video"] != 5 {
		t.Fatalf("part 0 of the open fragment: %v", probe.Packets)
	}
}

// TestLiveFirstPlaylistHasParts: a stream nobody watched holds no closed
// fragment's parts; when its open fragment has none yet either, the first
// playlist waits for the first part instead of listing none (a player
// would start without parts).
func TestLiveFirstPlaylistHasParts(t *testing.T) {
	r := newRig(t)
	s, err := r.rec.Open(bg, "cold", ingest.Source{Kind: "test"}, fragmentstest.Tracks(t))
	if err != nil {
		t.Fatal(err)
	}
	f := &feeder{Feeder: fragmentstest.NewFeeder(t, time.Now().Add(-time.Minute), s.Write), s: s}
	f.Frames(101) // [0,50) and [50,100) closed; frame 100 opens the next: no part flushed
	waitFor(t, "two fragments archived", func() bool { n, _ := r.lib.Count(bg, "cold"); return n == 2 })
	go func() {
		time.Sleep(100 * time.Millisecond)
		f.Frames(5) // frame 105 flushes the open fragment's first part
	}()
	status, _, body := r.get(t, "/hls/cold/index.m3u8")
	p := parsePlaylist(t, string(body))
	if status != 200 || len(p.tail) != 1 {
		t.Fatalf("first playlist: %d, %d parts of the open fragment\n%s", status, len(p.tail), body)
	}
	for i, sg := range p.segments {
		if len(sg.parts) != 0 {
			t.Fatalf("segment %d of an unwatched stream lists parts\n%s", i, body)
		}
	}
}

func TestLiveBlockingReload(t *testing.T) {
	r := newRig(t)
	f := r.publish(t, "cam", time.Now().Add(-time.Minute))
	f.Frames(130)
	_, _, body := r.get(t, "/hls/cam/index.m3u8")
	p := parsePlaylist(t, string(body))
	openMSN := p.sequence + uint64(len(p.segments))

	type result struct {
		status int
		body   string
		at     time.Time
	}
	reload, hinted := make(chan result, 1), make(chan result, 1)
	go func() {
		status, _, b := r.get(t, fmt.Sprintf("/hls/cam/index.m3u8?_HLS_msn=%d&_HLS_part=%d", openMSN, len(p.tail)))
		reload <- result{status, string(b), time.Now()}
	}()
	go func() {
		status, _, b := r.get(t, "/hls/cam/"+p.hint)
		hinted <- result{status, string(b), time.Now()}
	}()
	time.Sleep(300 * time.Millisecond)
	select {
	case res := <-reload:
		t.Fatalf("the blocking reload returned before the part existed: %d\n%s", res.status, res.body)
	case res := <-hinted:
		t.Fatalf("the hinted part returned before it existed: %d", res.status)
	default:
	}
	written := time.Now()
	f.Frames(5) // flushes the next part
	got, part := <-reload, <-hinted
	if got.status != 200 || part.status != 200 || len(part.body) == 0 {
		t.Fatalf("reload %d, hinted part %d (%d bytes)", got.status, part.status, len(part.body))
	}
	if d := got.at.Sub(written); d > 500*time.Millisecond {
		t.Errorf("the blocking reload returned %v after the part was written", d)
	}
	q := parsePlaylist(t, got.body)
	if len(q.tail) != len(p.tail)+1 || q.tail[len(p.tail)] != p.hint || q.sequence != p.sequence {
		t.Fatalf("after the next part: tail %v (hint was %s), sequence %d -> %d\n%s", q.tail, p.hint, p.sequence, q.sequence, q.raw)
	}

	// Far in the future: 400 at once. Not yet there when nothing more
	// comes: 503 after the bound.
	if status, _, b := r.get(t, fmt.Sprintf("/hls/cam/index.m3u8?_HLS_msn=%d", openMSN+3)); status != http.StatusBadRequest {
		t.Fatalf("msn +3: %d %s", status, b)
	}
	start := time.Now()
	if status, _, b := r.get(t, fmt.Sprintf("/hls/cam/index.m3u8?_HLS_msn=%d", openMSN+1)); status != http.StatusServiceUnavailable {
		t.Fatalf("msn +1 with no publisher progress: %d %s", status, b)
	}
	if d := time.Since(start); d < time.Second || d > 4*time.Second {
		t.Fatalf("the blocked reload gave up after %v", d)
	}
}

func TestLiveSequenceNumbersStable(t *testing.T) {
	r := newRig(t)
	f := r.publish(t, "cam", time.Now().Add(-time.Minute))
	f.Frames(130)
	_, _, body := r.get(t, "/hls/cam/index.m3u8")
	p1 := parsePlaylist(t, string(body))
	openMSN := p1.sequence + uint64(len(p1.segments))

	f.Frames(25) // frame 150 is a keyframe: the open fragment closes
	_, _, body = r.get(t, "/hls/cam/index.m3u8")
	p2 := parsePlaylist(t, string(body))
	byMSN := map[uint64]seg{}
	for _, s := range p2.segments {
		byMSN[s.msn] = s
	}
	for _, s := range p1.segments {
		if byMSN[s.msn].uri != s.uri {
			t.Fatalf("segment %d was %s, now %s", s.msn, s.uri, byMSN[s.msn].uri)
		}
	}
	closed, ok := byMSN[openMSN]
	if !ok || !strings.Contains(closed.uri, ".2.") || closed.parts[0] != p1.tail[0] {
		t.Fatalf("the open fragment (MSN %d) did not keep its number and parts when it closed:\n%s\n%s", openMSN, p1.raw, p2.raw)
	}

	// The publisher reconnects: numbering goes on after a discontinuity.
	f.s.Close()
	g := r.publish(t, "cam", time.Now())
	g.Frames(60)
	_, _, body = r.get(t, "/hls/cam/plain.m3u8")
	p3 := parsePlaylist(t, string(body))
	if p3.tags["#EXT-X-PART-INF"] != "" || p3.hint != "" {
		t.Fatalf("plain playlist lists parts:\n%s", p3.raw)
	}
	var old, next *seg
	for i := range p3.segments {
		s := &p3.segments[i]
		if s.msn == openMSN {
			old = s
		}
		if s.msn == openMSN+2 { // +1 is the old session's last fragment, closed on disconnect
			next = s
		}
	}
	if old == nil || old.uri != closed.uri || next == nil || !next.disc {
		t.Fatalf("after the reconnect:\n%s\nbefore:\n%s", p3.raw, p2.raw)
	}
	for _, s := range p3.segments {
		if s.msn > openMSN+2 && s.disc {
			t.Fatalf("unexpected discontinuity at %d:\n%s", s.msn, p3.raw)
		}
	}
	// Old fragments leave the window: the discontinuity sequence follows.
	g.Frames(300)
	_, _, body = r.get(t, "/hls/cam/plain.m3u8")
	p4 := parsePlaylist(t, string(body))
	if p4.sequence <= openMSN+2 || p4.discSeq != 1 {
		t.Fatalf("once the old session left the window: sequence %d, discontinuity sequence %d\n%s", p4.sequence, p4.discSeq, p4.raw)
	}
}

func TestLiveNotFound(t *testing.T) {
	r := newRig(t)
	if status, _, _ := r.get(t, "/hls/none/index.m3u8"); status != http.StatusNotFound {
		t.Fatalf("a stream with no live media: %d", status)
	}
	if status, _, _ := r.get(t, "/hls/none/seg.mp4?f=abc.1.2"); status != http.StatusNotFound {
		t.Fatalf("a missing segment: %d", status)
	}
	if status, _, _ := r.get(t, "/hls/none/seg.mp4?f=..."); status != http.StatusBadRequest {
		t.Fatalf("a malformed reference: %d", status)
	}
}
