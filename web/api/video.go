package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/ingest"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/playback/hls"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/web/auth"
)

// videoJSON is a video stream as the UI shows it.
type videoJSON struct {
	Name           string    `json:"name"`
	ARN            string    `json:"arn"`
	Status         string    `json:"status"`
	RetentionHours int       `json:"retention_hours"`
	Created        time.Time `json:"created"`
	Live           bool      `json:"live"`
	// RecordedBy is the node recording the stream now, in a cluster
	// (from its "record." lease); empty when none is, or on one node.
	RecordedBy    string                `json:"recorded_by,omitempty"`
	Source        string                `json:"source,omitempty"` // rtsp-push, rtsp-pull, whip
	Remote        string                `json:"remote,omitempty"`
	Tracks        []fragments.TrackInfo `json:"tracks,omitempty"`
	BitrateBps    int64                 `json:"bitrate_bps,omitempty"`
	LastFragment  *time.Time            `json:"last_fragment,omitempty"`
	ArchivedBytes *int64                `json:"archived_bytes,omitempty"` // detail: exact
	// Archived fragments (exact) and bytes (estimated: count × the newest
	// fragment's size), for lists where summing the index would cost too much.
	ArchivedFragments int64 `json:"archived_fragments"`
	ArchivedBytesEst  int64 `json:"archived_bytes_estimate"`
	// While the bucket fails, fragments wait in the recording node's
	// spool (still played back): ArchiveDelayed, with Spooled of them.
	ArchiveDelayed bool `json:"archive_delayed,omitempty"`
	Spooled        int  `json:"spooled,omitempty"`
	Dropped        int  `json:"dropped,omitempty"`
}

func (h *Handler) video(w http.ResponseWriter) bool {
	if h.d.Video == nil {
		writeError(w, http.StatusServiceUnavailable, "video streams are not served by this node")
		return false
	}
	return true
}

// recorders maps each stream being recorded to the node recording it
// (nil without a cluster view, or when it cannot be read: the lists then
// show what this node records).
func (h *Handler) recorders(ctx context.Context) map[string]string {
	if h.d.Cluster == nil {
		return nil
	}
	work, err := h.d.Cluster.Work(ctx)
	if err != nil {
		h.log.Warn("reading who records what", "err", err)
		return nil
	}
	m := map[string]string{}
	for _, wk := range work {
		if wk.Kind == "record" {
			m[wk.Stream] = wk.Node
		}
	}
	return m
}

// toVideoJSON describes s; recorders (from recorders) says which node
// records it when this one does not, active (from active) what this node
// records.
func (h *Handler) toVideoJSON(s fragments.Stream, recorders map[string]string, active map[string]ingest.Status) videoJSON {
	v := videoJSON{Name: s.Name, ARN: s.ARN, Status: s.Status, RetentionHours: s.RetentionHours, Created: s.CreationTime}
	if node, ok := recorders[s.Name]; ok {
		v.Live, v.RecordedBy = true, node
	}
	if st, ok := active[s.Name]; ok {
		v.Live, v.Source, v.Remote, v.Tracks = true, st.Source.Kind, st.Source.Remote, st.Tracks
		v.ArchiveDelayed, v.Spooled, v.Dropped = st.ArchiveDelayed, st.Spooled, st.Dropped
		if d := time.Since(st.Since).Seconds(); d > 1 {
			v.BitrateBps = int64(float64(st.Bytes*8) / d)
		}
		if !st.LastFragment.IsZero() {
			t := st.LastFragment
			v.LastFragment = &t
		}
	}
	return v
}

// active is what this node records, by stream (read once per request).
func (h *Handler) active() map[string]ingest.Status {
	m := map[string]ingest.Status{}
	if h.rec != nil {
		for _, st := range h.rec.Active() {
			m[st.Stream] = st
		}
	}
	return m
}

func (h *Handler) listVideo(w http.ResponseWriter, r *http.Request) {
	if !h.video(w) {
		return
	}
	all, err := h.d.Video.List(r.Context())
	if err != nil {
		h.fail(w, err)
		return
	}
	out := make([]videoJSON, 0, len(all))
	recorders, active := h.recorders(r.Context()), h.active()
	for _, s := range all {
		if !auth.Allowed(r.Context(), actDescribeVideo, s.Name) {
			continue
		}
		v := h.toVideoJSON(s, recorders, active)
		if in, ok, _ := h.d.Video.Last(r.Context(), s.Name); ok {
			if v.LastFragment == nil {
				t := in.ProducerTime
				v.LastFragment = &t
			}
			if n, err := h.d.Video.Count(r.Context(), s.Name); err == nil {
				v.ArchivedFragments, v.ArchivedBytesEst = n, n*in.Size
			}
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"streams": out})
}

