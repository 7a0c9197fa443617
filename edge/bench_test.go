package edge

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments"
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

// parts counts the parts of the stream's newest fragment in a view.
func parts(v fragments.View) (int, int) {
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
					f0, p0 := parts(v)
					add()
					for {
						<-v.Updated
						v = hub.View("bench")
						if f, p := parts(v); f != f0 || p != p0 {
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
