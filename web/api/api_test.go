package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/storage"
	videolife "github.com/sluice-dev/sluice/video"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/ingest"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
	"github.com/sluice-dev/sluice/web/api"
	"github.com/sluice-dev/sluice/web/auth"
)

var bg = context.Background()

type rig struct {
	srv    *httptest.Server
	rec    *ingest.Recorder
	lib    *fragments.Library
	data   *streams.Core
	bucket storage.Bucket
}

func newRig(t *testing.T) *rig { return newAuthRig(t, nil, nil) }

// newClusterRig is a rig with a cluster view.
func newClusterRig(t *testing.T, c api.Cluster) *rig { return newFullRig(t, nil, nil, c) }

// newAuthRig is a rig whose routes v guards (nil: open), signing links
// with signer (nil: a signer of its own).
func newAuthRig(t *testing.T, v *auth.Verifier, signer *playback.Signer) *rig {
	t.Helper()
	return newFullRig(t, v, signer, nil)
}

// newFullRig is newAuthRig with a cluster view (nil: none).
func newFullRig(t *testing.T, v *auth.Verifier, signer *playback.Signer, cluster api.Cluster) *rig {
	t.Helper()
	if signer == nil {
		signer = playback.NewSigner([]byte("k"), nil)
	}
	nc := streamstest.Connect(t)
	video, err := streams.Open(bg, nc, fragments.CoreConfig(streams.Config{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { video.Close() })
	data, err := streams.Open(bg, nc, streams.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { data.Close() })
	lib := fragments.NewLibrary(video, fragments.LibraryConfig{})
	bucket, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	hub := fragments.NewHub(0)
	rec := ingest.NewRecorder(lib, bucket, hub, ingest.RecorderConfig{AutoCreate: true})
	t.Cleanup(func() { rec.Close(bg) })
	life, err := videolife.New(videolife.Config{Library: lib, Bucket: bucket})
	if err != nil {
		t.Fatal(err)
	}
	h := api.New(api.Deps{Recordings: rec, Video: lib, Lifecycle: life, Playback: playback.NewSource(lib, bucket, hub, playback.SourceConfig{}),
		Signer: signer, Data: data, PublicURL: "http://sluice.test", Auth: v, Cluster: cluster})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &rig{srv: srv, rec: rec, lib: lib, data: data, bucket: bucket}
}

func (r *rig) do(t *testing.T, method, path, body string, want int, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, r.srv.URL+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

func TestVideoStreamsAndTimeline(t *testing.T) {
	r := newRig(t)
	r.do(t, "POST", "/api/v1/streams", `{"name":"cam","retention_hours":48}`, http.StatusCreated, nil)
	r.do(t, "POST", "/api/v1/streams", `{"name":"cam"}`, http.StatusConflict, nil)
	r.do(t, "POST", "/api/v1/streams", `{"name":"bad name"}`, http.StatusBadRequest, nil)

	// Two sessions with a gap: two ranges on the timeline.
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	for _, at := range []time.Time{start, start.Add(time.Minute)} {
		s, err := r.rec.Open(bg, "cam", ingest.Source{Kind: "rtsp-push"}, fragmentstest.Tracks(t))
		if err != nil {
			t.Fatal(err)
		}
		fragmentstest.Feed(t, at, false, s.Write)
		s.Close()
	}
	r.rec.Close(bg)
	var tl struct {
		Ranges []struct {
			Start, End time.Time
			Fragments  int
		}
	}
	r.do(t, "GET", "/api/v1/streams/cam/timeline?start="+start.Add(-time.Minute).Format(time.RFC3339), "", http.StatusOK, &tl)
	if len(tl.Ranges) != 2 || tl.Ranges[0].Fragments != 2 || !tl.Ranges[0].Start.Equal(start) || tl.Ranges[0].End.Sub(tl.Ranges[0].Start) != 4*time.Second {
		t.Fatalf("timeline: %+v", tl)
	}
	var list struct {
		Streams []struct {
			ArchivedFragments int64 `json:"archived_fragments"`
			ArchivedBytesEst  int64 `json:"archived_bytes_estimate"`
		}
	}
	r.do(t, "GET", "/api/v1/streams", "", http.StatusOK, &list)
	if len(list.Streams) != 1 || list.Streams[0].ArchivedFragments != 4 || list.Streams[0].ArchivedBytesEst == 0 {
		t.Fatalf("list: %+v", list)
	}
	var detail struct {
		RetentionHours int   `json:"retention_hours"`
		ArchivedBytes  int64 `json:"archived_bytes"`
	}
	r.do(t, "GET", "/api/v1/streams/cam", "", http.StatusOK, &detail)
	if detail.RetentionHours != 48 || detail.ArchivedBytes == 0 {
		t.Fatalf("detail: %+v", detail)
	}
	r.do(t, "PUT", "/api/v1/streams/cam/retention", `{"retention_hours":72}`, http.StatusNoContent, nil)
	var link struct{ URL string }
	r.do(t, "POST", "/api/v1/streams/cam/links", `{"kind":"clip","start":"`+start.Format(time.RFC3339)+`","end":"`+start.Add(3*time.Second).Format(time.RFC3339)+`"}`, http.StatusOK, &link)
	if !strings.HasPrefix(link.URL, "http://sluice.test/getClip.mp4?SessionToken=") {
		t.Fatalf("link %s", link.URL)
	}
	r.do(t, "POST", "/api/v1/streams/cam/links", `{"kind":"clip"}`, http.StatusBadRequest, nil)
	objects := func() int {
		n := 0
		r.bucket.List(bg, "video/s-cam/", func(storage.ObjectInfo) error { n++; return nil })
		return n
	}
	if objects() == 0 {
		t.Fatal("nothing archived")
	}
	r.do(t, "DELETE", "/api/v1/streams/cam", "", http.StatusNoContent, nil)
	// As through the KVS API: the media went with the stream.
	if n := objects(); n != 0 {
		t.Fatalf("%d objects of the deleted stream left", n)
	}
	r.do(t, "GET", "/api/v1/streams/nope/timeline", "", http.StatusNotFound, nil)
}

func TestDataStreamsTail(t *testing.T) {
	r := newRig(t)
	if err := r.data.CreateStream(bg, "events", streams.CreateOptions{ShardCount: 2}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if s, _ := r.data.DescribeStream(bg, "events"); s.Status == streams.StatusActive {
			break
		} else if time.Now().After(deadline) {
			t.Fatal("not active")
		}
	}
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", r.srv.URL+"/api/v1/datastreams/events/tail", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Scan() // the opening comment: the tail is positioned
	put := time.Now()
	r.do(t, "POST", "/api/v1/datastreams/events/records", `{"partition_key":"user-1","data":"hello tail"}`, http.StatusCreated, nil)
	for sc.Scan() {
		line := sc.Text()
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var rec struct {
				PartitionKey string `json:"partition_key"`
				Text         string `json:"text"`
			}
			json.Unmarshal([]byte(data), &rec)
			if rec.Text != "hello tail" || rec.PartitionKey != "user-1" {
				t.Fatalf("tailed %s", data)
			}
			if d := time.Since(put); d > 2*time.Second {
				t.Fatalf("record tailed after %v", d)
			}
			break
		}
	}
	var list struct {
		Streams []struct {
			Name       string `json:"name"`
			OpenShards int    `json:"open_shards"`
			RecordsIn  int    `json:"records_in"`
		}
	}
	r.do(t, "GET", "/api/v1/datastreams", "", http.StatusOK, &list)
	if len(list.Streams) != 1 || list.Streams[0].OpenShards != 2 || list.Streams[0].RecordsIn != 1 {
		t.Fatalf("%+v", list)
	}
	var one struct{ Shards []struct{ ID string } }
	r.do(t, "GET", "/api/v1/datastreams/events", "", http.StatusOK, &one)
	if len(one.Shards) != 2 {
		t.Fatalf("%+v", one)
	}
}