func (h *Handler) getVideo(w http.ResponseWriter, r *http.Request) {
	if !h.video(w) {
		return
	}
	s, err := h.d.Video.Describe(r.Context(), r.PathValue("name"))
	if err != nil {
		h.fail(w, err)
		return
	}
	v := h.toVideoJSON(s, h.recorders(r.Context()), h.active())
	var total int64
	err = h.d.Video.Fragments(r.Context(), s.Name, fragments.Selector{}, func(in fragments.Info) bool {
		total += in.Size
		if v.LastFragment == nil || in.ProducerTime.After(*v.LastFragment) {
			t := in.ProducerTime
			v.LastFragment = &t
		}
		return true
	})
	if err != nil {
		h.fail(w, err)
		return
	}
	v.ArchivedBytes = &total
	writeJSON(w, http.StatusOK, v)
}

func (h *Handler) createVideo(w http.ResponseWriter, r *http.Request) {
	if !h.video(w) {
		return
	}
	var in struct {
		Name           string `json:"name"`
		RetentionHours *int   `json:"retention_hours"`
	}
	if !decode(w, r, &in) || !allowed(w, r, actCreateVideo, in.Name) {
		return
	}
	ret := 24
	if in.RetentionHours != nil {
		ret = *in.RetentionHours
	}
	s, err := h.d.Video.Create(r.Context(), fragments.StreamSpec{Name: in.Name, RetentionHours: ret})
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, h.toVideoJSON(s, nil, nil))
}

