package main

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// EFO client choices accepted by --efo-client.
const (
	efoClientSDK = "sdk" // the SDK's SubscribeToShard (needs the initial-response event AWS sends)
	efoClientRaw = "raw" // kdsbench's own event-stream reader (tolerates its absence)
)

// subscription is one open SubscribeToShard event stream.
type subscription interface {
	// next blocks until the next SubscribeToShardEvent and returns its
	// records' data and continuation sequence number; io.EOF when the
	// server ended the stream cleanly.
	next() (data [][]byte, cont *string, err error)
	// close releases the stream; safe to call more than once.
	close()
}

// subscribeFunc opens a subscription to one shard from pos.
type subscribeFunc func(ctx context.Context, consumerARN, shardID string, pos *types.StartingPosition) (subscription, error)

// sdkSubscribe opens a subscription with the SDK's SubscribeToShard.
func sdkSubscribe(c *kinesis.Client) subscribeFunc {
	return func(ctx context.Context, consumerARN, shardID string, pos *types.StartingPosition) (subscription, error) {
		out, err := c.SubscribeToShard(ctx, &kinesis.SubscribeToShardInput{
			ConsumerARN:      aws.String(consumerARN),
			ShardId:          aws.String(shardID),
			StartingPosition: pos,
		})
		if err != nil {
			return nil, err
		}
		return &sdkSubscription{stream: out.GetStream()}, nil
	}
}

type sdkSubscription struct {
	stream *kinesis.SubscribeToShardEventStream
}

func (s *sdkSubscription) next() ([][]byte, *string, error) {
	for ev := range s.stream.Events() {
		e, ok := ev.(*types.SubscribeToShardEventStreamMemberSubscribeToShardEvent)
		if !ok {
			continue
		}
		data := make([][]byte, len(e.Value.Records))
		for i, r := range e.Value.Records {
			data[i] = r.Data
		}
		return data, e.Value.ContinuationSequenceNumber, nil
	}
	if err := s.stream.Err(); err != nil {
		return nil, nil, err
	}
	return nil, nil, io.EOF
}

func (s *sdkSubscription) close() { _ = s.stream.Close() }

// subscriberFor returns the subscribe function for an --efo-client value.
func subscriberFor(cl *clients, which string) (subscribeFunc, error) {
	switch which {
	case efoClientSDK:
		return sdkSubscribe(cl.control), nil
	case efoClientRaw:
		return rawSubscribe(cl), nil
	}
	return nil, fmt.Errorf("unknown EFO client %q", which)
}
