package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/sluice-dev/sluice/leases"
	"github.com/sluice-dev/sluice/web/auth"
)

// Cluster is the view of the nodes sharing this server's stream core and
// of the work each holds (*leases.Table is one).
type Cluster interface {
	Node() string
	Nodes(ctx context.Context) ([]leases.Node, error)
	Holdings(ctx context.Context, prefix string) ([]leases.Holding, error)
}

// Lease key prefixes of the work /api/v1/cluster shows, by the field it
// shows it under: a stream being recorded, a camera being pulled.
var clusterWork = map[string]string{"record.": "recording", "camera.": "cameras"}

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
	holdings, err := h.d.Cluster.Holdings(r.Context(), "")
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
	for _, hd := range holdings {
		v := byName[hd.Owner]
		if v == nil {
			continue // its node's heartbeat has just ended
		}
		for prefix, field := range clusterWork {
			stream, ok := strings.CutPrefix(hd.Key, prefix)
			if !ok || !auth.Allowed(r.Context(), actCluster, stream) {
				continue
			}
			if field == "recording" {
				v.Recording = append(v.Recording, stream)
			} else {
				v.Cameras = append(v.Cameras, stream)
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"node": h.d.Cluster.Node(), "nodes": views})
}
