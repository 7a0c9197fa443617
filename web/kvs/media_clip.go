package kvs

import (
	"context"
	"errors"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/playback/remux"
)

// clipLookback is how far before the start of a GetClip range the index is
// read for the keyframe that the clip starts at (the fragment that holds
// the start, and, when that fragment does not start with a keyframe, the
// ones before it back to one that does).
const clipLookback = 2 * time.Minute

type getClipInput struct {
	StreamName, StreamARN *string
	ClipFragmentSelector  *struct {
		FragmentSelectorType *string
		TimestampRange       *struct {
			StartTimestamp, EndTimestamp *epochTime
		}
	}
}

// getClip streams an MP4 of a time range (remux.Clip): a fragmented MP4
// written as the fragments are read. The range and size are checked on
// the index first, so that every refusal is an API error; once media goes
// out, a failure can only cut the transfer (abortStream).
func (h *Handler) getClip(ctx context.Context, ex *exchange) error {
	var in getClipInput
	if err := h.decode(ex, &in); err != nil {
		return err
	}
	var v violations
	v.str("streamName", in.StreamName, shapeStreamName)
	v.str("streamARN", in.StreamARN, shapeARN)
	v.required("clipFragmentSelector", in.ClipFragmentSelector != nil)
	if cs := in.ClipFragmentSelector; cs != nil {
		v.required("clipFragmentSelector.fragmentSelectorType", cs.FragmentSelectorType != nil)
		v.enum("clipFragmentSelector.fragmentSelectorType", cs.FragmentSelectorType, selectorProducer, selectorServer)
		v.required("clipFragmentSelector.timestampRange", cs.TimestampRange != nil)
		if tr := cs.TimestampRange; tr != nil {
			v.required("clipFragmentSelector.timestampRange.startTimestamp", tr.StartTimestamp != nil)
			v.required("clipFragmentSelector.timestampRange.endTimestamp", tr.EndTimestamp != nil)
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	limits := h.mediaLimits()
	tr := in.ClipFragmentSelector.TimestampRange
	start, end := tr.StartTimestamp.Time(), tr.EndTimestamp.Time()
	switch {
	case !end.After(start):
		return newError(errInvalid, "The EndTimestamp must be later than the StartTimestamp.")
	case end.Sub(start) > limits.ClipRange:
		return newError(errInvalid, "The TimestampRange spans %v; this server clips at most %v (the EndTimestamp must be within %v of the StartTimestamp).", end.Sub(start), limits.ClipRange, limits.ClipRange)
	}
	s, err := h.resolve(ctx, in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	if s.RetentionHours == 0 {
		return newError(errNoDataRetention, "The stream %s does not retain data (DataRetentionInHours is 0): it has no archive to clip.", s.Name)
	}
	sel := fragments.Selector{Producer: *in.ClipFragmentSelector.FragmentSelectorType == selectorProducer, Start: start.Add(-clipLookback), End: end}
	src := fragmentSource{src: h.cfg.Playback, stream: s.Name}
	from, err := h.planClip(ctx, src, sel, start, limits)
	if err != nil {
		return err
	}
	return h.writeClip(ctx, ex, src, sel, from, start, end)
}

// planClip reads the range's fragments on the index (no media): it checks
// the limits and returns the ID of the first fragment the clip needs.
func (h *Handler) planClip(ctx context.Context, src fragmentSource, sel fragments.Selector, start time.Time, limits MediaLimits) (string, error) {
	var (
		from             string // first fragment to read
		pre              string // the last keyframe fragment before start
		preFrags, frags  int
		preBytes, bytes  int64
		found, overLimit bool
		last, beforePre  string // the fragment before f, and before pre
	)
	// The clip reads from the fragment before the one it starts in: audio
	// that plays just after a keyframe may have been stored with the
	// fragment before it (remux.Clip keeps only what it needs of it).
	err := src.src.Fragments(ctx, src.stream, sel, func(f playback.Fragment) bool {
		prev := last
		last = f.ID()
		if !clipTime(sel, f).Add(f.Duration).After(start) {
			switch {
			case f.Keyframe:
				pre, preFrags, preBytes, beforePre = f.ID(), 1, f.Size, prev
			case pre != "":
				preFrags, preBytes = preFrags+1, preBytes+f.Size
			}
			return true
		}
		if !found {
			found, from = true, f.ID()
			if prev != "" {
				from = prev
			}
			if !f.Keyframe && pre != "" {
				from, frags, bytes = pre, preFrags, preBytes
				if beforePre != "" {
					from = beforePre
				}
			}
		}
		frags, bytes = frags+1, bytes+f.Size
		overLimit = frags > limits.ClipFragments || bytes > limits.ClipBytes
		return !overLimit
	})
	switch {
	case err != nil:
		return "", err
	case overLimit:
		return "", newError(errInvalid, "The clip would hold more than %d fragments or %d bytes, this server's limit for GetClip: request a shorter TimestampRange.", limits.ClipFragments, limits.ClipBytes)
	case !found:
		return "", newError(errNotFound, "No fragments found in the stream %s in the requested TimestampRange.", src.stream)
	}
	return from, nil
}

// writeClip streams the clip from fragment from on.
func (h *Handler) writeClip(ctx context.Context, ex *exchange, src fragmentSource, sel fragments.Selector, from string, start, end time.Time) error {
	out := newMediaResponse(ex, contentMP4)
	clip := remux.NewClip(out, start, end)
	var failure error
	reading := false
	var media []byte // reused: Clip.Add keeps no fragment bytes
	err := src.src.Fragments(ctx, src.stream, sel, func(f playback.Fragment) bool {
		if !reading && f.ID() != from {
			return true
		}
		reading = true
		init, err := src.src.Init(ctx, src.stream, f)
		if err == nil {
			media, err = src.src.ReadMedia(ctx, src.stream, f, media)
		}
		if err == nil {
			err = clip.Add(init, media, clipTime(sel, f))
		}
		switch {
		case errors.Is(err, remux.ErrInitChanged):
			h.log.Info("GetClip: the codec parameters change inside the range; the clip ends there", "request_id", ex.id, "stream", src.stream, "fragment", f.ID())
		case err != nil:
			failure = err
			return false
		}
		out.Flush()
		return !clip.Done()
	})
	if err == nil {
		err = failure
	}
	if err == nil {
		err = clip.Close()
	}
	switch {
	case errors.Is(err, remux.ErrEmpty):
		return newError(errNotFound, "No media found in the stream %s in the requested TimestampRange.", src.stream)
	case err != nil:
		return abortStream(ex, mediaError(err))
	}
	return nil
}

// clipTime is a fragment's start on the selector's clock.
func clipTime(sel fragments.Selector, f playback.Fragment) time.Time {
	if sel.Producer {
		return f.ProducerTime
	}
	return f.ServerTime
}
