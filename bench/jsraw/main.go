// Command jsraw measures the raw publish rate of an embedded NATS JetStream
// server on this machine: the ceiling under Sluice's stream core.
//
//	go run ./bench/jsraw [--duration 5s] [--streams 4] [--size 100] [--window 256] [--sync both]
//
// For each sync mode it starts nats-server in-process (JetStream, file
// store in a fresh temporary directory, no listening port), connects with
// nats.InProcessServer, creates --streams file-store streams of one subject
// each, and has one publisher per stream publish --size byte messages
// asynchronously with at most --window unacknowledged, for --duration (and
// at most --max-msgs messages in all). The rate is acknowledged messages
// over the time from the first publish to the last acknowledgement.
//
// Sync modes: "default" is the server's default (the file store flushes to
// the OS at once and fsyncs every 2 minutes); "always" sets SyncAlways
// (fsync on every write).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// config is the run's configuration, checked once by validate.
type config struct {
	Duration time.Duration // publishing time per mode
	Streams  int           // streams, one publisher each
	Size     int           // message payload bytes
	Window   int           // max unacknowledged async publishes per publisher
	Sync     []string      // modes to run: "default", "always"
	MaxMsgs  int64         // safety cap on messages per mode
	Dir      string        // parent of the temporary store directories
}

func (c *config) validate() error {
	var errs []error
	if c.Duration <= 0 || c.Duration > 10*time.Minute {
		errs = append(errs, fmt.Errorf("--duration: must be in (0, 10m], got %v", c.Duration))
	}
	if c.Streams < 1 || c.Streams > 64 {
		errs = append(errs, fmt.Errorf("--streams: must be 1..64, got %d", c.Streams))
	}
	if c.Size < 1 || c.Size > 1<<20 {
		errs = append(errs, fmt.Errorf("--size: must be 1..1048576, got %d", c.Size))
	}
	if c.Window < 1 {
		errs = append(errs, fmt.Errorf("--window: must be >= 1, got %d", c.Window))
	}
	if c.MaxMsgs < 1 {
		errs = append(errs, fmt.Errorf("--max-msgs: must be >= 1, got %d", c.MaxMsgs))
	}
	if len(c.Sync) == 0 {
		errs = append(errs, errors.New("--sync: must be default, always or both"))
	}
	for _, m := range c.Sync {
		if m != "default" && m != "always" {
			errs = append(errs, fmt.Errorf("--sync: unknown mode %q (want default, always or both)", m))
		}
	}
	return errors.Join(errs...)
}

