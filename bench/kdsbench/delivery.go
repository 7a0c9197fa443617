package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// warmupLimit bounds how long the delivery phase waits for every shard's
// probe to come through the consumer before it measures.
const warmupLimit = 10 * time.Second

// latencySenders is how many goroutines put the delivery records, so that
// one slow PutRecord does not delay the next send.
const latencySenders = 8

// deliveryResult holds the figures of the delivery-latency phase.
type deliveryResult struct {
	Method      string   `json:"method"`      // "efo" or "poll"
	Description string   `json:"description"` // human-readable method
	Fallback    string   `json:"fallback,omitempty"`
	Rate        int      `json:"rate_per_s"`
	Sent        int64    `json:"sent"`
	Acked       int64    `json:"acked"`
	PutErrors   int64    `json:"put_errors"`
	Received    int64    `json:"received"`
	Duplicates  int64    `json:"duplicates"`
	Warmup      float64  `json:"warmup_s"` // until every shard's probe arrived
	Latency     summary  `json:"latency"`
	PutLatency  summary  `json:"put_latency"`
	Polls       int64    `json:"polls,omitempty"` // GetRecords calls (poll method)
	PollErrors  int64    `json:"poll_errors,omitempty"`
	Problems    []string `json:"problems,omitempty"`
	Err         string   `json:"error,omitempty"`
}

// consumer is a running delivery consumer (enhanced fan-out or polling).
type consumer interface {
	stop()
	problems() []string
}

// runDelivery measures put -> consumer latency on the open shards.
// runDelivery puts through cl and consumes through rcl (another node of a
// cluster, or cl).
func runDelivery(ctx context.Context, cfg *config, cl, rcl *clients, streamARN string, shards []shard, runID string) deliveryResult {
	res := deliveryResult{Rate: cfg.LatencyRate}
	budget := time.Duration(cfg.LatencySamples)*time.Second/time.Duration(cfg.LatencyRate) +
		2*warmupLimit + cfg.Grace + time.Minute
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()

	mode := cfg.Delivery
	var (
		cons consumer
		col  *collector
		poll *pollSession
	)
	if mode != deliveryPoll {
		col = newCollector(rand.Uint64(), len(shards), cfg.LatencySamples)
		subscribe, err := subscriberFor(rcl, cfg.EFOClient)
		if err != nil {
			res.Err = err.Error()
			return res
		}
		s, err := startEFO(ctx, rcl, subscribe, streamARN, "kdsbench-"+runID, shards, col)
		if err == nil {
			var wu time.Duration
			wu, err = warmup(ctx, cl, cfg.Stream, shards, col, cfg.RecordSize)
			res.Warmup = wu.Seconds()
			if err != nil {
				s.stop()
				err = fmt.Errorf("SubscribeToShard: %w", err)
			} else {
				cons = s
				res.Method = deliveryEFO
				res.Description = "put -> SubscribeToShard (enhanced fan-out, StartingPosition LATEST, " + cfg.EFOClient + " client)"
			}
		}
		if err != nil {
			if mode == deliveryEFO {
				res.Err = err.Error()
				return res
			}
			res.Fallback = err.Error()
			mode = deliveryPoll
		}
	}
	if mode == deliveryPoll {
		col = newCollector(rand.Uint64(), len(shards), cfg.LatencySamples)
		p, err := startPoll(ctx, rcl, cfg.Stream, shards, cfg.GetLimit, cfg.PollSleep, col)
		if err != nil {
			res.Err = err.Error()
			return res
		}
		wu, err := warmup(ctx, cl, cfg.Stream, shards, col, cfg.RecordSize)
		res.Warmup = wu.Seconds()
		if err != nil {
			res.Problems = append(res.Problems, "polling warm-up: "+err.Error())
		}
		cons, poll = p, p
		res.Method = deliveryPoll
		sleep := "no sleep"
		if cfg.PollSleep > 0 {
			sleep = cfg.PollSleep.String() + " sleep"
		}
		res.Description = fmt.Sprintf("put -> GetRecords polling (LATEST, %s after an empty poll, Limit %d)", sleep, cfg.GetLimit)
	}

	sent, acked, putErrs, putLat, lastSend := sendLatency(ctx, cfg, cl.data, col.marker)
	// Wait for the stragglers: until everything acknowledged has arrived,
	// or Grace after the last send.
	for col.received.Load() < acked && time.Since(lastSend) < cfg.Grace && ctx.Err() == nil {
		sleepCtx(ctx, 5*time.Millisecond)
	}
	cons.stop()
	if poll != nil {
		res.Polls = poll.calls.Load()
		res.PollErrors = poll.errors.Load() + poll.throttled.Load()
	}

	res.Sent, res.Acked, res.PutErrors = sent, acked, putErrs
	res.Received = col.received.Load()
	res.Duplicates, _ = col.counts()
	res.Latency = col.lat.summary()
	res.PutLatency = putLat
	res.Problems = append(res.Problems, cons.problems()...)
	return res
}

