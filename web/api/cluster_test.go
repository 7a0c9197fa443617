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

	"github.com/sluice-dev/sluice/leases"
	"github.com/sluice-dev/sluice/web/api"
	"github.com/sluice-dev/sluice/web/auth"
)

// TestCluster: /api/v1/cluster lists the live nodes with the streams each
// records and the cameras each pulls (from the leases they hold), and
// shows a key only its own streams.
func TestCluster(t *testing.T) {
	view := staticCluster{node: "node-b", nodes: []string{"node-a", "node-b"}, work: []api.Work{
		{Kind: "record", Stream: "cam-1", Node: "node-a"}, {Kind: "camera", Stream: "cam-1", Node: "node-a"},
		{Kind: "record", Stream: "cam-2", Node: "node-b"}, {Kind: "record", Stream: "secret-3", Node: "node-b"},
		{Kind: "record", Stream: "cam-9", Node: "node-gone"},
	}}
	v := auth.New(auth.Config{Keys: []auth.Key{
		{ID: "AKIDADMIN", Secret: "admin-secret-1", Policy: auth.FullAccess()},
		{ID: "AKIDCAM", Secret: "cam-secret-12", Policy: auth.Policy{Streams: []string{"cam-*"}, Actions: []string{"read"}}},
	}})
	srv := httptest.NewServer(api.New(api.Deps{Cluster: view, Auth: v}))
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

// staticCluster is a fixed view of a cluster (the real one, over leases,
// is cmd/sluice's and is tested there and end to end).
type staticCluster struct {
	node  string
	nodes []string
	work  []api.Work
}

func (c staticCluster) Node() string { return c.node }

func (c staticCluster) Nodes(context.Context) ([]leases.Node, error) {
	var ns []leases.Node
	for _, n := range c.nodes {
		ns = append(ns, leases.Node{Name: n, Started: time.Unix(1, 0)})
	}
	return ns, nil
}

func (c staticCluster) Work(context.Context) ([]api.Work, error) { return c.work, nil }

// TestStreamsShowTheirRecorder: a stream recorded by another node is live
// in the list and names that node.
func TestStreamsShowTheirRecorder(t *testing.T) {
	r := newClusterRig(t, staticCluster{node: "node-y", nodes: []string{"node-x", "node-y"},
		work: []api.Work{{Kind: "record", Stream: "cam", Node: "node-x"}}})
	r.do(t, "POST", "/api/v1/streams", `{"name":"cam"}`, http.StatusCreated, nil)
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
