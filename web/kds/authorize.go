package kds

import (
	"context"
	"errors"
	"reflect"

	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/web/auth"
	"github.com/sluice-dev/sluice/web/awswire"
)

// Authorization happens here, once, on the decoded input: the members that
// name what a call acts on are read from the same struct the action is
// then given, so that what is authorized is what is served (a second
// reading of the body, in another encoding, once let any stream through).

// resourceMembers are the input members that name a stream, directly or
// through a consumer, a resource ARN, a shard iterator or a NextToken of
// ListShards / ListStreamConsumers (which carries its stream). Every input
// struct is searched for them when the action table is built, so a new
// action cannot forget one; TestResourceMembersCoverModel checks them
// against the API model's inputs.
var resourceMembers = []string{"StreamName", "StreamARN", "ConsumerARN", "ResourceARN", "ShardIterator", "NextToken"}

// named lists the resources a decoded input names: stream names and ARNs
// as given; the stream of a shard iterator or NextToken. A shard iterator
// that does not decode names an unknown stream ("?"), which only a key
// for every stream may use (the action then refuses the iterator).
func (h *Handler) named(ctx context.Context, in reflect.Value, rs awswire.Members) []string {
	var out []string
	rs.Each(in, func(member, v string) {
		switch member {
		case "ShardIterator":
			s, ok := streams.IteratorStream(v)
			if !ok {
				s = "?"
			}
			out = append(out, s)
		case "NextToken":
			if t, err := h.decodeToken(ctx, v); err == nil && t.Stream != "" {
				out = append(out, t.Stream)
			}
		default:
			out = append(out, v)
		}
	})
	return out
}

// authorize checks the caller's policy for the exchange's action on what
// in names, and marks the exchange authorized.
func (h *Handler) authorize(ctx context.Context, ex *exchange, in reflect.Value, rs awswire.Members) error {
	if h.cfg.Authorize != nil {
		if err := h.cfg.Authorize(ctx, "kinesis:"+ex.action, h.named(ctx, in, rs)...); err != nil {
			return err
		}
	}
	ex.authorized = true
	return nil
}

// allowed reports whether the caller may run the exchange's action on
// stream: lists show only such streams.
func (h *Handler) allowed(ctx context.Context, action, stream string) bool {
	return h.cfg.Authorize == nil || h.cfg.Authorize(ctx, "kinesis:"+action, stream) == nil
}

// deniedError is the wire form of a refusal by policy.
func deniedError(err error) (*apiError, bool) {
	var d *auth.DeniedError
	if !errors.As(err, &d) {
		return nil, false
	}
	return &apiError{Name: d.Name(), Status: auth.Status(d.Name(), false), Msg: d.Error()}, true
}
