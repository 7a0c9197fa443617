package kds

import (
	"context"
	"reflect"

	"github.com/sluice-dev/sluice/web/awswire"
)

// action is one API call: run decodes, authorizes and serves it on a raw
// request body and returns the output shape to encode (or sets
// exchange.streamed and writes it itself); input is its input struct
// type, whose resource members are authorized.
type action struct {
	run   func(ctx context.Context, ex *exchange, body []byte) (any, error)
	input reflect.Type
}

// noOutput is the output of actions without one: an empty body (in an
// event stream, an empty object).
type noOutput struct{}

// op adapts a typed action: decode the body into a fresh input, check it
// against the model, run fn.
func op[T any, PT interface {
	*T
	validatable
}, Out any](fn func(context.Context, PT) (Out, error)) action {
	rs := awswire.FindMembers(reflect.TypeFor[T](), resourceMembers...)
	return action{input: reflect.TypeFor[T](), run: func(ctx context.Context, ex *exchange, body []byte) (any, error) {
		in, err := decodeInput[T, PT](ctx, ex, body, rs)
		if err != nil {
			return nil, err
		}
		return fn(ctx, in)
	}}
}

// streamOp adapts an action that writes its own response (an event
// stream). Until it sets exchange.streamed, its errors are ordinary error
// responses.
func streamOp[T any, PT interface {
	*T
	validatable
}](fn func(context.Context, *exchange, PT) error) action {
	rs := awswire.FindMembers(reflect.TypeFor[T](), resourceMembers...)
	return action{input: reflect.TypeFor[T](), run: func(ctx context.Context, ex *exchange, body []byte) (any, error) {
		in, err := decodeInput[T, PT](ctx, ex, body, rs)
		if err != nil {
			return nil, err
		}
		return nil, fn(ctx, ex, in)
	}}
}

// decodeInput decodes the body into a fresh input, checks it against the
// model and authorizes the caller for what it names (rs): the action gets
// exactly the input that was authorized.
func decodeInput[T any, PT interface {
	*T
	validatable
}](ctx context.Context, ex *exchange, body []byte, rs awswire.Members) (PT, error) {
	in := PT(new(T))
	if err := ex.codec.decode(body, in); err != nil {
		return nil, err
	}
	var v validator
	in.validate(&v)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := ex.h.authorize(ctx, ex, reflect.ValueOf(in).Elem(), rs); err != nil {
		return nil, err
	}
	return in, nil
}

// actionTable lists every action of the API this Handler serves.
func (h *Handler) actionTable() map[string]action {
	return map[string]action{
		"CreateStream":                  op(h.createStream),
		"DeleteStream":                  op(h.deleteStream),
		"DescribeStream":                op(h.describeStream),
		"DescribeStreamSummary":         op(h.describeStreamSummary),
		"ListStreams":                   op(h.listStreams),
		"DescribeLimits":                op(h.describeLimits),
		"ListShards":                    op(h.listShards),
		"SplitShard":                    op(h.splitShard),
		"MergeShards":                   op(h.mergeShards),
		"UpdateShardCount":              op(h.updateShardCount),
		"PutRecord":                     op(h.putRecord),
		"PutRecords":                    op(h.putRecords),
		"GetShardIterator":              op(h.getShardIterator),
		"GetRecords":                    op(h.getRecords),
		"UpdateStreamMode":              op(h.updateStreamMode),
		"IncreaseStreamRetentionPeriod": op(h.increaseRetention),
		"DecreaseStreamRetentionPeriod": op(h.decreaseRetention),
		"StartStreamEncryption":         op(h.startEncryption),
		"StopStreamEncryption":          op(h.stopEncryption),
		"EnableEnhancedMonitoring":      op(h.enableMonitoring),
		"DisableEnhancedMonitoring":     op(h.disableMonitoring),
		"AddTagsToStream":               op(h.addTagsToStream),
		"RemoveTagsFromStream":          op(h.removeTagsFromStream),
		"ListTagsForStream":             op(h.listTagsForStream),
		"TagResource":                   op(h.tagResource),
		"UntagResource":                 op(h.untagResource),
		"ListTagsForResource":           op(h.listTagsForResource),
		"RegisterStreamConsumer":        op(h.registerConsumer),
		"DescribeStreamConsumer":        op(h.describeConsumer),
		"ListStreamConsumers":           op(h.listConsumers),
		"DeregisterStreamConsumer":      op(h.deregisterConsumer),
		"SubscribeToShard":              streamOp(h.subscribeToShard),
	}
}
