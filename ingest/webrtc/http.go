package webrtc

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
)

// maxOfferBytes bounds an SDP offer or a PATCH fragment.
const maxOfferBytes = 64 << 10

// HandleWHIP answers POST /whip/{stream} (RFC 9725): an SDP offer
// (application/sdp) in; 201 Created with the SDP answer, the session's
// resource URL in Location and its ETag out. Errors are plain text:
// 400 (not SDP), 404 (unknown stream, when streams are not created on
// publish), 409 (the stream already has a publisher), 415 (not
// application/sdp), 422 (nothing that can be recorded: the message names
// what is supported), 503 (shutting down, or too many sessions).
func (s *Server) HandleWHIP(w http.ResponseWriter, r *http.Request) {
	s.handleOffer(w, r, "whip", func(ctx context.Context, stream, offer, remote string) (session, string, error) {
		ss, answer, err := s.startWHIP(ctx, stream, offer, remote)
		if err != nil {
			return nil, "", err
		}
		return ss, answer, nil
	})
}

// HandleWHEP answers POST /whep/{stream}: a viewer's SDP offer in, 201
// with the SDP answer and Location out. 404 when the stream does not
// exist, 409 when it exists but nobody publishes it, 422 when nothing of
// it can be sent to this viewer; otherwise as HandleWHIP.
func (s *Server) HandleWHEP(w http.ResponseWriter, r *http.Request) {
	s.handleOffer(w, r, "whep", func(ctx context.Context, stream, offer, remote string) (session, string, error) {
		ss, answer, err := s.startWHEP(ctx, stream, offer, remote)
		if err != nil {
			return nil, "", err
		}
		return ss, answer, nil
	})
}

type starter func(ctx context.Context, stream, offer, remote string) (session, string, error)

func (s *Server) handleOffer(w http.ResponseWriter, r *http.Request, kind string, start starter) {
	stream := r.PathValue("stream")
	if err := checkStreamName(stream); err != nil {
		writeError(w, httpErr(http.StatusBadRequest, "%v", err), s.log)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/sdp" {
		writeError(w, httpErr(http.StatusUnsupportedMediaType, "the offer must be sent as Content-Type: application/sdp"), s.log)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOfferBytes))
	if err != nil {
		writeError(w, httpErr(http.StatusRequestEntityTooLarge, "the offer is larger than %d bytes", maxOfferBytes), s.log)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	defer cancel()
	ss, answer, err := start(ctx, stream, string(body), r.RemoteAddr)
	if err != nil {
		writeError(w, err, s.log.With("kind", kind, "stream", stream, "remote", r.RemoteAddr))
		return
	}
	p := peerOf(ss)
	h := w.Header()
	h.Set("Content-Type", "application/sdp")
	h.Set("Location", strings.TrimSuffix(r.URL.Path, "/")+"/"+p.id)
	h.Set("ETag", p.tag)
	h.Set("Accept-Patch", "application/trickle-ice-sdpfrag")
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// HandleResource serves a session's resource URL, /whip/{stream}/{id} or
// /whep/{stream}/{id}: DELETE ends the session (200; 404 when there is no
// such session). PATCH with application/trickle-ice-sdpfrag adds the
// client's ICE candidates (204); an ICE restart is refused with 422, an
// If-Match that is not the session's ETag with 412.
func (s *Server) HandleResource(w http.ResponseWriter, r *http.Request) {
	ss := s.lookup(r.PathValue("id"))
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if ss == nil || ss.streamName() != r.PathValue("stream") || len(parts) < 3 || parts[len(parts)-3] != ss.kind() {
		writeError(w, httpErr(http.StatusNotFound, "no such session"), s.log)
		return
	}
	switch r.Method {
	case http.MethodDelete:
		ss.close("ended by the client (DELETE)")
		w.WriteHeader(http.StatusOK)
	case http.MethodPatch:
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/trickle-ice-sdpfrag" {
			writeError(w, httpErr(http.StatusUnsupportedMediaType, "PATCH takes application/trickle-ice-sdpfrag"), s.log)
			return
		}
		if m := r.Header.Get("If-Match"); m != "" && m != "*" && m != ss.etag() {
			writeError(w, httpErr(http.StatusPreconditionFailed, "the session's ETag is %s", ss.etag()), s.log)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOfferBytes))
		if err != nil {
			writeError(w, httpErr(http.StatusRequestEntityTooLarge, "the fragment is too large"), s.log)
			return
		}
		if err := ss.patch(string(body)); err != nil {
			writeError(w, err, s.log)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "DELETE, PATCH")
		writeError(w, httpErr(http.StatusMethodNotAllowed, "%s is not allowed here", r.Method), s.log)
	}
}

func peerOf(ss session) *peer {
	switch v := ss.(type) {
	case *whipSession:
		return v.peer
	case *whepSession:
		return v.peer
	}
	panic(fmt.Sprintf("unknown session %T", ss))
}

// writeError answers with an error's status and message as plain text.
func writeError(w http.ResponseWriter, err error, log interface {
	Info(string, ...any)
	Error(string, ...any)
}) {
	status, msg := statusOf(err)
	if status >= 500 {
		log.Error("webrtc: request failed", "status", status, "err", err)
	} else {
		log.Info("webrtc: request refused", "status", status, "reason", msg)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg+"\n")
}

// checkStreamName: 1-256 characters of [a-zA-Z0-9_.-], not "." or "..",
// as for RTSP.
func checkStreamName(name string) error {
	if name == "" || len(name) > 256 || name == "." || name == ".." {
		return fmt.Errorf("invalid stream name %q", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' {
			continue
		}
		return fmt.Errorf("invalid stream name: only letters, digits, '_', '.' and '-' are allowed")
	}
	return nil
}
