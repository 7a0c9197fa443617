package kds

import (
	"context"
	"slices"
	"strings"

	"github.com/sluice-dev/sluice/streams"
)

// RegisterStreamConsumer, DescribeStreamConsumer, ListStreamConsumers,
// DeregisterStreamConsumer.

// listConsumersLimit is how many consumers ListStreamConsumers returns at
// most (and by default), as Kinesis documents.
const listConsumersLimit = 100

type registerConsumerInput struct {
	StreamARN    *string           `json:"StreamARN"`
	ConsumerName *string           `json:"ConsumerName"`
	Tags         map[string]string `json:"Tags"`
}

func (in *registerConsumerInput) validate(v *validator) {
	v.reqStr("streamARN", in.StreamARN, streamARNRule)
	v.reqStr("consumerName", in.ConsumerName, consumerNameRule)
	v.tagMap("tags", in.Tags, false)
}

type registerConsumerOutput struct {
	Consumer consumerOut `json:"Consumer"`
}

func (h *Handler) registerConsumer(ctx context.Context, in *registerConsumerInput) (registerConsumerOutput, error) {
	name, err := h.nameFromARN(*in.StreamARN)
	if err != nil {
		return registerConsumerOutput{}, err
	}
	if in.Tags != nil {
		return registerConsumerOutput{}, newError(errInvalid, "Tags on consumers are not supported; register the consumer without Tags.")
	}
	c, err := h.core.RegisterConsumer(ctx, name, *in.ConsumerName)
	if err != nil {
		return registerConsumerOutput{}, err
	}
	return registerConsumerOutput{Consumer: toConsumerOut(c)}, nil
}

// consumerRef names a consumer by ARN, or by stream ARN and name.
type consumerRef struct {
	StreamARN    *string `json:"StreamARN"`
	ConsumerName *string `json:"ConsumerName"`
	ConsumerARN  *string `json:"ConsumerARN"`
}

func (in *consumerRef) validate(v *validator) {
	v.str("streamARN", in.StreamARN, streamARNRule)
	v.str("consumerName", in.ConsumerName, consumerNameRule)
	v.str("consumerARN", in.ConsumerARN, consumerARNRule)
}

// resolve returns the arguments the core's consumer calls take.
func (h *Handler) resolveConsumer(in *consumerRef) (stream, name, arn string, err error) {
	if in.ConsumerARN != nil {
		return "", "", *in.ConsumerARN, nil
	}
	if in.StreamARN == nil || in.ConsumerName == nil {
		return "", "", "", newError(errInvalid, "Either ConsumerARN or both StreamARN and ConsumerName must be provided.")
	}
	stream, err = h.nameFromARN(*in.StreamARN)
	return stream, *in.ConsumerName, "", err
}

type describeConsumerOutput struct {
	ConsumerDescription consumerDescription `json:"ConsumerDescription"`
}

func (h *Handler) describeConsumer(ctx context.Context, in *consumerRef) (describeConsumerOutput, error) {
	stream, name, arn, err := h.resolveConsumer(in)
	if err != nil {
		return describeConsumerOutput{}, err
	}
	c, err := h.core.DescribeConsumer(ctx, stream, name, arn)
	if err != nil {
		return describeConsumerOutput{}, err
	}
	return describeConsumerOutput{ConsumerDescription: consumerDescription{
		ConsumerName:              c.Name,
		ConsumerARN:               c.ARN,
		ConsumerStatus:            c.Status,
		ConsumerCreationTimestamp: epochTime(c.CreatedAt),
		StreamARN:                 c.StreamARN,
	}}, nil
}

func (h *Handler) deregisterConsumer(ctx context.Context, in *consumerRef) (noOutput, error) {
	stream, name, arn, err := h.resolveConsumer(in)
	if err != nil {
		return noOutput{}, err
	}
	return noOutput{}, h.core.DeregisterConsumer(ctx, stream, name, arn)
}

type listConsumersInput struct {
	StreamARN               *string    `json:"StreamARN"`
	NextToken               *string    `json:"NextToken"`
	MaxResults              *int       `json:"MaxResults"`
	StreamCreationTimestamp *epochTime `json:"StreamCreationTimestamp"`
}

func (in *listConsumersInput) validate(v *validator) {
	v.reqStr("streamARN", in.StreamARN, streamARNRule)
	v.str("nextToken", in.NextToken, nextTokenRule)
	v.intRange("maxResults", in.MaxResults, bound(1), bound(10000))
}

type listConsumersOutput struct {
	Consumers []consumerOut `json:"Consumers"`
	NextToken *string       `json:"NextToken,omitempty"`
}

func (h *Handler) listConsumers(ctx context.Context, in *listConsumersInput) (listConsumersOutput, error) {
	name, err := h.nameFromARN(*in.StreamARN)
	if err != nil {
		return listConsumersOutput{}, err
	}
	var t pageToken
	if in.NextToken != nil {
		if t, err = h.decodeToken(ctx, *in.NextToken); err != nil {
			return listConsumersOutput{}, err
		}
		if t.Stream != name {
			return listConsumersOutput{}, newError(errInvalid, "NextToken was issued for another stream.")
		}
	}
	s, err := h.core.DescribeStream(ctx, name)
	if err != nil {
		return listConsumersOutput{}, err
	}
	if in.StreamCreationTimestamp != nil && in.StreamCreationTimestamp.Time().Unix() != s.CreatedAt.Unix() ||
		t.Created != 0 && t.Created != s.CreatedAt.UnixMilli() {
		return listConsumersOutput{}, newError(errNotFound, "Stream %s under account %s not found.", name, accountOf(s.ARN))
	}
	limit := min(deref(in.MaxResults), listConsumersLimit)
	if limit == 0 {
		limit = listConsumersLimit
	}
	out := listConsumersOutput{Consumers: []consumerOut{}}
	more := false
	consumers := slices.SortedFunc(slices.Values(s.Consumers), func(a, b streams.Consumer) int { return strings.Compare(a.Name, b.Name) })
	for _, c := range consumers {
		if c.Name <= t.After {
			continue
		}
		if len(out.Consumers) == limit {
			more = true
			break
		}
		out.Consumers = append(out.Consumers, toConsumerOut(c))
	}
	if more {
		out.NextToken = h.encodeToken(ctx, pageToken{Stream: name, Created: s.CreatedAt.UnixMilli(), After: out.Consumers[len(out.Consumers)-1].ConsumerName})
	}
	return out, nil
}