func (h *Handler) deleteVideo(w http.ResponseWriter, r *http.Request) {
	if !h.video(w) {
		return
	}
	if h.d.Lifecycle == nil {
		writeError(w, http.StatusServiceUnavailable, "deleting video streams is not served by this node")
		return
	}
	// As DeleteStream of the KVS API: camera, registry entry, media.
	if err := h.d.Lifecycle.Delete(r.Context(), r.PathValue("name"), ""); err != nil {
		h.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) setRetention(w http.ResponseWriter, r *http.Request) {
	if !h.video(w) {
		return
	}
	var in struct {
		RetentionHours int `json:"retention_hours"`
	}
	if !decode(w, r, &in) {
		return
	}
	s, err := h.d.Video.Describe(r.Context(), r.PathValue("name"))
	if err == nil {
		err = h.d.Video.UpdateRetention(r.Context(), s.Name, s.Version, in.RetentionHours-s.RetentionHours)
	}
	if err != nil {
		h.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// rangeJSON is a stretch of recorded media without a gap.
type rangeJSON struct {
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Fragments int       `json:"fragments"`
	// Spooled counts the fragments that wait in a node's spool for their
	// upload (served from there meanwhile).
	Spooled int `json:"spooled,omitempty"`
}

// missingJSON is an indexed fragment whose media is gone.
type missingJSON struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Reason string    `json:"reason"`
}

// timeline returns the recorded ranges of a stream (producer time): a new
// range begins at every discontinuity or gap longer than a second.
// Fragments dropped from a full spool before their upload are not in the
// ranges but listed under "missing". Parameters start and end (RFC 3339)
// bound it; default the last 24 hours.
func (h *Handler) timeline(w http.ResponseWriter, r *http.Request) {
	if h.d.Playback == nil {
		writeError(w, http.StatusServiceUnavailable, "playback is not served by this node")
		return
	}
	start, end, ok := timeRange(w, r.URL.Query(), 24*time.Hour)
	if !ok {
		return
	}
	var ranges []rangeJSON
	missing := []missingJSON{}
	err := h.d.Playback.Listing(r.Context(), r.PathValue("name"), fragments.Selector{Producer: true, Start: start, End: end}, func(f playback.Fragment) bool {
		if f.Missing != "" {
			missing = append(missing, missingJSON{Start: f.ProducerTime, End: f.End(), Reason: f.Missing})
			return true
		}
		spooled := 0
		if f.SpooledOn != "" {
			spooled = 1
		}
		n := len(ranges)
		if n > 0 && !f.Discontinuity && f.ProducerTime.Sub(ranges[n-1].End) <= time.Second {
			ranges[n-1].End = f.End()
			ranges[n-1].Fragments++
			ranges[n-1].Spooled += spooled
			return true
		}
		ranges = append(ranges, rangeJSON{Start: f.ProducerTime, End: f.End(), Fragments: 1, Spooled: spooled})
		return true
	})
	if err != nil {
		h.fail(w, err)
		return
	}
	if ranges == nil {
		ranges = []rangeJSON{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"stream": r.PathValue("name"), "start": start, "end": end, "ranges": ranges, "missing": missing})
}

// link mints a signed, expiring playback link: {"kind": "hls"|"clip",
// "start", "end" (RFC 3339; empty for live HLS), "expires_seconds"}. The
// link is bound to the caller's key (each use checks that the key still
// allows it) and expires no later than the caller's credential.
func (h *Handler) link(w http.ResponseWriter, r *http.Request) {
	if h.d.Signer == nil || h.d.Video == nil || h.d.Playback == nil {
		writeError(w, http.StatusServiceUnavailable, "playback is not served by this node")
		return
	}
	var in struct {
		Kind           string    `json:"kind"`
		Start          time.Time `json:"start"`
		End            time.Time `json:"end"`
		ExpiresSeconds int       `json:"expires_seconds"`
	}
	if !decode(w, r, &in) {
		return
	}
	name := r.PathValue("name")
	if _, err := h.d.Video.Describe(r.Context(), name); err != nil {
		h.fail(w, err)
		return
	}
	if in.ExpiresSeconds <= 0 {
		in.ExpiresSeconds = 3600
	}
	if in.ExpiresSeconds > 7*24*3600 {
		writeError(w, http.StatusBadRequest, "expires_seconds must be at most 7 days")
		return
	}
	now := time.Now()
	sess := playback.Session{Stream: name, Producer: true, Start: in.Start, End: in.End, Container: "FRAGMENTED_MP4",
		Discontinuity: "ALWAYS", DisplayTimestamp: true, Expires: now.Add(time.Duration(in.ExpiresSeconds) * time.Second),
		Key: auth.KeyID(r.Context())}
	if h.d.Auth != nil {
		// Never longer than the credential minting it (a minted token, a
		// UI session); every use checks the key again.
		sess.ExpireBy(h.d.Auth.CredentialExpiry(r))
	}
	var path string
	switch in.Kind {
	case "hls":
		sess.Kind, sess.Mode = "hls", hls.ModeOnDemand
		if in.Start.IsZero() {
			sess.Mode = hls.ModeLive
			var err error
			if sess.Since, err = hls.LiveSince(r.Context(), h.d.Playback, sess, now); err != nil {
				h.fail(w, err)
				return
			}
		}
		path = "/" + hls.PathMaster
	case "clip":
		if in.Start.IsZero() || in.End.IsZero() || !in.End.After(in.Start) {
			writeError(w, http.StatusBadRequest, "a clip needs start < end")
			return
		}
		sess.Kind = "clip"
		path = "/getClip.mp4"
	default:
		writeError(w, http.StatusBadRequest, `kind must be "hls" or "clip"`)
		return
	}
	u := h.d.PublicURL + path + "?SessionToken=" + url.QueryEscape(h.d.Signer.Sign(sess))
	writeJSON(w, http.StatusOK, map[string]any{"url": u, "expires": sess.Expires})
}

// timeRange reads start and end query parameters (RFC 3339), defaulting
// to the last def.
func timeRange(w http.ResponseWriter, q url.Values, def time.Duration) (start, end time.Time, ok bool) {
	end = time.Now()
	start = end.Add(-def)
	for name, dst := range map[string]*time.Time{"start": &start, "end": &end} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				writeError(w, http.StatusBadRequest, name+" must be an RFC 3339 time: "+err.Error())
				return start, end, false
			}
			*dst = t
		}
	}
	if !end.After(start) {
		writeError(w, http.StatusBadRequest, "end must be after start")
		return start, end, false
	}
	return start, end, true
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "bad JSON body: "+err.Error())
		return false
	}
	return true
}

// fail maps errors to HTTP statuses.
func (h *Handler) fail(w http.ResponseWriter, err error) {
	var se *streams.Error
	switch {
	case errors.Is(err, streams.ErrNotFound), errors.Is(err, fragments.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, streams.ErrInUse), errors.Is(err, fragments.ErrVersionMismatch):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, streams.ErrValidation), errors.Is(err, streams.ErrInvalidArgument), errors.Is(err, streams.ErrLimitExceeded):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.As(err, &se) && errors.Is(err, streams.ErrThroughputExceeded):
		writeError(w, http.StatusTooManyRequests, err.Error())
	default:
		h.log.Error("api", "err", err)
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}
