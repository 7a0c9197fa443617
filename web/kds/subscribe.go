package kds

import (
	"context"
	"net/http"
	"strings"

	"github.com/sluice-dev/sluice/streams"
)

// SubscribeToShard.

type startingPosition struct {
	Type           *string    `json:"Type"`
	SequenceNumber *string    `json:"SequenceNumber"`
	Timestamp      *epochTime `json:"Timestamp"`
}

type subscribeInput struct {
	ConsumerARN      *string           `json:"ConsumerARN"`
	ShardID          *string           `json:"ShardId"`
	StartingPosition *startingPosition `json:"StartingPosition"`
}

func (in *subscribeInput) validate(v *validator) {
	v.reqStr("consumerARN", in.ConsumerARN, consumerARNRule)
	v.reqStr("shardId", in.ShardID, shardIDRule)
	if v.required("startingPosition", in.StartingPosition != nil) {
		v.reqStr("startingPosition.type", in.StartingPosition.Type, iteratorTypeRule)
		v.str("startingPosition.sequenceNumber", in.StartingPosition.SequenceNumber, seqNumberRule)
	}
}

// subscribeEvent is the payload of a SubscribeToShardEvent message.
type subscribeEvent struct {
	Records                    []recordOut     `json:"Records"`
	ContinuationSequenceNumber string          `json:"ContinuationSequenceNumber,omitempty"`
	MillisBehindLatest         int64           `json:"MillisBehindLatest"`
	ChildShards                []childShardOut `json:"ChildShards,omitempty"`
}

// subscribeToShard claims the (consumer, shard) pair on the core, then
// streams its events until the subscription ends (its lifetime passes, the
// shard's end has been delivered, the consumer is deregistered), the
// client goes away or the Handler is closed.
func (h *Handler) subscribeToShard(ctx context.Context, ex *exchange, in *subscribeInput) error {
	p := in.StartingPosition
	pos := streams.StartingPosition{Type: streams.IteratorType(*p.Type), SequenceNumber: deref(p.SequenceNumber)}
	if p.Timestamp != nil {
		pos.Timestamp = p.Timestamp.Time()
	}
	if err := h.checkStartingPosition(pos.Type, p.SequenceNumber, p.Timestamp); err != nil {
		return err
	}
	done, ok := h.track()
	if !ok {
		return newError(errUnavailable, "The server is shutting down; subscribe again.")
	}
	defer done()
	sub, err := h.core.SubscribeToShard(ctx, *in.ConsumerARN, *in.ShardID, pos)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(h.ctx, cancel)()
	h.m.subscriptions.Inc()
	defer h.m.subscriptions.Dec()

	stream := streamOfConsumerARN(*in.ConsumerARN)
	es := newEventWriter(ex)
	ex.streamed = true
	es.start()
	if err := es.event("initial-response", noOutput{}); err != nil {
		cancel() // Run must still run once, to release the claim
	}
	err = sub.Run(ctx, func(ev streams.ShardEvent) error {
		records, n := toRecordsOut(ev.Records)
		if err := es.event("SubscribeToShardEvent", subscribeEvent{
			Records:                    records,
			ContinuationSequenceNumber: ev.ContinuationSequenceNumber,
			MillisBehindLatest:         ev.MillisBehindLatest,
			ChildShards:                toChildShards(ev.ChildShards),
		}); err != nil {
			return err
		}
		h.m.read(stream, len(records), n)
		return nil
	})
	if err == nil || es.err != nil || ctx.Err() != nil {
		return nil // ended, or the client or the server went away
	}
	ae := toAPIError(err)
	if ae.Name != errNotFound && ae.Name != errInUse {
		// Inside the event stream only the exceptions of the model's
		// SubscribeToShardEventStream may come; the cause is logged, not sent.
		h.log.Warn("subscription failed", "consumer", *in.ConsumerARN, "shard", *in.ShardID, "err", err)
		ae = &apiError{Name: errInternalFailureEvent, Status: http.StatusInternalServerError, Msg: "Internal service failure."}
	}
	_ = es.exception(ae)
	return ae
}

// track counts a running event stream; ok is false once Close has begun.
func (h *Handler) track() (done func(), ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, false
	}
	h.subs.Add(1)
	return h.subs.Done, true
}

// streamOfConsumerARN returns the stream name inside a consumer ARN
// (".../stream/<name>/consumer/<consumer>:<created>").
func streamOfConsumerARN(arn string) string {
	_, rest, ok := strings.Cut(arn, ":stream/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/consumer/")
	return name
}
