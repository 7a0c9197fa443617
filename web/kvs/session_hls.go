package kvs

import (
	"context"
	"net/http"

	"github.com/sluice-dev/sluice/playback/hls"
)

type hlsSessionInput struct {
	StreamName, StreamARN           *string
	PlaybackMode                    *string
	HLSFragmentSelector             *sessionSelector
	ContainerFormat                 *string
	DiscontinuityMode               *string
	DisplayFragmentTimestamp        *string
	Expires                         *int64
	MaxMediaPlaylistFragmentResults *int64
}

type hlsSessionOutput struct {
	HLSStreamingSessionURL string
}

// getHLSStreamingSessionURL checks the request, finds the session's first
// fragment (ResourceNotFoundException when there is none) and returns the
// URL of the session's master playlist with a signed token.
func (h *Handler) getHLSStreamingSessionURL(ctx context.Context, r *http.Request, in *hlsSessionInput) (*hlsSessionOutput, error) {
	var v violations
	v.str("streamName", in.StreamName, shapeStreamName)
	v.str("streamARN", in.StreamARN, shapeARN)
	v.enum("playbackMode", in.PlaybackMode, playbackModes...)
	in.HLSFragmentSelector.check(&v, "hLSFragmentSelector")
	v.enum("containerFormat", in.ContainerFormat, hls.ContainerMP4, hls.ContainerTS)
	v.enum("discontinuityMode", in.DiscontinuityMode, hls.DiscAlways, hls.DiscNever, hls.DiscOn)
	v.enum("displayFragmentTimestamp", in.DisplayFragmentTimestamp, displayAlways, displayNever)
	v.num("expires", in.Expires, minExpires, maxExpires)
	v.num("maxMediaPlaylistFragmentResults", in.MaxMediaPlaylistFragmentResults, 1, maxSessionResults)
	if err := v.err(); err != nil {
		return nil, err
	}
	mode := hls.ModeLive
	if in.PlaybackMode != nil {
		mode = *in.PlaybackMode
	}
	sess, err := h.session(ctx, sessionSpec{name: in.StreamName, arn: in.StreamARN, mode: mode,
		selector: in.HLSFragmentSelector, selectorParam: "HLSFragmentSelector",
		expires: in.Expires, maxResults: in.MaxMediaPlaylistFragmentResults})
	if err != nil {
		return nil, err
	}
	sess.Kind = sessionKindHLS
	sess.Container = hls.ContainerMP4
	if in.ContainerFormat != nil {
		sess.Container = *in.ContainerFormat
	}
	if in.DiscontinuityMode != nil {
		sess.Discontinuity = *in.DiscontinuityMode
	}
	sess.Discontinuity = hls.DiscontinuityMode(sess)
	sess.DisplayTimestamp = in.DisplayFragmentTimestamp != nil && *in.DisplayFragmentTimestamp == displayAlways
	first, err := h.firstFragment(ctx, sess)
	if err != nil {
		return nil, err
	}
	if err := checkMedia(first, sess.Container); err != nil {
		return nil, err
	}
	token := h.cfg.Signer.Sign(sess)
	return &hlsSessionOutput{HLSStreamingSessionURL: h.sessionURL(r, hls.PathMaster, token)}, nil
}
