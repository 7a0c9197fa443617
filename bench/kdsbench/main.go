package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// Exit codes.
const (
	exitOK       = 0
	exitFailed   = 1 // the run could not be made (config, setup)
	exitProblems = 3 // the run was made but something is wrong (mismatch, failures)
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("kdsbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	var phases string
	fs.StringVar(&c.Endpoint, "endpoint", "", "base URL of the Kinesis Data Streams endpoint, e.g. http://127.0.0.1:4567 (required)")
	fs.StringVar(&c.ReadEndpoint, "read-endpoint", "", "endpoint of the get and delivery readers (another node of a cluster); default --endpoint")
	fs.StringVar(&c.Stream, "stream", "kdsbench", "stream name; created if missing")
	fs.IntVar(&c.Shards, "shards", 4, "shard count when creating the stream")
	fs.IntVar(&c.Producers, "producers", 4, "PutRecords goroutines")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "length of the put phase (ignored with --records)")
	fs.Int64Var(&c.Records, "records", 0, "total records to put instead of --duration (0: use --duration)")
	fs.Int64Var(&c.MaxRecords, "max-records", 20_000_000, "safety cap on records put in --duration mode")
	fs.IntVar(&c.Batch, "batch", 500, "records per PutRecords call (1..500)")
	fs.IntVar(&c.RecordSize, "record-size", 100, "payload bytes per record")
	fs.IntVar(&c.GetLimit, "get-limit", 10000, "GetRecords Limit")
	fs.IntVar(&c.LatencySamples, "latency-samples", 2000, "records put in the delivery phase")
	fs.IntVar(&c.LatencyRate, "latency-rate", 200, "delivery-phase records per second")
	fs.StringVar(&c.Delivery, "delivery", deliveryAuto, "delivery consumer: auto (enhanced fan-out, else polling), efo, poll")
	fs.StringVar(&c.EFOClient, "efo-client", efoClientSDK, "SubscribeToShard reader: sdk (the SDK client), or raw (own event-stream reader that tolerates a missing initial-response, e.g. kinesis-mock)")
	fs.DurationVar(&c.PollSleep, "poll-sleep", time.Millisecond, "polling consumer: sleep after an empty GetRecords (0: none)")
	fs.DurationVar(&c.Grace, "grace", 5*time.Second, "delivery phase: wait this long after the last put for stragglers")
	fs.StringVar(&phases, "phases", "put,get,delivery", "phases to run, comma-separated")
	fs.StringVar(&c.Out, "out", "", "append the figures to this file (JSON line if .json/.jsonl, else a markdown table row)")
	fs.StringVar(&c.Label, "label", "", "name of this run in the report")
	fs.DurationVar(&c.Timeout, "timeout", 15*time.Minute, "hard bound on the whole run")
	fs.BoolVar(&c.AllowRemote, "allow-remote", false, "accept an endpoint that is not a loopback address")
	fs.BoolVar(&c.DeleteStream, "delete-stream", false, "delete the stream when done")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	c.Phases = parsePhases(phases)
	if c.Label == "" {
		c.Label = c.Endpoint
	}
	return c, c.validate()
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if err != flag.ErrHelp {
			fmt.Fprintf(stderr, "kdsbench: %v\n", err)
		}
		return exitFailed
	}
	ctx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	cl := newClients(cfg.Endpoint, max(256, cfg.Producers+2*cfg.Shards+32))
	rcl := cl
	if cfg.ReadEndpoint != "" {
		rcl = newClients(cfg.ReadEndpoint, max(256, cfg.Producers+2*cfg.Shards+32))
	}
	streamARN, created, err := ensureStream(ctx, cl.control, cfg.Stream, cfg.Shards)
	if err != nil {
		fmt.Fprintf(stderr, "kdsbench: %v\n", err)
		return exitFailed
	}
	shards, err := listShards(ctx, cl.control, cfg.Stream)
	if err != nil {
		fmt.Fprintf(stderr, "kdsbench: %v\n", err)
		return exitFailed
	}
	open := openShards(shards)
	rep := &report{
		Time: nowStamp(), Label: cfg.Label, Endpoint: cfg.Endpoint,
		Stream: cfg.Stream, StreamCreated: created, Shards: len(open),
		Producers: cfg.Producers, Batch: cfg.Batch, RecordSize: cfg.RecordSize,
	}
	fmt.Fprintf(stderr, "kdsbench: stream %s ready, %d open shards (%d in all)\n", cfg.Stream, len(open), len(shards))

	marker := rand.Uint64()
	expected, unknown := int64(-1), int64(0)
	if cfg.has(phasePut) {
		fmt.Fprintf(stderr, "kdsbench: put phase...\n")
		pr := runPut(ctx, cfg, cl.data, marker)
		rep.Put = newPutReport(pr, cfg.RecordSize)
		expected, unknown = pr.Acked, pr.Unknown
	}
	if cfg.has(phaseGet) && ctx.Err() == nil {
		fmt.Fprintf(stderr, "kdsbench: get phase...\n")
		rep.Get = newGetReport(runGet(ctx, cfg, rcl, shards, marker), expected, unknown)
	}
	if cfg.has(phaseDelivery) && ctx.Err() == nil {
		fmt.Fprintf(stderr, "kdsbench: delivery phase...\n")
		runID := strconv.FormatUint(marker, 36)
		d := runDelivery(ctx, cfg, cl, rcl, streamARN, open, runID)
		rep.Delivery = &d
	}
	if err := ctx.Err(); err != nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("run cut short: %v", context.Cause(ctx)))
	}
	if cfg.DeleteStream {
		dctx, dcancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := cl.control.DeleteStream(dctx, &kinesis.DeleteStreamInput{
			StreamName:              aws.String(cfg.Stream),
			EnforceConsumerDeletion: aws.Bool(true),
		})
		dcancel()
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("DeleteStream: %v", err))
		}
	}

	rep.printHuman(stdout)
	if cfg.Out != "" {
		if err := rep.appendTo(cfg.Out); err != nil {
			fmt.Fprintf(stderr, "kdsbench: --out: %v\n", err)
			return exitFailed
		}
	}
	if rep.hasProblems() {
		return exitProblems
	}
	return exitOK
}

// hasProblems reports whether the run shows anything that makes its figures
// suspect: failed puts, a read-back mismatch, an undelivered record.
func (r *report) hasProblems() bool {
	if len(r.Problems) > 0 {
		return true
	}
	if x := r.Put; x != nil && x.Failed > 0 {
		return true
	}
	if x := r.Get; x != nil && x.Check == "MISMATCH" {
		return true
	}
	if x := r.Delivery; x != nil && (x.Err != "" || x.Received < x.Acked || x.PutErrors > 0) {
		return true
	}
	return false
}