// warmup puts a probe record into each shard (routed by ExplicitHashKey)
// every 500 ms until every probe has come through the consumer, for at most
// warmupLimit. It returns the time that took.
func warmup(ctx context.Context, cl *clients, stream string, shards []shard, col *collector, size int) (time.Duration, error) {
	start := time.Now()
	r := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	for time.Since(start) < warmupLimit {
		for i, sh := range shards {
			if col.probeArrived(i) {
				continue
			}
			in := &kinesis.PutRecordInput{
				StreamName:   aws.String(stream),
				PartitionKey: aws.String("kdsbench-probe"),
				Data:         newPayload(r, size, header{Marker: col.marker, Kind: kindProbe, Index: uint32(i)}),
			}
			if sh.StartHash != "" {
				in.ExplicitHashKey = aws.String(sh.StartHash)
			}
			if _, err := cl.control.PutRecord(ctx, in); err != nil {
				return time.Since(start), fmt.Errorf("probe PutRecord: %w", err)
			}
		}
		round := time.Now()
		for time.Since(round) < 500*time.Millisecond {
			if col.allProbes() {
				return time.Since(start), nil
			}
			if ctx.Err() != nil {
				return time.Since(start), ctx.Err()
			}
			sleepCtx(ctx, 2*time.Millisecond)
		}
	}
	var missing []string
	for i, sh := range shards {
		if !col.probeArrived(i) {
			missing = append(missing, sh.ID)
		}
	}
	return time.Since(start), fmt.Errorf("no probe record delivered within %v on shards %v", warmupLimit, missing)
}

// sendLatency puts cfg.LatencySamples single records at cfg.LatencyRate per
// second, each stamped with its send time just before its PutRecord call.
func sendLatency(ctx context.Context, cfg *config, c *kinesis.Client, marker uint64) (sent, acked, errs int64, lat summary, last time.Time) {
	var (
		nSent, nAcked, nErrs atomic.Int64
		putLat               = newSampler(cfg.LatencySamples)
		jobs                 = make(chan uint32, 64)
		wg                   sync.WaitGroup
	)
	for w := 0; w < latencySenders; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
			for i := range jobs {
				p := newPayload(r, cfg.RecordSize, header{Marker: marker, Kind: kindLatency, Index: i})
				pk := "lat-" + strconv.FormatUint(r.Uint64(), 16)
				t0 := time.Now()
				encodeHeader(p, header{Marker: marker, Kind: kindLatency, Index: i, SentNs: t0.UnixNano()})
				_, err := c.PutRecord(ctx, &kinesis.PutRecordInput{
					StreamName:   aws.String(cfg.Stream),
					PartitionKey: aws.String(pk),
					Data:         p,
				})
				putLat.add(time.Since(t0))
				nSent.Add(1)
				if err != nil {
					nErrs.Add(1)
					continue
				}
				nAcked.Add(1)
			}
		}()
	}
	tick := time.NewTicker(time.Second / time.Duration(cfg.LatencyRate))
	defer tick.Stop()
	for i := 0; i < cfg.LatencySamples; i++ {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
		if ctx.Err() != nil {
			break
		}
		jobs <- uint32(i)
	}
	close(jobs)
	wg.Wait()
	return nSent.Load(), nAcked.Load(), nErrs.Load(), putLat.summary(), time.Now()
}
