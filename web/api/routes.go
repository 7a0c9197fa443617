package api

import (
	"net/http"

	"github.com/sluice-dev/sluice/web/auth"
)

// The action each route needs, by the names key policies use (AWS names
// where one fits). Routes whose stream is in the body, and lists, check
// the stream in the handler (allowed, auth.Allowed).
const (
	actListCameras    = "sluice:ListCameras"
	actAddCamera      = "sluice:AddCamera"
	actRemoveCamera   = "sluice:RemoveCamera"
	actListRecordings = "sluice:ListRecordings"
	actCreateToken    = "sluice:CreateToken"
	actCluster        = "sluice:DescribeCluster"
	actListVideo      = "kinesisvideo:ListStreams"
	actDescribeVideo  = "kinesisvideo:DescribeStream"
	actCreateVideo    = "kinesisvideo:CreateStream"
	actDeleteVideo    = "kinesisvideo:DeleteStream"
	actRetention      = "kinesisvideo:UpdateDataRetention"
	actTimeline       = "kinesisvideo:ListFragments"
	actLink           = "kinesisvideo:GetHLSStreamingSessionURL"
	actListData       = "kinesis:ListStreams"
	actDescribeData   = "kinesis:DescribeStreamSummary"
	actTailData       = "kinesis:GetRecords"
	actPutData        = "kinesis:PutRecords"
)

// routes mounts every route of the API, each behind Deps.Auth's guard for
// its action on the stream named by its path wildcard (if any).
func (h *Handler) routes() {
	for _, rt := range []struct {
		pattern, action, param string
		fn                     http.HandlerFunc
	}{
		{"GET /api/v1/cameras", actListCameras, "", h.listCameras},
		{"POST /api/v1/cameras", actAddCamera, "", h.addCamera},
		{"DELETE /api/v1/cameras/{stream}", actRemoveCamera, "stream", h.removeCamera},
		{"GET /api/v1/recordings", actListRecordings, "", h.recordings},
		{"POST /api/v1/tokens", actCreateToken, "", h.createToken},
		{"GET /api/v1/cluster", actCluster, "", h.cluster},

		{"GET /api/v1/streams", actListVideo, "", h.listVideo},
		{"POST /api/v1/streams", actCreateVideo, "", h.createVideo},
		{"GET /api/v1/streams/{name}", actDescribeVideo, "name", h.getVideo},
		{"DELETE /api/v1/streams/{name}", actDeleteVideo, "name", h.deleteVideo},
		{"PUT /api/v1/streams/{name}/retention", actRetention, "name", h.setRetention},
		{"GET /api/v1/streams/{name}/timeline", actTimeline, "name", h.timeline},
		{"POST /api/v1/streams/{name}/links", actLink, "name", h.link},

		{"GET /api/v1/datastreams", actListData, "", h.listData},
		{"GET /api/v1/datastreams/{name}", actDescribeData, "name", h.getData},
		{"GET /api/v1/datastreams/{name}/tail", actTailData, "name", h.tailData},
		{"POST /api/v1/datastreams/{name}/records", actPutData, "name", h.putData},
	} {
		var hd http.Handler = rt.fn
		if h.d.Auth != nil {
			var stream func(*http.Request) string
			if p := rt.param; p != "" {
				stream = func(r *http.Request) string { return r.PathValue(p) }
			}
			hd = h.d.Auth.Guard(rt.action, stream, hd)
		}
		h.mux.Handle(rt.pattern, hd)
	}
}

// allowed checks, for a route whose stream is in its body, that the
// caller may perform action on stream; if not it answers 403.
func allowed(w http.ResponseWriter, r *http.Request, action, stream string) bool {
	if auth.Allowed(r.Context(), action, stream) {
		return true
	}
	writeError(w, http.StatusForbidden, "this key may not perform "+action+" on stream "+stream)
	return false
}
