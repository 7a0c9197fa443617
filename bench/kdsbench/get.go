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

// getResult holds the figures of the GetRecords phase.
type getResult struct {
	Elapsed    time.Duration
	Calls      int64
	Throttled  int64            // calls answered with a throttling error (retried after 50 ms)
	Errors     int64            // other failed calls (retried after 50 ms, at most 10 in a row)
	ErrorCodes map[string]int64 // tallies of throttles and errors
	Read       int64            // all records read, of any run
	Bytes      int64            // payload bytes of all records read
	Matched    int64            // records put by this run's put phase
	ShardErrs  []string         // shards whose read was abandoned, and why
	Latency    summary          // GetRecords call latency
}

// maxEmptyBehind bounds how many empty answers in a row a reader accepts
// while the server says it is still behind (MillisBehindLatest > 0).
const maxEmptyBehind = 50

// runGet reads every shard from TRIM_HORIZON to its end, one reader per
// shard, concurrently. A shard is done when an answer is empty and
// MillisBehindLatest is 0 or absent, or when the shard is closed.
func runGet(ctx context.Context, cfg *config, cl *clients, shards []shard, marker uint64) getResult {
	var (
		calls, throttled, errs, read, bytes, matched atomic.Int64
		codes                                        counts
		lat                                          = newSampler(100000)
		mu                                           sync.Mutex
		shardErrs                                    []string
		wg                                           sync.WaitGroup
	)
	start := time.Now()
	for _, sh := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := func() error {
				it, err := cl.control.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
					StreamName:        aws.String(cfg.Stream),
					ShardId:           aws.String(sh.ID),
					ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
				})
				if err != nil {
					return fmt.Errorf("GetShardIterator: %w", err)
				}
				iter := it.ShardIterator
				emptyBehind, errRun := 0, 0
				for iter != nil {
					if err := ctx.Err(); err != nil {
						return err
					}
					t0 := time.Now()
					out, err := cl.data.GetRecords(ctx, &kinesis.GetRecordsInput{
						ShardIterator: iter,
						Limit:         aws.Int32(int32(cfg.GetLimit)),
					})
					lat.add(time.Since(t0))
					calls.Add(1)
					if err != nil {
						codes.add(errorCode(err), 1)
						if isThrottle(err) {
							throttled.Add(1)
						} else {
							errs.Add(1)
							if errRun++; errRun > 10 {
								return fmt.Errorf("GetRecords: 10 errors in a row, last: %w", err)
							}
						}
						time.Sleep(50 * time.Millisecond)
						continue
					}
					errRun = 0
					for _, rec := range out.Records {
						read.Add(1)
						bytes.Add(int64(len(rec.Data)))
						if h, ok := decodeHeader(rec.Data); ok && h.Marker == marker && h.Kind == kindPut {
							matched.Add(1)
						}
					}
					if len(out.Records) == 0 {
						if aws.ToInt64(out.MillisBehindLatest) == 0 {
							return nil
						}
						if emptyBehind++; emptyBehind > maxEmptyBehind {
							return fmt.Errorf("%d empty answers in a row while MillisBehindLatest=%d", emptyBehind, aws.ToInt64(out.MillisBehindLatest))
						}
					} else {
						emptyBehind = 0
					}
					iter = out.NextShardIterator
				}
				return nil
			}()
			if err != nil {
				mu.Lock()
				shardErrs = append(shardErrs, fmt.Sprintf("%s: %v", sh.ID, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return getResult{
		Elapsed:    time.Since(start),
		Calls:      calls.Load(),
		Throttled:  throttled.Load(),
		Errors:     errs.Load(),
		ErrorCodes: codes.snapshot(),
		Read:       read.Load(),
		Bytes:      bytes.Load(),
		Matched:    matched.Load(),
		ShardErrs:  shardErrs,
		Latency:    lat.summary(),
	}
}
