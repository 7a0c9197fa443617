package edge

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/ingest"
	"github.com/sluice-dev/sluice/ingest/relay"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/playback/hls"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/embedded"
)

var bg = context.Background()

// testConfig keeps interest and idleness short, so that tests see a
// mirror stop within about a second.
var testConfig = Config{Interest: 600 * time.Millisecond, Idle: 400 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}

// cluster is two nodes on one embedded NATS server sharing one stream
// core and bucket: a records (recorder into hub a.hub), both serve LL-HLS
// of their own hub at /hls/<stream>/<file>.
type cluster struct {
	a, b  *node
	rec   *ingest.Recorder
	watch *nats.Conn // the test's own connection (message counts)
}

type node struct {
	nc   *nats.Conn
	hub  *fragments.Hub
	rel  *relay.Relay
	edge *Node
	srv  *httptest.Server
}

func newCluster(t testing.TB) *cluster {
	t.Helper()
	srv, err := embedded.Start(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	conn := func(name string) *nats.Conn {
		nc, err := srv.Connect(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		return nc
	}
	core, err := streams.Open(bg, conn("core"), fragments.CoreConfig(streams.Config{Logger: slog.New(slog.DiscardHandler)}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	lib := fragments.NewLibrary(core, fragments.LibraryConfig{})
	bucket, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bucket.Close() })
	log := slog.New(slog.DiscardHandler)
	mk := func(name string) *node {
		n := &node{nc: conn(name), hub: fragments.NewHub(0), rel: relay.New()}
		cfg := testConfig
		cfg.Relay = n.rel
		if n.edge, err = New(n.nc, n.hub, cfg); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(n.edge.Close)
		h := hls.New(playback.NewSource(lib, bucket, n.hub, playback.SourceConfig{}), hls.Config{Logger: log, MaxBlock: 5 * time.Second})
		mux := http.NewServeMux()
		mux.HandleFunc("GET /hls/{stream}/{file}", func(w http.ResponseWriter, r *http.Request) {
			h.ServeLive(w, r, r.PathValue("stream"), r.PathValue("file"))
		})
		n.srv = httptest.NewServer(mux)
		t.Cleanup(n.srv.Close)
		return n
	}
	c := &cluster{a: mk("a"), b: mk("b"), watch: conn("watch")}
	c.rec = ingest.NewRecorder(lib, bucket, c.a.hub, ingest.RecorderConfig{AutoCreate: true, Logger: log, Relay: c.a.rel})
	t.Cleanup(func() { c.rec.Close(bg) })
	return c
}

// count counts the messages on every live-edge subject.
func (c *cluster) count(t testing.TB) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	sub, err := c.watch.Subscribe(testConfig.withPrefix()+".>", func(*nats.Msg) { n.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Unsubscribe() })
	c.watch.Flush()
	return &n
}

func (c Config) withPrefix() string {
	c, _ = c.withDefaults()
	return c.Prefix
}

// feeder writes the test media frame by frame into a recorder session.
type feeder struct {
	*fragmentstest.Feeder
	s ingest.Session
}

func (c *cluster) publish(t testing.TB, stream string) *feeder {
	t.Helper()
	s, err := c.rec.Open(bg, stream, ingest.Source{Kind: "test"}, fragmentstest.Tracks(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return &feeder{Feeder: fragmentstest.NewFeeder(t, time.Now().Add(-time.Minute), s.Write), s: s}
}

func get(t testing.TB, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// listed is what a node's LL-HLS playlist lists: the bytes of the open
// fragment's parts (the tail), the tail's media
// sequence number, the tail's part count, and whether it ended.
type listed struct {
	parts    [][]byte
	lastMSN  uint64
	tail     int
	ended    bool
	sessions string
	raw      string
}

func (n *node) playlist(t testing.TB, stream, query string) (listed, error) {
	t.Helper()
	base := n.srv.URL + "/hls/" + stream + "/"
	status, body := get(t, base+"index.m3u8"+query)
	if status != http.StatusOK {
		return listed{}, fmt.Errorf("index.m3u8%s: %d %s", query, status, body)
	}
	l := listed{raw: string(body)}
	var seq uint64
	var uris []string
	segs := 0
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#EXT-X-MEDIA-SEQUENCE:"):
			fmt.Sscan(strings.TrimPrefix(line, "#EXT-X-MEDIA-SEQUENCE:"), &seq)
		case strings.HasPrefix(line, "#EXT-X-PART:"):
			uri := line[strings.Index(line, `URI="`)+5:]
			uris = append(uris, uri[:strings.IndexByte(uri, '"')])
		case line == "#EXT-X-ENDLIST":
			l.ended = true
		case line != "" && !strings.HasPrefix(line, "#"):
			segs++
			uris = uris[:0]
		}
	}
	// Only the open fragment's parts: those of closed fragments may leave
	// memory (archived) between the playlist and the part request.
	for _, uri := range uris {
		st, b := get(t, base+uri)
		if st != http.StatusOK {
			return listed{}, fmt.Errorf("%s: %d %s", uri, st, b)
		}
		l.parts = append(l.parts, b)
	}
	l.tail = len(uris)
	l.lastMSN = seq + uint64(segs) // the tail's MSN
	return l, nil
}
