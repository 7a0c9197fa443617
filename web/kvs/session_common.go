package kvs

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/playback/hls"
	"github.com/sluice-dev/sluice/web/auth"
)

// Bounds and defaults of the session operations (both models).
const (
	minExpires         = 300
	maxExpires         = 43200
	defaultExpires     = 300
	maxSessionResults  = 5000
	maxSessionRange    = 24 * time.Hour
	liveRecentFragment = 30 * time.Second

	errNoRetention  = "NoDataRetentionException"
	errUnsupported  = "UnsupportedStreamMediaTypeException"
	msgNoFragments  = "No fragments found in the stream for the streaming request."
	displayAlways   = "ALWAYS"
	displayNever    = "NEVER"
	sessionKindHLS  = "hls"
	sessionKindDASH = "dash"
)

var playbackModes = []string{hls.ModeLive, hls.ModeLiveReplay, hls.ModeOnDemand}

// sessionSelector is HLSFragmentSelector and DASHFragmentSelector.
type sessionSelector struct {
	FragmentSelectorType *string
	TimestampRange       *struct {
		StartTimestamp, EndTimestamp *epochTime
	}
}

// check records the selector's model violations under path.
func (s *sessionSelector) check(v *violations, path string) {
	if s == nil {
		return
	}
	v.enum(path+".fragmentSelectorType", s.FragmentSelectorType, selectorProducer, selectorServer)
}

// sessionSpec is what both operations share once their members are
// checked against the model.
type sessionSpec struct {
	name, arn     *string
	mode          string
	selector      *sessionSelector
	selectorParam string // HLSFragmentSelector or DASHFragmentSelector, for messages
	expires       *int64
	maxResults    *int64
}

// session checks the request's semantics as KVS does, resolves the stream
// and returns the session to sign (without its kind and format options).
func (h *Handler) session(ctx context.Context, spec sessionSpec) (playback.Session, error) {
	sess := playback.Session{Mode: spec.mode}
	sel := spec.selector
	var start, end *epochTime
	if sel != nil {
		sess.Producer = sel.FragmentSelectorType != nil && *sel.FragmentSelectorType == selectorProducer
		if tr := sel.TimestampRange; tr != nil {
			start, end = tr.StartTimestamp, tr.EndTimestamp
		}
	}
	switch spec.mode {
	case hls.ModeLive:
		if sel != nil && sel.TimestampRange != nil {
			return sess, newError(errInvalid, "%s.TimestampRange must not be set when PlaybackMode is LIVE.", spec.selectorParam)
		}
	default:
		if sel == nil || sel.TimestampRange == nil || start == nil {
			return sess, newError(errInvalid, "%s with a TimestampRange and its StartTimestamp is required when PlaybackMode is %s.", spec.selectorParam, spec.mode)
		}
		if spec.mode == hls.ModeOnDemand && end == nil {
			return sess, newError(errInvalid, "%s.TimestampRange.EndTimestamp is required when PlaybackMode is ON_DEMAND.", spec.selectorParam)
		}
		sess.Start = start.Time()
		if end != nil {
			sess.End = end.Time()
			if !sess.End.After(sess.Start) {
				return sess, newError(errInvalid, "The EndTimestamp must be later than the StartTimestamp.")
			}
			if sess.End.Sub(sess.Start) > maxSessionRange {
				return sess, newError(errInvalid, "The EndTimestamp must be within 24 hours of the StartTimestamp.")
			}
		}
		// An ON_DEMAND playlist must not change: a server-time range ends
		// no later than now.
		if now := time.Now(); spec.mode == hls.ModeOnDemand && !sess.Producer && sess.End.After(now) {
			sess.End = now
		}
	}
	if spec.maxResults != nil {
		sess.MaxFragments = int(*spec.maxResults)
	}
	expires := int64(defaultExpires)
	if spec.expires != nil {
		expires = *spec.expires
	}
	sess.Expires = time.Now().Add(time.Duration(expires) * time.Second)

	s, err := h.resolve(ctx, spec.name, spec.arn)
	if err != nil {
		return sess, err
	}
	if s.RetentionHours == 0 {
		return sess, &apiError{Name: errNoRetention, Status: http.StatusBadRequest,
			Msg: "The stream " + s.Name + " does not retain data (DataRetentionInHours is 0): its live view is at /hls/" + s.Name + "/index.m3u8."}
	}
	sess.Stream = s.Name
	// The session is bound to the key that signed the request (checked
	// again on every use) and, when LIVE, to the fragments from its first
	// playlist on.
	sess.Key = auth.KeyID(ctx)
	if sess.Since, err = hls.LiveSince(ctx, h.cfg.Playback, sess, time.Now()); err != nil {
		return sess, err
	}
	return sess, nil
}

// firstFragment returns the first fragment a session would list, or
// ResourceNotFoundException as KVS answers: none in an ON_DEMAND or
// LIVE_REPLAY range, none in the last 30 seconds for LIVE.
func (h *Handler) firstFragment(ctx context.Context, sess playback.Session) (playback.Fragment, error) {
	sel := fragments.Selector{Producer: sess.Producer, Start: sess.Start, End: sess.End}
	if sess.Mode == hls.ModeLive {
		sel = fragments.Selector{Start: time.Now().Add(-liveRecentFragment)}
	}
	var first *playback.Fragment
	err := h.cfg.Playback.Fragments(ctx, sess.Stream, sel, func(f playback.Fragment) bool {
		first = &f
		return false
	})
	if err != nil {
		return playback.Fragment{}, err
	}
	if first == nil && sess.Mode == hls.ModeLive {
		// Publishing just started: the first fragment is still open.
		if v := h.cfg.Playback.Hub().View(sess.Stream); v.Live && len(v.Fragments) > 0 {
			lf := v.Fragments[len(v.Fragments)-1]
			return playback.Fragment{InitID: lf.Init.ID, Tracks: lf.Init.Tracks}, nil
		}
	}
	if first == nil {
		return playback.Fragment{}, newError(errNotFound, msgNoFragments)
	}
	return *first, nil
}

// tsCodecs are the codecs MPEG_TS sessions can carry.
var tsCodecs = map[string]bool{"H264": true, "H265": true, "AAC": true, "Opus": true}

// checkMedia refuses a stream whose media the session cannot package.
func checkMedia(f playback.Fragment, container string) error {
	if len(f.Tracks) == 0 {
		return &apiError{Name: errUnsupported, Status: http.StatusBadRequest, Msg: "The stream's fragments describe no tracks."}
	}
	for _, t := range f.Tracks {
		if container == hls.ContainerTS && !tsCodecs[t.Name] {
			return &apiError{Name: errUnsupported, Status: http.StatusBadRequest,
				Msg: "Track " + t.Name + " (" + t.Codec + ") cannot be packaged as MPEG_TS: use FRAGMENTED_MP4."}
		}
	}
	return nil
}

// sessionURL is the URL of a signed session's entry point.
func (h *Handler) sessionURL(r *http.Request, path, token string) string {
	return h.publicURL(r) + "/" + path + "?SessionToken=" + url.QueryEscape(token)
}
