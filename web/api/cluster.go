package api

import (
	"context"
	"net/http"
	"time"

	"github.com/sluice-dev/sluice/leases"
	"github.com/sluice-dev/sluice/web/auth"
)

// Cluster is the view of the nodes sharing this server's stream core and
// of the work each holds (cmd/sluice builds it on the node's leases).
type Cluster interface {
	// Node is this node's name.
	Node() string
	Nodes(ctx context.Context) ([]leases.Node, error)
	// Work lists what every node holds now.
	Work(ctx context.Context) ([]Work, error)
}

// Work is a piece of work a node holds: recording a stream
// (Kind "record") or pulling a camera into it ("camera").
type Work struct {
	Kind, Stream, Node string
}

// cluster answers GET /api/v1/cluster: this node's name and every live
// node with what it records and pulls, limited to the streams the caller
// may see. Without a cluster view (Deps.Cluster nil) it is this node alone.
func (h *Handler) cluster(w http.ResponseWriter, r *http.Request) {
	if h.d.Cluster == nil {
		writeJSON(w, http.StatusOK, map[string]any{"node": "", "nodes": []any{}})
		return
	}
	nodes, err := h.d.Cluster.Nodes(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	work, err := h.d.Cluster.Work(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	type nodeView struct {
		Name      string            `json:"name"`
		Started   time.Time         `json:"started"`
		Meta      map[string]string `json:"meta,omitempty"`
		Recording []string          `json:"recording"`
		Cameras   []string          `json:"cameras"`
	}
	views := make([]*nodeView, 0, len(nodes))
	byName := map[string]*nodeView{}
	for _, n := range nodes {
		v := &nodeView{Name: n.Name, Started: n.Started, Meta: n.Meta, Recording: []string{}, Cameras: []string{}}
		views = append(views, v)
		byName[n.Name] = v
	}
	for _, wk := range work {
		v := byName[wk.Node]
		if v == nil || !auth.Allowed(r.Context(), actCluster, wk.Stream) {
			continue // its node's heartbeat has just ended, or not the caller's
		}
		switch wk.Kind {
		case "record":
			v.Recording = append(v.Recording, wk.Stream)
		case "camera":
			v.Cameras = append(v.Cameras, wk.Stream)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"node": h.d.Cluster.Node(), "nodes": views})
}