// result is one mode's figures.
type result struct {
	Mode      string
	Elapsed   time.Duration
	Published int64
	Acked     int64
	Errors    int64
	Stored    uint64 // messages in the streams afterwards, from StreamInfo
	Stalls    int64  // publishes refused because the window stayed full 5 s
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("jsraw", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	var syncModes string
	fs.DurationVar(&c.Duration, "duration", 5*time.Second, "publishing time per sync mode")
	fs.IntVar(&c.Streams, "streams", 4, "file-store streams, one subject and one publisher each")
	fs.IntVar(&c.Size, "size", 100, "message payload bytes")
	fs.IntVar(&c.Window, "window", 256, "max unacknowledged async publishes per publisher")
	fs.StringVar(&syncModes, "sync", "both", "sync modes: default, always, or both")
	fs.Int64Var(&c.MaxMsgs, "max-msgs", 50_000_000, "safety cap on messages per mode")
	fs.StringVar(&c.Dir, "dir", "", "parent directory for the temporary stores (default: the system temp dir)")
	if err := fs.Parse(args); err != nil {
		return 1
	}
	if syncModes == "both" {
		c.Sync = []string{"default", "always"}
	} else if syncModes != "" {
		c.Sync = strings.Split(syncModes, ",")
	}
	if err := c.validate(); err != nil {
		fmt.Fprintf(stderr, "jsraw: %v\n", err)
		return 1
	}
	var results []result
	for _, mode := range c.Sync {
		r, err := measure(c, mode)
		if err != nil {
			fmt.Fprintf(stderr, "jsraw: %s: %v\n", mode, err)
			return 1
		}
		results = append(results, r)
	}
	fmt.Fprintf(stdout, "== jsraw: embedded JetStream, file store, %d streams x 1 publisher, %d B messages, async window %d, %v ==\n",
		c.Streams, c.Size, c.Window, c.Duration)
	for _, r := range results {
		s := r.Elapsed.Seconds()
		fmt.Fprintf(stdout, "sync=%-7s %10.0f msgs/s  %7.2f MB/s  (acked %d of %d published in %.2f s, errors %d, stalls %d, stored %d)\n",
			r.Mode, float64(r.Acked)/s, float64(r.Acked)*float64(c.Size)/1e6/s, r.Acked, r.Published, s, r.Errors, r.Stalls, r.Stored)
	}
	return 0
}

// measure runs one sync mode on a fresh server and store directory.
func measure(c *config, mode string) (result, error) {
	dir, err := os.MkdirTemp(c.Dir, "jsraw-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)

	opts := &server.Options{
		ServerName: "jsraw",
		JetStream:  true,
		StoreDir:   dir,
		DontListen: true,
		NoLog:      true,
		NoSigs:     true,
		SyncAlways: mode == "always",
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return result{}, err
	}
	srv.Start()
	defer func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	}()
	if !srv.ReadyForConnections(10 * time.Second) {
		return result{}, errors.New("server not ready within 10 s")
	}

	ctx, cancel := context.WithTimeout(context.Background(), c.Duration+2*time.Minute)
	defer cancel()

	type pub struct {
		nc *nats.Conn
		js jetstream.JetStream
	}
	var (
		acked, errs, published, claimed, stalls atomic.Int64
		pubs                                    []pub
	)
	defer func() {
		for _, p := range pubs {
			p.nc.Close()
		}
	}()
	for i := 0; i < c.Streams; i++ {
		nc, err := nats.Connect("", nats.InProcessServer(srv))
		if err != nil {
			return result{}, err
		}
		js, err := jetstream.New(nc,
			jetstream.WithPublishAsyncMaxPending(c.Window),
			jetstream.WithPublishAsyncAckHandler(func(jetstream.JetStream, *nats.Msg, *jetstream.PubAck) { acked.Add(1) }),
			jetstream.WithPublishAsyncErrHandler(func(jetstream.JetStream, *nats.Msg, error) { errs.Add(1) }),
		)
		if err != nil {
			nc.Close()
			return result{}, err
		}
		pubs = append(pubs, pub{nc, js})
		_, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name:     fmt.Sprintf("JSRAW%d", i),
			Subjects: []string{fmt.Sprintf("jsraw.%d", i)},
			Storage:  jetstream.FileStorage,
			Replicas: 1,
		})
		if err != nil {
			return result{}, fmt.Errorf("create stream: %w", err)
		}
	}

	payload := make([]byte, c.Size)
	for i := range payload {
		payload[i] = byte('a' + i%26)
	}
	var (
		wg       sync.WaitGroup
		firstErr atomic.Pointer[error]
	)
	start := time.Now()
	deadline := start.Add(c.Duration)
	for i, p := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			subj := fmt.Sprintf("jsraw.%d", i)
			for time.Now().Before(deadline) && claimed.Add(1) <= c.MaxMsgs {
				_, err := p.js.PublishAsync(subj, payload, jetstream.WithStallWait(5*time.Second))
				if errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
					stalls.Add(1) // window still full after 5 s: try again
					continue
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, &err)
					return
				}
				published.Add(1)
			}
			select {
			case <-p.js.PublishAsyncComplete():
			case <-ctx.Done():
				e := fmt.Errorf("acks still pending: %w", ctx.Err())
				firstErr.CompareAndSwap(nil, &e)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if e := firstErr.Load(); e != nil {
		return result{}, *e
	}

	var stored uint64
	for i := range pubs {
		s, err := pubs[0].js.Stream(ctx, fmt.Sprintf("JSRAW%d", i))
		if err != nil {
			return result{}, err
		}
		info, err := s.Info(ctx)
		if err != nil {
			return result{}, err
		}
		stored += info.State.Msgs
	}
	return result{
		Mode: mode, Elapsed: elapsed,
		Published: published.Load(), Acked: acked.Load(), Errors: errs.Load(),
		Stored: stored, Stalls: stalls.Load(),
	}, nil
}
