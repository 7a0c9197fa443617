// Package api is Sluice's own JSON API under /api/v1/, for what the AWS APIs
// have no words for: cameras to pull, streams being recorded. The web UI
// uses it too.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/ingest"
	"github.com/sluice-dev/sluice/ingest/rtsp"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/video"
	"github.com/sluice-dev/sluice/web/auth"
)

// Cameras manages pulled cameras.
type Cameras interface {
	// AddCamera keeps a camera for a stream: created is false when the
	// stream already keeps this camera (nothing changed);
	// rtsp.ErrCameraExists when it keeps another.
	AddCamera(ctx context.Context, cam rtsp.Camera) (created bool, err error)
	RemoveCamera(ctx context.Context, stream string) error
	Cameras() []rtsp.CameraStatus
}

// Recordings reports the streams being recorded.
type Recordings interface {
	Active() []ingest.Status
}

// Deps are what the API serves. Any may be nil: its routes then answer 503.
type Deps struct {
	Cameras    Cameras
	Recordings Recordings
	Video      *fragments.Library // video streams
	Lifecycle  *video.Streams     // deletes video streams (camera, registry entry, media)
	Playback   *playback.Source   // timelines
	Signer     *playback.Signer   // share and clip links
	Data       *streams.Core      // data streams
	PublicURL  string
	Logger     *slog.Logger
	// Cluster shows the nodes and what each records (/api/v1/cluster);
	// nil: this node alone.
	Cluster Cluster
	// Auth guards every route (policy per route: routes.go) and mints
	// tokens; nil: everything is open and /api/v1/tokens answers 503.
	Auth *auth.Verifier
}

// Handler serves /api/v1/.
type Handler struct {
	d    Deps
	cams Cameras
	rec  Recordings
	log  *slog.Logger
	mux  *http.ServeMux
}

// New returns the API handler.
func New(d Deps) *Handler {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	h := &Handler{d: d, cams: d.Cameras, rec: d.Recordings, log: d.Logger, mux: http.NewServeMux()}
	h.routes()
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

type cameraJSON struct {
	Stream    string    `json:"stream"`
	URL       string    `json:"url"` // without password
	Transport string    `json:"transport"`
	State     string    `json:"state"`
	LastError string    `json:"last_error,omitempty"`
	Since     time.Time `json:"since"`
}

func (h *Handler) listCameras(w http.ResponseWriter, r *http.Request) {
	out := []cameraJSON{}
	for _, c := range h.cams.Cameras() {
		if !auth.Allowed(r.Context(), actListCameras, c.Stream) {
			continue
		}
		out = append(out, cameraJSON{c.Stream, c.URL, c.Transport, c.State, c.LastError, c.Since})
	}
	writeJSON(w, http.StatusOK, map[string]any{"cameras": out})
}

func (h *Handler) addCamera(w http.ResponseWriter, r *http.Request) {
	var in struct{ Stream, URL, Transport string }
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "body must be JSON {\"stream\", \"url\", \"transport\"}: "+err.Error())
		return
	}
	if in.Stream == "" || in.URL == "" {
		writeError(w, http.StatusBadRequest, "stream and url are required")
		return
	}
	if !allowed(w, r, actAddCamera, in.Stream) {
		return
	}
	created, err := h.cams.AddCamera(r.Context(), rtsp.Camera{Stream: in.Stream, URL: in.URL, Transport: strings.ToLower(in.Transport)})
	switch {
	case errors.Is(err, rtsp.ErrCameraExists):
		writeError(w, http.StatusConflict, "stream "+in.Stream+" already pulls a camera; remove it first")
	case errors.Is(err, rtsp.ErrOutboundRefused):
		writeError(w, http.StatusForbidden, err.Error()+" (--outbound-allow)")
	case errors.Is(err, rtsp.ErrBadCamera), errors.Is(err, streams.ErrValidation), errors.Is(err, streams.ErrInvalidArgument):
		writeError(w, http.StatusBadRequest, err.Error()) // never contains the password
	case err != nil:
		h.log.Error("adding camera", "stream", in.Stream, "err", err)
		writeError(w, http.StatusInternalServerError, err.Error())
	default:
		w.Header().Set("Location", "/api/v1/cameras/"+in.Stream)
		status := http.StatusCreated
		if !created {
			status = http.StatusOK // the same camera again
		}
		writeJSON(w, status, map[string]string{"stream": in.Stream})
	}
}

func (h *Handler) removeCamera(w http.ResponseWriter, r *http.Request) {
	stream := r.PathValue("stream")
	found := false
	for _, c := range h.cams.Cameras() {
		found = found || c.Stream == stream
	}
	if !found {
		writeError(w, http.StatusNotFound, "no camera for stream "+stream)
		return
	}
	if err := h.cams.RemoveCamera(r.Context(), stream); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) recordings(w http.ResponseWriter, r *http.Request) {
	out := []map[string]any{}
	for _, s := range h.rec.Active() {
		if !auth.Allowed(r.Context(), actListRecordings, s.Stream) {
			continue
		}
		out = append(out, map[string]any{
			"stream": s.Stream, "session": s.Session, "source": s.Source.Kind, "remote": s.Source.Remote,
			"transport": s.Source.Transport, "since": s.Since, "tracks": s.Tracks, "fragments": s.Fragments,
			"bytes": s.Bytes, "last_fragment": s.LastFragment, "dropped": s.Dropped,
			"spooled": s.Spooled, "archive_delayed": s.ArchiveDelayed,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"recordings": out})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeJSONLine writes v as one line of JSON (for server-sent events).
func writeJSONLine(w http.ResponseWriter, v any) {
	_ = json.NewEncoder(w).Encode(v) // Encode ends with a newline
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
