package hls_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/ingest"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/playback/hls"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
)

var bg = context.Background()

// rig is a recorder (real stream core, fs bucket, hub) with an hls.Server
// over it, served on loopback at /hls/<stream>/<file>.
type rig struct {
	lib *fragments.Library
	hub *fragments.Hub
	rec *ingest.Recorder
	src *playback.Source
	hls *hls.Server
	srv *httptest.Server
}

func newRig(t *testing.T) *rig {
	t.Helper()
	core := streamstest.Open(t, fragments.CoreConfig(streams.Config{}))
	lib := fragments.NewLibrary(core, fragments.LibraryConfig{})
	bucket, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bucket.Close() })
	hub := fragments.NewHub(0)
	log := slog.New(slog.DiscardHandler)
	rec := ingest.NewRecorder(lib, bucket, hub, ingest.RecorderConfig{AutoCreate: true, Logger: log})
	t.Cleanup(func() { rec.Close(bg) })
	src := playback.NewSource(lib, bucket, hub, playback.SourceConfig{})
	h := hls.New(src, hls.Config{Logger: log, MaxBlock: 3 * time.Second})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hls/{stream}/{file}", func(w http.ResponseWriter, r *http.Request) {
		h.ServeLive(w, r, r.PathValue("stream"), r.PathValue("file"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &rig{lib: lib, hub: hub, rec: rec, src: src, hls: h, srv: srv}
}

// feeder publishes the test media frame by frame into a recorder session.
type feeder struct {
	*fragmentstest.Feeder
	s ingest.Session
}

func (r *rig) publish(t *testing.T, stream string, start time.Time) *feeder {
	t.Helper()
	// A viewer is watching (the hub keeps closed fragments' part bytes only
	// for watched streams): the playlists below list every part.
	r.hub.View(stream)
	s, err := r.rec.Open(bg, stream, ingest.Source{Kind: "test"}, fragmentstest.Tracks(t))
	if err != nil {
		t.Fatal(err)
	}
	return &feeder{Feeder: fragmentstest.NewFeeder(t, start, s.Write), s: s}
}

// get fetches a URL (relative to the rig's server) and returns status and body.
func (r *rig) get(t *testing.T, path string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(r.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// playlist is a parsed media playlist: tags and segments.
type playlist struct {
	tags     map[string]string // first value of each tag
	sequence uint64
	discSeq  uint64
	segments []seg
	tail     []string // part URIs after the last segment
	hint     string
	ended    bool
	raw      string
}

type seg struct {
	msn      uint64
	uri      string
	duration float64
	disc     bool
	mapURI   string
	parts    []string
	indep    []bool
}

func parsePlaylist(t *testing.T, body string) playlist {
	t.Helper()
	p := playlist{tags: map[string]string{}, raw: body}
	if !strings.HasPrefix(body, "#EXTM3U\n") {
		t.Fatalf("not a playlist:\n%s", body)
	}
	var cur seg
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		l := sc.Text()
		name, val, _ := strings.Cut(l, ":")
		if _, ok := p.tags[name]; !ok && strings.HasPrefix(l, "#") {
			p.tags[name] = val
		}
		switch {
		case name == "#EXT-X-MEDIA-SEQUENCE":
			p.sequence, _ = strconv.ParseUint(val, 10, 64)
		case name == "#EXT-X-DISCONTINUITY-SEQUENCE":
			p.discSeq, _ = strconv.ParseUint(val, 10, 64)
		case name == "#EXT-X-DISCONTINUITY":
			cur.disc = true
		case name == "#EXT-X-MAP":
			cur.mapURI = attr(val, "URI")
		case name == "#EXT-X-PART":
			cur.parts = append(cur.parts, attr(val, "URI"))
			cur.indep = append(cur.indep, strings.Contains(val, "INDEPENDENT=YES"))
		case name == "#EXT-X-PRELOAD-HINT":
			p.hint = attr(val, "URI")
		case name == "#EXTINF":
			cur.duration, _ = strconv.ParseFloat(strings.TrimSuffix(val, ","), 64)
		case name == "#EXT-X-ENDLIST":
			p.ended = true
		case l != "" && !strings.HasPrefix(l, "#"):
			cur.uri = l
			cur.msn = p.sequence + uint64(len(p.segments))
			p.segments = append(p.segments, cur)
			cur = seg{}
		}
	}
	p.tail = cur.parts
	return p
}

func attr(list, name string) string {
	i := strings.Index(list, name+"=")
	if i < 0 {
		return ""
	}
	v := list[i+len(name)+1:]
	if strings.HasPrefix(v, `"`) {
		v = v[1:]
		return v[:strings.IndexByte(v, '"')]
	}
	if j := strings.IndexByte(v, ','); j >= 0 {
		v = v[:j]
	}
	return v
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
