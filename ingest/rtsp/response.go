package rtsp

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bluenviron/gortsplib/v4/pkg/base"

	"github.com/sluice-dev/sluice/ingest"
)

// reply builds a response whose reason phrase carries a message for the
// client, e.g. "404 Not Found (unknown stream "cam1")": RTSP clients
// (ffmpeg, GStreamer, OBS) show the reason phrase to their user.
func reply(code base.StatusCode, msg string) *base.Response {
	phrase := base.StatusMessages[code]
	if msg != "" {
		msg = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return ' '
			}
			return r
		}, msg)
		phrase += " (" + truncate(msg, 400) + ")"
	}
	return &base.Response{StatusCode: code, StatusMessage: phrase}
}

// openRefusal maps a Recorder.Open error to the response refusing the
// publisher, and tells whether the error is the server's fault.
//
// A stream recorded by another node is refused with 453 (Not Enough
// Bandwidth: RTSP has no "owned elsewhere", and 453 is what clients show
// as "the server cannot take this stream now"), naming the node.
func openRefusal(stream string, err error) (res *base.Response, internal bool) {
	var elsewhere *ingest.OwnedElsewhereError
	switch {
	case errors.Is(err, ingest.ErrUnknownStream):
		return reply(base.StatusNotFound, fmt.Sprintf("unknown stream %q", stream)), false
	case errors.Is(err, ingest.ErrBusy):
		return reply(base.StatusMethodNotValidInThisState, fmt.Sprintf("stream %q already has a publisher", stream)), false
	case errors.As(err, &elsewhere):
		return reply(base.StatusNotEnoughBandwidth, elsewhere.Error()+"; publish there, or here once it stops"), false
	case errors.Is(err, ingest.ErrNoTracks):
		return reply(base.StatusUnsupportedMediaType, "no track of this stream can be recorded"), false
	}
	return reply(base.StatusInternalServerError, "cannot record: internal error"), true
}
