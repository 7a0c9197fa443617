package kvs

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/playback/remux"
)

// getMediaPoll is how often GetMedia looks for new fragments besides the
// live edge's notifications (fragments indexed by another node, or when
// the stream has no publisher here).
const getMediaPoll = time.Second

// indexWait is how long GetMedia holds back a closed fragment of a stream
// with retention, from when it first sees it, until it is indexed (so that it goes out with its
// fragment number, as KVS sends every fragment); past it, the fragment
// goes out without one (its storage failed, or is very slow).
const indexWait = 10 * time.Second

// StartSelectorType values of GetMedia.
const (
	startNow               = "NOW"
	startEarliest          = "EARLIEST"
	startFragmentNumber    = "FRAGMENT_NUMBER"
	startProducerTimestamp = "PRODUCER_TIMESTAMP"
	startServerTimestamp   = "SERVER_TIMESTAMP"
	startContinuationToken = "CONTINUATION_TOKEN"
)

// The string shapes of the media models that this file checks.
var (
	shapeFragmentNumber    = newStrShape(1, 128, `^[0-9]+$`)
	shapeContinuationToken = newStrShape(1, 128, `^[a-zA-Z0-9_\.\-]+$`)
)

type getMediaInput struct {
	StreamName, StreamARN *string
	StartSelector         *struct {
		StartSelectorType   *string
		AfterFragmentNumber *string
		StartTimestamp      *epochTime
		ContinuationToken   *string
	}
}

// cursor is where a GetMedia stream stands: the next fragment is the first
// whose time (producer time, or server time before the first fragment of
// a SERVER_TIMESTAMP start) is after t, or at t when inclusive. A zero t
// is the oldest fragment.
type cursor struct {
	producer  bool
	t         time.Time
	inclusive bool
}

// after is the cursor just past fragment f.
func after(f playback.Fragment) cursor { return cursor{producer: true, t: f.ProducerTime} }

