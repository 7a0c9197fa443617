package kvs

import (
	"context"
	"net/http"
	"time"

	"github.com/sluice-dev/sluice/fragments"
)

const (
	defaultListFragments = 100
	maxListFragments     = 1000
	selectorServer       = "SERVER_TIMESTAMP"
	selectorProducer     = "PRODUCER_TIMESTAMP"
)

type listFragmentsInput struct {
	StreamName, StreamARN *string
	MaxResults            *int64
	NextToken             *string
	FragmentSelector      *struct {
		FragmentSelectorType *string
		TimestampRange       *struct {
			StartTimestamp, EndTimestamp *epochTime
		}
	}
}

type fragment struct {
	FragmentNumber               string
	FragmentSizeInBytes          int64
	ProducerTimestamp            epochTime
	ServerTimestamp              epochTime
	FragmentLengthInMilliseconds int64
}

type listFragmentsOutput struct {
	Fragments []fragment
	NextToken string `json:",omitempty"`
}

// listFragmentsToken resumes a listing right after fragment After (a
// direct read from that position in the index, no search). AfterNS, its
// selected timestamp, belongs to token version 1 and is not needed to
// resume. It holds the selector, so later pages ignore the request's,
// and the stream incarnation (creation time), so a token does not outlive
// its stream.
type listFragmentsToken struct {
	tokenHead
	Stream    string `json:"stream"`
	CreatedMS int64  `json:"created_ms"`
	Producer  bool   `json:"producer,omitempty"`
	StartNS   int64  `json:"start_ns,omitempty"` // 0: from the oldest
	EndNS     int64  `json:"end_ns,omitempty"`   // 0: to the newest
	After     string `json:"after"`
	AfterNS   int64  `json:"after_ns"`
}

// listFragments lists a stream's archived fragments whose start time (by
// server or producer clock) is within the selector's range, both ends
// included, in time order (which is fragment number order). Without a
// selector it lists them all.
func (h *Handler) listFragments(ctx context.Context, _ *http.Request, in *listFragmentsInput) (*listFragmentsOutput, error) {
	var v violations
	v.str("streamName", in.StreamName, shapeStreamName)
	v.str("streamARN", in.StreamARN, shapeARN)
	v.num("maxResults", in.MaxResults, 1, maxListFragments)
	v.str("nextToken", in.NextToken, shapeFragmentToken)
	if fs := in.FragmentSelector; fs != nil {
		v.required("fragmentSelector.fragmentSelectorType", fs.FragmentSelectorType != nil)
		v.enum("fragmentSelector.fragmentSelectorType", fs.FragmentSelectorType, selectorProducer, selectorServer)
		v.required("fragmentSelector.timestampRange", fs.TimestampRange != nil)
		if tr := fs.TimestampRange; tr != nil {
			v.required("fragmentSelector.timestampRange.startTimestamp", tr.StartTimestamp != nil)
			v.required("fragmentSelector.timestampRange.endTimestamp", tr.EndTimestamp != nil)
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	s, err := h.resolve(ctx, in.StreamName, in.StreamARN)
	if err != nil {
		return nil, err
	}
	tok, err := h.fragmentsToken(ctx, s, in)
	if err != nil {
		return nil, err
	}
	limit := defaultListFragments
	if in.MaxResults != nil {
		limit = int(*in.MaxResults)
	}

	sel := fragments.Selector{Producer: tok.Producer, Start: fromNS(tok.StartNS), End: fromNS(tok.EndNS), After: tok.After}
	out := &listFragmentsOutput{Fragments: make([]fragment, 0, min(limit, 64))}
	var last fragments.Info
	err = h.lib.Fragments(ctx, s.Name, sel, func(f fragments.Info) bool {
		if len(out.Fragments) == limit {
			tok.After, tok.AfterNS = last.Number, selected(sel, last).UnixNano()
			out.NextToken = h.encodeToken(ctx, "ListFragments", &tok)
			return false
		}
		out.Fragments = append(out.Fragments, toFragment(f))
		last = f
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// fragmentsToken returns the request's NextToken, checked against the
// stream, or else a fresh one from its selector.
func (h *Handler) fragmentsToken(ctx context.Context, s fragments.Stream, in *listFragmentsInput) (listFragmentsToken, error) {
	tok := listFragmentsToken{Stream: s.Name, CreatedMS: s.CreationTime.UnixMilli()}
	if in.NextToken != nil {
		var got listFragmentsToken
		if err := h.decodeToken(ctx, "ListFragments", *in.NextToken, &got); err != nil {
			return tok, err
		}
		if got.Stream != tok.Stream || got.CreatedMS != tok.CreatedMS || got.After == "" {
			return tok, newError(errInvalid, "NextToken is not a token of a listing of stream %s.", s.Name)
		}
		return got, nil
	}
	fs := in.FragmentSelector
	if fs == nil {
		return tok, nil
	}
	start, end := fs.TimestampRange.StartTimestamp.Time(), fs.TimestampRange.EndTimestamp.Time()
	if start.After(end) {
		return tok, newError(errInvalid, "The StartTimestamp of the TimestampRange must not be after its EndTimestamp.")
	}
	tok.Producer = *fs.FragmentSelectorType == selectorProducer
	tok.StartNS, tok.EndNS = nsOrZero(start), nsOrZero(end)
	return tok, nil
}

func toFragment(f fragments.Info) fragment {
	return fragment{
		FragmentNumber:               f.Number,
		FragmentSizeInBytes:          f.Size,
		ProducerTimestamp:            epochTime(f.ProducerTime),
		ServerTimestamp:              epochTime(f.ServerTime),
		FragmentLengthInMilliseconds: f.Duration.Milliseconds(),
	}
}

// selected is the fragment's time that the selector compares.
func selected(sel fragments.Selector, f fragments.Info) time.Time {
	if sel.Producer {
		return f.ProducerTime
	}
	return f.ServerTime
}

// nsOrZero maps the epoch itself to 1 ns after it, since 0 means "no
// bound" in a token; a fragment at exactly 0 ns after the epoch does not
// occur.
func nsOrZero(t time.Time) int64 {
	if ns := t.UnixNano(); ns != 0 {
		return ns
	}
	return 1
}

func fromNS(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}
