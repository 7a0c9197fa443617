package main

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// putResult holds the figures of the PutRecords phase.
type putResult struct {
	Elapsed     time.Duration
	Calls       int64            // PutRecords calls made
	CallErrors  int64            // calls that returned an error (all their records count as failed)
	Sent        int64            // records in all calls
	Acked       int64            // records acknowledged (no ErrorCode)
	Unknown     int64            // records of calls lost in transport: stored or not, the client cannot know
	Failed      int64            // FailedRecordCount summed, plus records of failed calls
	RecordCodes map[string]int64 // per-record ErrorCode tallies
	CallCodes   map[string]int64 // per-call error tallies
	FirstError  string           // text of the first call error, if any
	Latency     summary          // PutRecords call latency
}

// payloadPool is how many distinct payloads each producer cycles through;
// generating fresh random bytes per record would cost client CPU that the
// server on the same machine would miss.
const payloadPool = 1024

// runPut runs the producers until the duration has passed or the record
// budget is spent, whichever comes first. Calls in flight at the end are
// allowed to finish and are counted.
func runPut(ctx context.Context, cfg *config, c *kinesis.Client, marker uint64) putResult {
	budget := cfg.MaxRecords
	if cfg.Records > 0 {
		budget = cfg.Records
	}
	var deadline time.Time
	if cfg.Records == 0 {
		deadline = time.Now().Add(cfg.Duration)
	}

	var (
		claimed, sent, acked, failed, unknown, calls, callErrs atomic.Int64
		recordCodes, callCodes                                 counts
		firstErr                                               atomic.Pointer[string]
		lat                                                    = newSampler(100000)
		wg                                                     sync.WaitGroup
	)
	start := time.Now()
	for p := 0; p < cfg.Producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
			pool := make([][]byte, payloadPool)
			for i := range pool {
				pool[i] = newPayload(r, cfg.RecordSize, header{Marker: marker, Kind: kindPut})
			}
			entries := make([]types.PutRecordsRequestEntry, cfg.Batch)
			for ctx.Err() == nil && (deadline.IsZero() || time.Now().Before(deadline)) {
				end := claimed.Add(int64(cfg.Batch))
				n := int64(cfg.Batch)
				if end > budget {
					n = budget - (end - int64(cfg.Batch))
				}
				if n <= 0 {
					return
				}
				batch := entries[:n]
				for i := range batch {
					batch[i] = types.PutRecordsRequestEntry{
						Data:         pool[r.IntN(payloadPool)],
						PartitionKey: aws.String(partitionKey(r)),
					}
				}
				t0 := time.Now()
				out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{
					StreamName: aws.String(cfg.Stream),
					Records:    batch,
				})
				lat.add(time.Since(t0))
				calls.Add(1)
				sent.Add(n)
				if err != nil {
					callErrs.Add(1)
					code := errorCode(err)
					if code == "transport" {
						unknown.Add(n)
					} else {
						failed.Add(n)
					}
					callCodes.add(code, 1)
					msg := err.Error()
					firstErr.CompareAndSwap(nil, &msg)
					continue
				}
				f := int64(aws.ToInt32(out.FailedRecordCount))
				failed.Add(f)
				acked.Add(n - f)
				if f > 0 {
					for _, rr := range out.Records {
						if rr.ErrorCode != nil {
							recordCodes.add(*rr.ErrorCode, 1)
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	res := putResult{
		Elapsed:     time.Since(start),
		Calls:       calls.Load(),
		CallErrors:  callErrs.Load(),
		Sent:        sent.Load(),
		Acked:       acked.Load(),
		Unknown:     unknown.Load(),
		Failed:      failed.Load(),
		RecordCodes: recordCodes.snapshot(),
		CallCodes:   callCodes.snapshot(),
		Latency:     lat.summary(),
	}
	if p := firstErr.Load(); p != nil {
		res.FirstError = *p
	}
	return res
}