// getMedia streams a stream's fragments as Matroska from the start the
// selector names, then each new fragment as it closes, until the client
// goes away (or the server shuts down). Each fragment carries the tags of
// GetMedia, among them a continuation token to resume after it.
func (h *Handler) getMedia(ctx context.Context, ex *exchange) error {
	var in getMediaInput
	if err := h.decode(ex, &in); err != nil {
		return err
	}
	if err := checkGetMedia(&in); err != nil {
		return err
	}
	s, err := h.resolve(ctx, in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	src := fragmentSource{src: h.cfg.Playback, stream: s.Name}
	cur, err := h.startCursor(ctx, src, &in)
	if err != nil {
		return err
	}
	out := newMediaResponse(ex, contentMatroska)
	out.start()
	out.Flush()
	mkv := remux.NewMatroska(out)
	var waiting struct { // the unindexed fragment held back, since when
		id    string
		since time.Time
	}
	for {
		view := src.src.Hub().View(s.Name) // before reading: a change after it wakes us
		var failure error
		err := src.src.Fragments(ctx, s.Name, fragments.Selector{Producer: cur.producer, Start: cur.t}, func(f playback.Fragment) bool {
			if !cur.inclusive && !cur.of(f).After(cur.t) {
				return true
			}
			if f.Number == "" && s.RetentionHours > 0 {
				if f.ID() != waiting.id {
					waiting.id, waiting.since = f.ID(), time.Now()
				}
				if time.Since(waiting.since) < indexWait {
					return false // wait for its number
				}
			}
			if failure = h.sendFragment(ctx, src, mkv, f); failure != nil {
				return false
			}
			out.Flush()
			cur = after(f)
			return true
		})
		if err == nil {
			err = failure
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case isNotFound(err):
			return nil // the stream was deleted
		case err != nil:
			return abortStream(ex, err)
		}
		if !waitFragments(ctx, src, view) {
			return nil
		}
	}
}

// waitFragments waits until the live edge has a fragment closed or
// indexed since view (parts of the open fragment do not count), or the
// poll interval has passed; false when ctx ends.
func waitFragments(ctx context.Context, src fragmentSource, view fragments.View) bool {
	poll := time.NewTimer(getMediaPoll)
	defer poll.Stop()
	was := closedState(view)
	for {
		select {
		case <-ctx.Done():
			return false
		case <-poll.C:
			return true
		case <-view.Updated:
			view = src.src.Hub().View(src.stream)
			if closedState(view) != was {
				return true
			}
		}
	}
}

// closedState sums up a view's closed fragments: the newest one, and the
// newest one with its number.
func closedState(v fragments.View) [2]string {
	var s [2]string
	for _, f := range v.Fragments {
		if f.Closed != nil {
			id := fmt.Sprintf("%s-%d", f.Session, f.Index)
			s[0] = id
			if f.Number != "" {
				s[1] = id
			}
		}
	}
	return s
}

// sendFragment writes one fragment with its GetMedia tags. A fragment that
// went away (retention) between the listing and the read is skipped.
func (h *Handler) sendFragment(ctx context.Context, src fragmentSource, mkv *remux.Matroska, f playback.Fragment) error {
	init, media, err := src.read(ctx, f)
	if errors.Is(err, playback.ErrNotFound) {
		h.log.Info("GetMedia: fragment gone before it was read; skipped", "stream", src.stream, "fragment", f.ID(), "err", err)
		return nil
	}
	if err != nil {
		return err
	}
	behind := max(time.Since(f.ServerTime.Add(f.Duration)), 0)
	tags := append(fragmentTags(f),
		remux.Tag{Name: tagMillisBehindNow, Value: strconv.FormatInt(behind.Milliseconds(), 10)},
		remux.Tag{Name: tagContinuationToken, Value: continuationToken(f)},
	)
	return mkv.WriteFragment(init, media, f.ProducerTime, tags)
}

// of is the fragment's time on the cursor's clock.
func (c cursor) of(f playback.Fragment) time.Time {
	if c.producer {
		return f.ProducerTime
	}
	return f.ServerTime
}

// checkGetMedia checks the input against the model, and that the member
// the selector type needs is there.
func checkGetMedia(in *getMediaInput) error {
	var v violations
	v.str("streamName", in.StreamName, shapeStreamName)
	v.str("streamARN", in.StreamARN, shapeARN)
	v.required("startSelector", in.StartSelector != nil)
	if ss := in.StartSelector; ss != nil {
		v.required("startSelector.startSelectorType", ss.StartSelectorType != nil)
		v.enum("startSelector.startSelectorType", ss.StartSelectorType,
			startFragmentNumber, startServerTimestamp, startProducerTimestamp, startNow, startEarliest, startContinuationToken)
		v.str("startSelector.afterFragmentNumber", ss.AfterFragmentNumber, shapeFragmentNumber)
		v.str("startSelector.continuationToken", ss.ContinuationToken, shapeContinuationToken)
	}
	if err := v.err(); err != nil {
		return err
	}
	ss := in.StartSelector
	need := map[string]struct {
		member  string
		present bool
	}{
		startFragmentNumber:    {"AfterFragmentNumber", ss.AfterFragmentNumber != nil},
		startProducerTimestamp: {"StartTimestamp", ss.StartTimestamp != nil},
		startServerTimestamp:   {"StartTimestamp", ss.StartTimestamp != nil},
		startContinuationToken: {"ContinuationToken", ss.ContinuationToken != nil},
	}
	if n, ok := need[*ss.StartSelectorType]; ok && !n.present {
		return newError(errInvalid, "StartSelectorType %s needs the StartSelector member %s.", *ss.StartSelectorType, n.member)
	}
	return nil
}

// startCursor is where the selector starts.
func (h *Handler) startCursor(ctx context.Context, src fragmentSource, in *getMediaInput) (cursor, error) {
	ss := in.StartSelector
	switch *ss.StartSelectorType {
	case startEarliest:
		return cursor{producer: true, inclusive: true}, nil
	case startNow:
		return h.newest(ctx, src)
	case startFragmentNumber:
		f, err := src.src.Fragment(ctx, src.stream, *ss.AfterFragmentNumber)
		if err != nil {
			return cursor{}, err
		}
		return after(f), nil
	case startContinuationToken:
		return h.fromToken(ctx, src, *ss.ContinuationToken)
	}
	return h.containing(ctx, src, *ss.StartSelectorType == startProducerTimestamp, ss.StartTimestamp.Time())
}

// newest starts with the stream's newest closed fragment.
func (h *Handler) newest(ctx context.Context, src fragmentSource) (cursor, error) {
	var newest time.Time
	last, ok, err := src.src.Library().Last(ctx, src.stream)
	if err != nil {
		return cursor{}, err
	}
	if ok {
		newest = last.ProducerTime
	}
	for _, lf := range src.src.Hub().View(src.stream).Fragments {
		if lf.Closed != nil && lf.Closed.ProducerStart.After(newest) {
			newest = lf.Closed.ProducerStart
		}
	}
	if newest.IsZero() {
		return cursor{producer: true, inclusive: true}, nil // nothing yet: the first fragment to come
	}
	return cursor{producer: true, t: newest, inclusive: true}, nil
}

// containing starts with the fragment that holds time t (on the producer
// or server clock), or the first one after t.
func (h *Handler) containing(ctx context.Context, src fragmentSource, producer bool, t time.Time) (cursor, error) {
	c := cursor{producer: producer, t: t, inclusive: true}
	sel := fragments.Selector{Producer: producer, Start: t.Add(-clipLookback)}
	err := src.src.Fragments(ctx, src.stream, sel, func(f playback.Fragment) bool {
		if c.of(f).Add(f.Duration).After(t) {
			c = cursor{producer: true, t: f.ProducerTime, inclusive: true}
			return false
		}
		return true
	})
	return c, err
}

// continuationToken names the position after a fragment: its fragment
// number, or "p" and its producer time in ns for a fragment of the live
// edge that has none (not archived yet, or a stream without retention).
func continuationToken(f playback.Fragment) string {
	if f.Number != "" {
		return f.Number
	}
	return "p" + strconv.FormatInt(f.ProducerTime.UnixNano(), 10)
}

// fromToken resumes after the fragment a continuation token names.
func (h *Handler) fromToken(ctx context.Context, src fragmentSource, tok string) (cursor, error) {
	if ns, ok := strings.CutPrefix(tok, "p"); ok {
		n, err := strconv.ParseInt(ns, 10, 64)
		if err != nil {
			return cursor{}, newError(errInvalid, "ContinuationToken %s is not a token of this server.", tok)
		}
		return cursor{producer: true, t: time.Unix(0, n).UTC()}, nil
	}
	if !allDigits(tok) {
		return cursor{}, newError(errInvalid, "ContinuationToken %s is not a token of this server.", tok)
	}
	f, err := src.src.Fragment(ctx, src.stream, tok)
	if err != nil {
		return cursor{}, fmt.Errorf("continuation token: %w", err)
	}
	return after(f), nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
