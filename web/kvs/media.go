package kvs

import (
	"context"
	"net/http"
	"reflect"

	"github.com/sluice-dev/sluice/playback"
)

// The media operations read fragments through the playback source (the
// archive and the live edge as one timeline) and package them with
// playback/remux:
//
//   - GetClip (archived media): a fragmented MP4 of a time range, streamed
//     as it is built; it starts at the last keyframe at or before
//     StartTimestamp and is trimmed to the sample at EndTimestamp.
//   - GetMediaForFragmentList (archived media): the listed fragments as
//     Matroska, in the order given.
//   - GetMedia (media): Matroska from a start selector, then each new
//     fragment as it closes, until the client goes away.
//
// Every refusal is an API error sent before any media; once media has
// gone out, a failure cuts the transfer (abortStream).
//
// Deviations from AWS:
//   - GetClip has no 100 MB / 200-fragment cap; MediaLimits bounds it, and
//     a range over the limit is InvalidArgumentException (AWS truncates
//     silently). Its samples are trimmed to the range (AWS returns whole
//     fragments that start in it), and it is a fragmented MP4 (AWS: a
//     progressive one). It clips every codec Sluice stores (AWS: H.264 and
//     H.265 with AAC or G.711), so UnsupportedStreamMediaTypeException is
//     only for an init segment with an unknown sample entry. Gaps over
//     remux.MaxGap between sessions are closed; a change of codec
//     parameters inside the range ends the clip there.
//   - SERVER_TIMESTAMP ranges may end in the future (AWS: in the past).
//   - GetMedia with FRAGMENT_NUMBER starts after AfterFragmentNumber, as
//     the StartSelectorType documentation says. Continuation tokens are
//     fragment numbers, or "p<producer ns>" for a fragment of a stream
//     without retention. A fragment of a stream with retention is held
//     back until it is indexed (up to indexWait), so that it carries its
//     fragment number. The AWS_KINESISVIDEO_ERROR_* tags are not sent; a
//     failure cuts the transfer.
//   - Content-Type is video/x-matroska for the Matroska operations.

// mediaOperations are the media operations (GetClip, GetMedia,
// GetMediaForFragmentList), served when Config.Playback is set.
func (h *Handler) mediaOperations() map[string]operation {
	if h.cfg.Playback == nil {
		return nil
	}
	return map[string]operation{
		"/getClip":                 {name: "GetClip", serve: h.getClip, input: reflect.TypeFor[getClipInput]()},
		"/getMediaForFragmentList": {name: "GetMediaForFragmentList", serve: h.getMediaForFragmentList, input: reflect.TypeFor[getMediaForFragmentListInput]()},
		"/getMedia":                {name: "GetMedia", serve: h.getMedia, input: reflect.TypeFor[getMediaInput]()},
	}
}

// Content types of the media responses.
const (
	contentMP4      = "video/mp4"
	contentMatroska = "video/x-matroska"
)

// mediaResponse streams a media body. Its status and headers go out with
// the first Write, so that an operation can still fail with an API error
// until it has media to send. Flush sends what is buffered to the client.
type mediaResponse struct {
	ex          *exchange
	contentType string
	rc          *http.ResponseController
}

func newMediaResponse(ex *exchange, contentType string) *mediaResponse {
	return &mediaResponse{ex: ex, contentType: contentType, rc: http.NewResponseController(ex.w)}
}

// start sends the status and headers (once).
func (m *mediaResponse) start() {
	if m.ex.wrote {
		return
	}
	if !m.ex.authorized {
		panic(errUnauthorizedAnswer) // fail closed: ServeHTTP answers InternalFailure
	}
	m.ex.wrote = true
	m.ex.w.Header().Set("Content-Type", m.contentType)
	m.ex.w.WriteHeader(http.StatusOK)
}

func (m *mediaResponse) Write(p []byte) (int, error) {
	m.start()
	return m.ex.w.Write(p)
}

// Flush sends buffered bytes now; a writer that cannot flush is left to
// buffer. Before the first Write there is nothing to send: flushing then
// would commit the headers without the Content-Type.
func (m *mediaResponse) Flush() {
	if m.ex.wrote {
		_ = m.rc.Flush()
	}
}

// abortStream ends a response that has started and cannot be completed:
// the connection is closed without the end of the chunked body, so the
// client sees a failed transfer rather than a short file it would take
// for whole. Before the response starts, it returns err to be sent.
func abortStream(ex *exchange, err error) error {
	if !ex.wrote {
		return err
	}
	panic(http.ErrAbortHandler)
}

// fragmentSource reads fragments of the playback source for the media
// operations, with their init segments.
type fragmentSource struct {
	src    *playback.Source
	stream string
}

// read returns a fragment's init segment and bytes.
func (s fragmentSource) read(ctx context.Context, f playback.Fragment) (init, media []byte, err error) {
	if init, err = s.src.Init(ctx, s.stream, f); err != nil {
		return nil, nil, err
	}
	if media, err = s.src.Media(ctx, s.stream, f); err != nil {
		return nil, nil, err
	}
	return init, media, nil
}
