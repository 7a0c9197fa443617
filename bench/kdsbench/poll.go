package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// maxPollErrors bounds the errors in a row one poller accepts.
const maxPollErrors = 100

// pollSession is one GetRecords poller per shard, each started from LATEST.
type pollSession struct {
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	calls     atomic.Int64
	throttled atomic.Int64
	errors    atomic.Int64
	errMu     sync.Mutex
	errs      []string
}

// startPoll takes a LATEST iterator for every shard (before returning, so
// that every record put afterwards will be seen) and starts the pollers.
// After an empty answer a poller sleeps pollSleep (0: polls again at once).
func startPoll(ctx context.Context, cl *clients, stream string, shards []shard, getLimit int, pollSleep time.Duration, col *collector) (*pollSession, error) {
	iters := make([]*string, len(shards))
	for i, sh := range shards {
		out, err := cl.control.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
			StreamName:        aws.String(stream),
			ShardId:           aws.String(sh.ID),
			ShardIteratorType: types.ShardIteratorTypeLatest,
		})
		if err != nil {
			return nil, fmt.Errorf("GetShardIterator %s LATEST: %w", sh.ID, err)
		}
		iters[i] = out.ShardIterator
	}
	pctx, cancel := context.WithCancel(ctx)
	p := &pollSession{cancel: cancel}
	for i, sh := range shards {
		p.wg.Add(1)
		go p.poll(pctx, cl.data, sh.ID, iters[i], getLimit, pollSleep, col)
	}
	return p, nil
}

func (p *pollSession) poll(ctx context.Context, c *kinesis.Client, shardID string, iter *string, limit int, sleep time.Duration, col *collector) {
	defer p.wg.Done()
	errRun := 0
	for iter != nil && ctx.Err() == nil {
		out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{
			ShardIterator: iter,
			Limit:         aws.Int32(int32(limit)),
		})
		now := time.Now()
		p.calls.Add(1)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if isThrottle(err) {
				p.throttled.Add(1)
			} else {
				p.errors.Add(1)
				if errRun++; errRun > maxPollErrors {
					p.addErr(fmt.Sprintf("%s: %d errors in a row, last: %v", shardID, errRun, err))
					return
				}
			}
			sleepCtx(ctx, 10*time.Millisecond)
			continue
		}
		errRun = 0
		for _, r := range out.Records {
			col.handle(r.Data, now)
		}
		iter = out.NextShardIterator
		if len(out.Records) == 0 && sleep > 0 {
			sleepCtx(ctx, sleep)
		}
	}
}

func (p *pollSession) addErr(msg string) {
	p.errMu.Lock()
	defer p.errMu.Unlock()
	p.errs = append(p.errs, msg)
}

// stop cancels the pollers and waits for them.
func (p *pollSession) stop() {
	p.cancel()
	p.wg.Wait()
}

func (p *pollSession) problems() []string {
	p.errMu.Lock()
	defer p.errMu.Unlock()
	return append([]string(nil), p.errs...)
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
