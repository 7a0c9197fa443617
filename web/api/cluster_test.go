package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluice-dev/sluice/leases"
	"github.com/sluice-dev/sluice/streams/streamstest"
	"github.com/sluice-dev/sluice/web/api"
	"github.com/sluice-dev/sluice/web/auth"
)

// TestCluster: /api/v1/cluster lists the live nodes with the streams each
// records and the cameras each pulls (from the leases they hold), and
// shows a key only its own streams.
func TestCluster(t *testing.T) {
	nc := streamstest.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bg, 30*time.Second)
	defer cancel()
	open := func(node string) *leases.Table {
		tb, err := leases.Open(ctx, js, leases.Config{Node: node, Bucket: "api_cluster_test", TTL: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tb.Close() })
		return tb
	}
	a, b := open("node-a"), open("node-b")
	for _, c := range []struct {
		tb  *leases.Table
		key string
	}{{a, "record.cam-1"}, {a, "camera.cam-1"}, {b, "record.cam-2"}, {b, "record.secret-3"}} {
		if _, err := c.tb.Claim(ctx, c.key); err != nil {
			t.Fatal(err)
		}
	}
	v := auth.New(auth.Config{Keys: []auth.Key{
		{ID: "AKIDADMIN", Secret: "admin-secret-1", Policy: auth.FullAccess()},
		{ID: "AKIDCAM", Secret: "cam-secret-12", Policy: auth.Policy{Streams: []string{"cam-*"}, Actions: []string{"read"}}},
	}})
	srv := httptest.NewServer(api.New(api.Deps{Cluster: b, Auth: v}))
	t.Cleanup(srv.Close)
	get := func(key string) string {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/cluster", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		return string(body)
	}
	admin, cam := auth.DeriveToken("AKIDADMIN", "admin-secret-1"), auth.DeriveToken("AKIDCAM", "cam-secret-12")
	const all = `{"node":"node-b","nodes":[{"name":"node-a","started":"X","recording":["cam-1"],"cameras":["cam-1"]},{"name":"node-b","started":"X","recording":["cam-2","secret-3"],"cameras":[]}]}`
	if got := normalise(get(admin)); got != all {
		t.Fatalf("admin:\n%s\nwant\n%s", got, all)
	}
	const mine = `{"node":"node-b","nodes":[{"name":"node-a","started":"X","recording":["cam-1"],"cameras":["cam-1"]},{"name":"node-b","started":"X","recording":["cam-2"],"cameras":[]}]}`
	if got := normalise(get(cam)); got != mine {
		t.Fatalf("cam-* key:\n%s\nwant\n%s", got, mine)
	}
}

// normalise replaces the start times of a cluster answer with X.
func normalise(body string) string {
	return strings.TrimSpace(startedRE.ReplaceAllString(body, `"started":"X"`))
}

var startedRE = regexp.MustCompile(`"started":"[^"]*"`)

// TestStreamsShowTheirRecorder: a stream recorded by another node is live
// in the list and names that node.
func TestStreamsShowTheirRecorder(t *testing.T) {
	nc := streamstest.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bg, 30*time.Second)
	defer cancel()
	other, err := leases.Open(ctx, js, leases.Config{Node: "node-x", Bucket: "api_recorder_test", TTL: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	self, err := leases.Open(ctx, js, leases.Config{Node: "node-y", Bucket: "api_recorder_test", TTL: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { self.Close() })
	r := newClusterRig(t, self)
	r.do(t, "POST", "/api/v1/streams", `{"name":"cam"}`, http.StatusCreated, nil)
	if _, err := other.Claim(ctx, "record.cam"); err != nil {
		t.Fatal(err)
	}
	var list struct {
		Streams []struct {
			Name       string `json:"name"`
			Live       bool   `json:"live"`
			RecordedBy string `json:"recorded_by"`
		} `json:"streams"`
	}
	r.do(t, "GET", "/api/v1/streams", "", http.StatusOK, &list)
	if len(list.Streams) != 1 || !list.Streams[0].Live || list.Streams[0].RecordedBy != "node-x" {
		t.Fatalf("%+v", list)
	}
}
