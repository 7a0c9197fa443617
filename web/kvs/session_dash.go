package kvs

import (
	"context"
	"net/http"

	"github.com/sluice-dev/sluice/playback/hls"
)

type dashSessionInput struct {
	StreamName, StreamARN      *string
	PlaybackMode               *string
	DisplayFragmentTimestamp   *string
	DisplayFragmentNumber      *string
	DASHFragmentSelector       *sessionSelector
	Expires                    *int64
	MaxManifestFragmentResults *int64
}

type dashSessionOutput struct {
	DASHStreamingSessionURL string
}

// getDASHStreamingSessionURL is getHLSStreamingSessionURL for an MPEG-DASH
// manifest over the same fMP4 fragments. DisplayFragmentNumber is checked
// but not honoured (kvs:fn attributes are not written; see
// playback/dash).
func (h *Handler) getDASHStreamingSessionURL(ctx context.Context, r *http.Request, in *dashSessionInput) (*dashSessionOutput, error) {
	var v violations
	v.str("streamName", in.StreamName, shapeStreamName)
	v.str("streamARN", in.StreamARN, shapeARN)
	v.enum("playbackMode", in.PlaybackMode, playbackModes...)
	v.enum("displayFragmentTimestamp", in.DisplayFragmentTimestamp, displayAlways, displayNever)
	v.enum("displayFragmentNumber", in.DisplayFragmentNumber, displayAlways, displayNever)
	in.DASHFragmentSelector.check(&v, "dASHFragmentSelector")
	v.num("expires", in.Expires, minExpires, maxExpires)
	v.num("maxManifestFragmentResults", in.MaxManifestFragmentResults, 1, maxSessionResults)
	if err := v.err(); err != nil {
		return nil, err
	}
	mode := hls.ModeLive
	if in.PlaybackMode != nil {
		mode = *in.PlaybackMode
	}
	sess, err := h.session(ctx, sessionSpec{name: in.StreamName, arn: in.StreamARN, mode: mode,
		selector: in.DASHFragmentSelector, selectorParam: "DASHFragmentSelector",
		expires: in.Expires, maxResults: in.MaxManifestFragmentResults})
	if err != nil {
		return nil, err
	}
	sess.Kind = sessionKindDASH
	sess.Container = hls.ContainerMP4
	sess.DisplayTimestamp = in.DisplayFragmentTimestamp != nil && *in.DisplayFragmentTimestamp == displayAlways
	first, err := h.firstFragment(ctx, sess)
	if err != nil {
		return nil, err
	}
	if err := checkMedia(first, sess.Container); err != nil {
		return nil, err
	}
	token := h.cfg.Signer.Sign(sess)
	return &dashSessionOutput{DASHStreamingSessionURL: h.sessionURL(r, hls.PathDASHMPD, token)}, nil
}
