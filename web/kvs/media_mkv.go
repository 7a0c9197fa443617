package kvs

import (
	"context"
	"fmt"
	"time"

	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/playback/remux"
)

// The Matroska tags of a fragment, as KVS names them.
const (
	tagFragmentNumber    = "AWS_KINESISVIDEO_FRAGMENT_NUMBER"
	tagServerTimestamp   = "AWS_KINESISVIDEO_SERVER_TIMESTAMP"
	tagProducerTimestamp = "AWS_KINESISVIDEO_PRODUCER_TIMESTAMP"
	tagMillisBehindNow   = "AWS_KINESISVIDEO_MILLIS_BEHIND_NOW"
	tagContinuationToken = "AWS_KINESISVIDEO_CONTINUATION_TOKEN"
)

const maxFragmentList = 1000 // the model's FragmentNumberList maximum

type getMediaForFragmentListInput struct {
	StreamName, StreamARN *string
	Fragments             []string
}

// getMediaForFragmentList streams the listed fragments as Matroska, in
// the order given (a number may repeat). Every number is looked up before
// anything is sent: an unknown one is ResourceNotFoundException.
func (h *Handler) getMediaForFragmentList(ctx context.Context, ex *exchange) error {
	var in getMediaForFragmentListInput
	if err := h.decode(ex, &in); err != nil {
		return err
	}
	var v violations
	v.str("streamName", in.StreamName, shapeStreamName)
	v.str("streamARN", in.StreamARN, shapeARN)
	v.required("fragments", in.Fragments != nil)
	if in.Fragments != nil {
		v.count("fragments", in.Fragments, len(in.Fragments), 1, maxFragmentList)
	}
	for i, n := range in.Fragments {
		v.str(fmt.Sprintf("fragments.%d.member", i+1), &n, shapeFragmentNumber)
	}
	if err := v.err(); err != nil {
		return err
	}
	s, err := h.resolve(ctx, in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	src := fragmentSource{src: h.cfg.Playback, stream: s.Name}
	frags := make([]playback.Fragment, len(in.Fragments))
	for i, n := range in.Fragments {
		if frags[i], err = src.src.Fragment(ctx, s.Name, n); err != nil {
			return err
		}
	}
	out := newMediaResponse(ex, contentMatroska)
	mkv := remux.NewMatroska(out)
	for _, f := range frags {
		init, media, err := src.read(ctx, f)
		if err == nil {
			err = mkv.WriteFragment(init, media, f.ProducerTime, fragmentTags(f))
		}
		if err != nil {
			return abortStream(ex, err)
		}
		out.Flush()
	}
	return nil
}

// fragmentTags are the tags KVS puts on every fragment it returns.
func fragmentTags(f playback.Fragment) []remux.Tag {
	var tags []remux.Tag
	if f.Number != "" {
		tags = append(tags, remux.Tag{Name: tagFragmentNumber, Value: f.Number})
	}
	return append(tags,
		remux.Tag{Name: tagServerTimestamp, Value: tagTime(f.ServerTime)},
		remux.Tag{Name: tagProducerTimestamp, Value: tagTime(f.ProducerTime)},
	)
}

// tagTime writes a time as KVS's tags do: epoch seconds with milliseconds.
func tagTime(t time.Time) string {
	ms := t.UnixMilli()
	return fmt.Sprintf("%d.%03d", ms/1000, ms%1000)
}
