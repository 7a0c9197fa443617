package edge

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/ingest/relay"
	"github.com/sluice-dev/sluice/streams/streamstest"
)

// partBytes is a part's size in the benchmarks: 200 ms of 1 Mb/s video.
const partBytes = 25 << 10

// benchParts adds parts to the stream on a's hub, one per iteration, and
// reports the delay until deliver returns each (p50, p95).
func benchParts(b *testing.B, c *cluster, deliver func(i int, add func())) {
	in := &fragments.Init{ID: "bench", Bytes: make([]byte, 800)}
	c.a.hub.Publish("bench", "s1", time.Now())
	frag, idx := 0, 0
	add := func() {
		c.a.hub.AddPart("bench", &fragments.Part{Session: "s1", Fragment: frag, Index: idx, Init: in, Independent: idx == 0,
			Start: time.Now(), Duration: 200 * time.Millisecond, Bytes: make([]byte, partBytes)})
		if idx++; idx == 10 {
			c.a.hub.CloseFragment("bench", &fragments.Fragment{Session: "s1", Index: frag, Init: in, Duration: 2 * time.Second, Keyframe: true})
			frag, idx = frag+1, 0
		}
	}
	add()
	delays := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		var t0 time.Time
		deliver(i, func() { t0 = time.Now(); add() })
		delays = append(delays, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(delays)
	b.ReportMetric(float64(delays[len(delays)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(delays[len(delays)*95/100].Microseconds()), "p95-µs")
	b.ReportMetric(0, "ns/op")
}

// partsOf counts the parts of the stream's newest fragment in a view.
func partsOf(v fragments.View) (int, int) {
	if len(v.Fragments) == 0 {
		return -1, 0
	}
	lf := v.Fragments[len(v.Fragments)-1]
	return lf.Index, len(lf.Parts)
}

// BenchmarkPartDelay measures how much later a part reaches a hub: on
// the recording node (local: a viewer's wake-up), on another node through
// the NATS mirror, and through one HTTP hop to the recording node (a
// blocking LL-HLS part request, what a proxy to the owner would add).
func BenchmarkPartDelay(b *testing.B) {
	for _, via := range []string{"local", "nats-mirror", "http-hop"} {
		b.Run(via, func(b *testing.B) {
			c := newCluster(b)
			switch via {
			case "local", "nats-mirror":
				hub := c.a.hub
				if via == "nats-mirror" {
					hub = c.b.hub
				}
				benchParts(b, c, func(_ int, add func()) {
					v := hub.View("bench")
					f0, p0 := partsOf(v)
					add()
					for {
						<-v.Updated
						v = hub.View("bench")
						if f, p := partsOf(v); f != f0 || p != p0 {
							return
						}
					}
				})
			case "http-hop":
				base := c.a.srv.URL + "/hls/bench/"
				benchParts(b, c, func(_ int, add func()) {
					_, pl := get(b, base+"index.m3u8")
					i := strings.Index(string(pl), `PRELOAD-HINT:TYPE=PART,URI="`)
					if i < 0 {
						b.Fatalf("no preload hint:\n%s", pl)
					}
					uri := string(pl[i+len(`PRELOAD-HINT:TYPE=PART,URI="`):])
					uri = uri[:strings.IndexByte(uri, '"')]
					got := make(chan error, 1)
					go func() {
						resp, err := http.Get(base + uri)
						if err == nil {
							_, err = io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							if resp.StatusCode != http.StatusOK {
								err = fmt.Errorf("%s: %s", uri, resp.Status)
							}
						}
						got <- err
					}()
					time.Sleep(2 * time.Millisecond) // the request is blocked on the server
					add()
					if err := <-got; err != nil {
						b.Fatal(err)
					}
				})
			}
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkMirrorCPU measures what a stream viewed on another node costs
// in CPU, both nodes together: the test media (25 fps H.264 and AAC) is
// recorded on node A as fast as it goes, 10 s of media per iteration,
// with no viewer on node B (none: the recording alone), a hub reader on
// B (parts: LL-HLS, KVS LIVE), a relay subscriber on B (units: WHEP), or
// both. cpu-ms/media-s minus none's is the cost of one viewed stream per
// second of media, in ms of one core.
func BenchmarkMirrorCPU(b *testing.B) {
	const frames = 250 // 10 s
	for _, mode := range []string{"none", "parts", "units", "both"} {
		b.Run(mode, func(b *testing.B) {
			c := newCluster(b)
			f := c.publish(b, "bench")
			f.Frames(50) // a session, a fragment, a group of pictures
			var sub *relay.Subscription
			var got atomic.Int64 // live video units B's subscriber read
			if mode == "units" || mode == "both" {
				s, err := c.b.rel.Subscribe("bench")
				if err != nil {
					b.Fatal(err)
				}
				sub = s
				defer sub.Close()
				go func() {
					for {
						ev, err := sub.Next(context.Background())
						if err != nil {
							return
						}
						if ev.Kind == relay.KindUnit && ev.Unit.Track == 0 && !ev.Cached {
							got.Add(1)
						}
					}
				}()
			}
			parts := mode == "parts" || mode == "both"
			if parts {
				c.b.hub.View("bench") // joins
			}
			// Each second of media is written at once, then B is waited
			// for (a live source spreads it over the second: what B
			// queues meanwhile is bounded by the relay's queues).
			sent := 0
			arrived := func() {
				if sub != nil {
					streamstest.Eventually(b, 10*time.Second, func() error {
						if n := got.Load(); n != int64(sent) {
							return fmt.Errorf("B's subscriber got %d of %d video units", n, sent)
						}
						return nil
					})
				}
				if parts {
					streamstest.Eventually(b, 10*time.Second, func() error {
						c.b.hub.View("bench") // a reader: keeps the mirror
						fa, pa := partsOf(c.a.hub.View("bench"))
						fb, pb := partsOf(c.b.hub.View("bench"))
						if fa != fb || pa != pb {
							return fmt.Errorf("A's newest part %d/%d, B's %d/%d", fa, pa, fb, pb)
						}
						return nil
					})
				}
			}
			var media time.Duration
			b.ResetTimer()
			cpu0 := cpuTime(b)
			for range b.N {
				for range frames / 25 {
					f.Frames(25)
					sent += 25
					arrived()
				}
				media += frames * 40 * time.Millisecond
			}
			cpu := cpuTime(b) - cpu0
			b.StopTimer()
			b.ReportMetric(float64(cpu.Milliseconds())/media.Seconds(), "cpu-ms/media-s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkUnitDelay measures how much later an access unit reaches a
// WHEP viewer's relay subscription on another node than on the recording
// node: one video unit (of the test video, ~1-4 KiB) per iteration.
func BenchmarkUnitDelay(b *testing.B) {
	for _, via := range []string{"local", "nats-mirror"} {
		b.Run(via, func(b *testing.B) {
			c := newCluster(b)
			src := &unitSource{pub: c.a.rel.Publish("bench", fragmentstest.Tracks(b)), video: fragmentstest.Video(b)}
			src.frames(1)
			rel := c.a.rel
			if via == "nats-mirror" {
				rel = c.b.rel
			}
			sub, err := rel.Subscribe("bench")
			if err != nil {
				b.Fatal(err)
			}
			defer sub.Close()
			ctx := context.Background()
			for { // the cached keyframe
				if ev, err := sub.Next(ctx); err != nil || ev.Kind == relay.KindUnit && ev.Unit.Track == 0 {
					break
				}
			}
			delays := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				src.frames(1) // a video unit, then an audio one
				for {
					ev, err := sub.Next(ctx)
					if err != nil {
						b.Fatal(err)
					}
					if ev.Kind == relay.KindUnit && ev.Unit.Track == 0 {
						delays = append(delays, time.Since(t0))
						break
					}
				}
			}
			b.StopTimer()
			slices.Sort(delays)
			b.ReportMetric(float64(delays[len(delays)/2].Nanoseconds())/1e3, "p50-µs")
			b.ReportMetric(float64(delays[len(delays)*95/100].Nanoseconds())/1e3, "p95-µs")
			b.ReportMetric(0, "ns/op")
		})
	}
}
