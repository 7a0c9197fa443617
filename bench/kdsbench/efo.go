package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// maxResubscribes bounds how often one shard's subscription is renewed after
// the server ended it (AWS ends each after 5 minutes).
const maxResubscribes = 20

// efoSession is an enhanced fan-out consumer subscribed to every shard.
// stop ends the subscriptions, waits for their goroutines and deregisters
// the consumer.
type efoSession struct {
	cl          *clients
	subscribe   subscribeFunc
	consumerARN string
	cancel      context.CancelFunc
	wg          sync.WaitGroup
	errMu       sync.Mutex
	errs        []string
}

// startEFO registers consumer name on the stream, waits until it is ACTIVE
// and subscribes to every shard from LATEST. An error means the endpoint
// does not (fully) support enhanced fan-out; nothing is left behind then.
func startEFO(ctx context.Context, cl *clients, subscribe subscribeFunc, streamARN, name string, shards []shard, col *collector) (*efoSession, error) {
	if streamARN == "" {
		return nil, fmt.Errorf("DescribeStream returned no StreamARN")
	}
	reg, err := cl.control.RegisterStreamConsumer(ctx, &kinesis.RegisterStreamConsumerInput{
		StreamARN:    aws.String(streamARN),
		ConsumerName: aws.String(name),
	})
	if err != nil {
		return nil, fmt.Errorf("RegisterStreamConsumer: %w", err)
	}
	if reg.Consumer == nil || reg.Consumer.ConsumerARN == nil {
		return nil, fmt.Errorf("RegisterStreamConsumer returned no ConsumerARN")
	}
	sctx, cancel := context.WithCancel(ctx)
	s := &efoSession{cl: cl, subscribe: subscribe, consumerARN: *reg.Consumer.ConsumerARN, cancel: cancel}
	if err := s.waitActive(sctx, 60*time.Second); err != nil {
		s.stop()
		return nil, err
	}
	for _, sh := range shards {
		sub, err := subscribe(sctx, s.consumerARN, sh.ID, &types.StartingPosition{Type: types.ShardIteratorTypeLatest})
		if err != nil {
			s.stop()
			return nil, fmt.Errorf("SubscribeToShard %s: %w", sh.ID, err)
		}
		s.wg.Add(1)
		go s.read(sctx, sh.ID, sub, col)
	}
	return s, nil
}

func (s *efoSession) waitActive(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		out, err := s.cl.control.DescribeStreamConsumer(ctx, &kinesis.DescribeStreamConsumerInput{
			ConsumerARN: aws.String(s.consumerARN),
		})
		if err != nil {
			return fmt.Errorf("DescribeStreamConsumer: %w", err)
		}
		if d := out.ConsumerDescription; d != nil && d.ConsumerStatus == types.ConsumerStatusActive {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("consumer not ACTIVE: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// read drains one shard's subscription, renewing it from the last
// continuation sequence number when the server ends it, until ctx ends.
func (s *efoSession) read(ctx context.Context, shardID string, sub subscription, col *collector) {
	defer s.wg.Done()
	var cont *string
	for attempt := 0; ; attempt++ {
		var err error
		for {
			var data [][]byte
			var c *string
			data, c, err = sub.next()
			if err != nil {
				break
			}
			now := time.Now()
			for _, d := range data {
				col.handle(d, now)
			}
			if c != nil {
				cont = c
			}
		}
		sub.close()
		if ctx.Err() != nil {
			return
		}
		if !errors.Is(err, io.EOF) {
			s.addErr(fmt.Sprintf("%s: subscription ended: %v", shardID, err))
		}
		if attempt >= maxResubscribes {
			s.addErr(fmt.Sprintf("%s: gave up after %d subscriptions", shardID, attempt+1))
			return
		}
		pos := &types.StartingPosition{Type: types.ShardIteratorTypeLatest}
		if cont != nil {
			pos = &types.StartingPosition{Type: types.ShardIteratorTypeAfterSequenceNumber, SequenceNumber: cont}
		}
		sub, err = s.subscribe(ctx, s.consumerARN, shardID, pos)
		if err != nil {
			if ctx.Err() == nil {
				s.addErr(fmt.Sprintf("%s: resubscribe: %v", shardID, err))
			}
			return
		}
	}
}

func (s *efoSession) addErr(msg string) {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	if len(s.errs) < 20 {
		s.errs = append(s.errs, msg)
	}
}

// stop cancels the subscriptions, waits for their readers and deregisters
// the consumer (best effort, 10 s).
func (s *efoSession) stop() {
	s.cancel()
	s.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = s.cl.control.DeregisterStreamConsumer(ctx, &kinesis.DeregisterStreamConsumerInput{
		ConsumerARN: aws.String(s.consumerARN),
	})
}

// problems returns the subscription errors seen so far.
func (s *efoSession) problems() []string {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return append([]string(nil), s.errs...)
}
