package relay_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
	"go.uber.org/goleak"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/ingest/relay"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var tracks = []fragments.Track{
	{Codec: &mp4.CodecH264{}, ClockRate: 90000},
	{Codec: &mp4.CodecOpus{ChannelCount: 2}, ClockRate: 48000},
}

func video(i int, aus [][][]byte) fragments.Unit {
	return fragments.Unit{Track: 0, PTS: int64(i) * 3600, Data: aus[i]}
}

func audio(i int) fragments.Unit {
	return fragments.Unit{Track: 1, PTS: int64(i) * 960, Data: [][]byte{{0xfc, byte(i)}}}
}

// next reads one event, failing after a second.
func next(t *testing.T, s *relay.Subscription) relay.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	ev, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("next event: %v", err)
	}
	return ev
}

// pending drains the events that are queued now.
func pending(s *relay.Subscription) []relay.Event {
	var out []relay.Event
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		ev, err := s.Next(ctx)
		cancel()
		if err != nil {
			return out
		}
		out = append(out, ev)
	}
}

func isIDR(u fragments.Unit) bool { return h264.IsRandomAccess(u.Data) }

func hasParams(u fragments.Unit) bool {
	sps, pps := false, false
	for _, n := range u.Data {
		sps = sps || h264.NALUType(n[0]&0x1f) == h264.NALUTypeSPS
		pps = pps || h264.NALUType(n[0]&0x1f) == h264.NALUTypePPS
	}
	return sps && pps
}

func TestSubscribeStartsAtCachedKeyframe(t *testing.T) {
	aus := fragmentstest.Video(t) // keyframes at 0, 25, 50, 75; SPS/PPS only in the first
	r := relay.New()
	if _, err := r.Subscribe("cam"); !errors.Is(err, relay.ErrNotLive) {
		t.Fatalf("subscribe before publish: %v", err)
	}
	p := r.Publish("cam", tracks)
	for i := 0; i < 30; i++ {
		p.Write(video(i, aus))
		p.Write(audio(i))
	}
	s, err := r.Subscribe("cam")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.Tracks()[0].Codec.(*mp4.CodecH264); got.SPS == nil || got.PPS == nil {
		t.Fatal("subscription tracks lack the parameter sets seen in band")
	}
	evs := pending(s)
	if len(evs) != 5 {
		t.Fatalf("%d cached events, want the 5 video units since the keyframe at 25", len(evs))
	}
	for i, ev := range evs {
		if !ev.Cached || ev.Unit.Track != 0 || ev.Unit.PTS != int64(25+i)*3600 {
			t.Fatalf("cached event %d: %+v", i, ev)
		}
	}
	if !isIDR(evs[0].Unit) || !hasParams(evs[0].Unit) {
		t.Fatal("the first cached unit is not a keyframe with SPS and PPS in band")
	}
	p.Write(audio(30))
	p.Write(video(30, aus))
	if ev := next(t, s); ev.Cached || ev.Unit.Track != 1 {
		t.Fatalf("live audio: %+v", ev)
	}
	if ev := next(t, s); ev.Cached || ev.Unit.PTS != 30*3600 {
		t.Fatalf("live video: %+v", ev)
	}
	p.Close()
	if ev := next(t, s); ev.Kind != relay.KindEnd {
		t.Fatalf("after Close: %+v", ev)
	}
	if r.Live("cam") {
		t.Fatal("live after Close")
	}
	// A new session: the subscription hears of it, and starts at its keyframe.
	p2 := r.Publish("cam", tracks[:1])
	defer p2.Close()
	if ev := next(t, s); ev.Kind != relay.KindStart || len(ev.Tracks) != 1 {
		t.Fatalf("after Publish: %+v", ev)
	}
	p2.Write(video(1, aus)) // not a keyframe: skipped
	p2.Write(video(0, aus))
	if ev := next(t, s); !isIDR(ev.Unit) {
		t.Fatalf("new session's first unit is not its keyframe: %+v", ev)
	}
}

func TestJoinWithoutKeyframeRequestsOne(t *testing.T) {
	aus := fragmentstest.Video(t)
	r := relay.New()
	p := r.Publish("cam", tracks)
	defer p.Close()
	var asked atomic.Int32
	p.SetKeyframeRequester(func() { asked.Add(1) })
	p.Write(video(1, aus)) // no keyframe yet
	s, err := r.Subscribe("cam")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if asked.Load() != 1 {
		t.Fatalf("keyframe requested %d times, want 1", asked.Load())
	}
	p.Write(video(2, aus))
	p.Write(audio(0))
	p.Write(video(25, aus))
	evs := pending(s)
	if len(evs) != 2 || evs[0].Unit.Track != 1 || !isIDR(evs[1].Unit) || !hasParams(evs[1].Unit) {
		t.Fatalf("events %+v: want the audio unit, then the keyframe (with SPS/PPS from the session's first unit... or none known)", evs)
	}
	if s.Dropped() != 1 {
		t.Fatalf("dropped %d, want 1", s.Dropped())
	}
}

func TestSlowSubscriberDropsToKeyframe(t *testing.T) {
	aus := fragmentstest.Video(t)
	r := relay.NewWithConfig(relay.Config{QueueUnits: 10})
	p := r.Publish("cam", tracks[:1])
	defer p.Close()
	var asked atomic.Int32
	p.SetKeyframeRequester(func() { asked.Add(1) })
	slow, err := r.Subscribe("cam")
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fast, err := r.Subscribe("cam")
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Close()
	aus = aus[:80]
	got := make(chan int64)
	go func() {
		defer close(got)
		for {
			ev, err := fast.Next(context.Background())
			if err != nil {
				return
			}
			got <- ev.Unit.PTS
		}
	}()
	for i := range aus {
		p.Write(video(i, aus)) // never blocks on the slow subscriber
		if pts := <-got; pts != int64(i)*3600 {
			t.Fatalf("fast subscriber got PTS %d, want %d", pts, i*3600)
		}
	}
	// The slow queue overflowed at units 10, 35, 60 and restarted at the
	// keyframes 25, 50, 75: it holds 75..79.
	evs := pending(slow)
	if len(evs) != 5 || !isIDR(evs[0].Unit) || evs[0].Unit.PTS != 75*3600 {
		t.Fatalf("slow subscriber: %d events, first %+v", len(evs), evs[0])
	}
	fast.Close()
	for range got {
	}
	if slow.Dropped() == 0 || asked.Load() == 0 {
		t.Fatalf("slow subscriber dropped %d units, keyframe requests %d", slow.Dropped(), asked.Load())
	}
}

func TestGOPBoundKeepsKeyframe(t *testing.T) {
	aus := fragmentstest.Video(t)
	r := relay.NewWithConfig(relay.Config{GOPUnits: 4})
	p := r.Publish("cam", tracks[:1])
	defer p.Close()
	for i := 0; i < 10; i++ {
		p.Write(video(i, aus))
	}
	s, err := r.Subscribe("cam")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	evs := pending(s)
	if len(evs) != 1 || !isIDR(evs[0].Unit) {
		t.Fatalf("%d cached events, want the keyframe only", len(evs))
	}
}

// The cached groups of pictures of all streams share one bound: a stream
// that would pass it keeps only its keyframe; a closed publisher's cache
// is released.
func TestCacheBytesBoundAllStreams(t *testing.T) {
	aus := fragmentstest.Video(t)
	bytesOf := func(from, to int) int64 {
		n := 0
		for i := from; i < to; i++ {
			for _, b := range aus[i] {
				n += len(b)
			}
		}
		return int64(n)
	}
	// Room for the first stream's ten units and the second's keyframe,
	// not for the rest of the second's.
	limit := bytesOf(0, 10) + bytesOf(0, 1) + 1
	r := relay.NewWithConfig(relay.Config{CacheBytes: limit})
	a, b := r.Publish("a", tracks[:1]), r.Publish("b", tracks[:1])
	for i := 0; i < 10; i++ {
		a.Write(video(i, aus))
	}
	for i := 0; i < 10; i++ {
		b.Write(video(i, aus))
	}
	if got := r.CachedBytes(); got > limit {
		t.Fatalf("%d bytes cached, the bound is %d", got, limit)
	}
	for name, want := range map[string]int{"a": 10, "b": 1} {
		s, err := r.Subscribe(name)
		if err != nil {
			t.Fatal(err)
		}
		if evs := pending(s); len(evs) != want || !isIDR(evs[0].Unit) {
			t.Errorf("%s: %d cached units, want %d from its keyframe", name, len(evs), want)
		}
		s.Close()
	}
	a.Close()
	b.Close()
	if got := r.CachedBytes(); got != 0 {
		t.Fatalf("%d bytes cached after both publishers closed", got)
	}
}

func TestConcurrentPublishAndSubscribe(t *testing.T) {
	aus := fragmentstest.Video(t)
	r := relay.NewWithConfig(relay.Config{QueueUnits: 16})
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	for v := 0; v < 8; v++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				s, err := r.Subscribe("cam")
				if err != nil {
					time.Sleep(time.Millisecond)
					continue
				}
				for i := 0; i < 20; i++ {
					c, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
					_, _ = s.Next(c)
					cancel()
				}
				s.Close()
			}
		}()
	}
	for round := 0; round < 5; round++ {
		p := r.Publish("cam", tracks)
		p.SetKeyframeRequester(func() {})
		for i := range aus {
			p.Write(video(i, aus))
			p.Write(audio(i))
		}
		p.Close()
	}
	cancel()
	wg.Wait()
	if r.Live("cam") {
		t.Fatal("still live")
	}
	// a nil relay and a nil publisher do nothing
	var nr *relay.Relay
	np := nr.Publish("x", tracks)
	np.Write(audio(0))
	np.SetKeyframeRequester(nil)
	np.Close()
}

func TestRewindAndReorder(t *testing.T) {
	aus := fragmentstest.Video(t)
	r := relay.New()
	p := r.Publish("cam", tracks[:1])
	var asked atomic.Int32
	p.SetKeyframeRequester(func() { asked.Add(1) })
	for i := 0; i < 27; i++ {
		p.Write(video(i, aus))
	}
	s, err := r.Subscribe("cam")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 27; i < 30; i++ {
		p.Write(video(i, aus)) // queued while "connecting"
	}
	s.Rewind()
	evs := pending(s)
	if len(evs) != 5 || !evs[0].Cached || evs[0].Unit.PTS != 25*3600 {
		t.Fatalf("after Rewind: %d events, first %+v; want the 5 cached units from the keyframe at 25", len(evs), evs[0])
	}
	if s.Reordered() {
		t.Fatal("reordered without B-frames")
	}
	// A new session while the subscription lags: Rewind starts it there.
	p.Close()
	p2 := r.Publish("cam", tracks[:1])
	defer p2.Close()
	p2.Write(video(0, aus))
	p2.Write(fragments.Unit{Track: 0, PTS: 3 * 3600, Data: aus[1]})
	p2.Write(fragments.Unit{Track: 0, PTS: 3600, Data: aus[2]}) // a B-frame
	s.Rewind()
	evs = pending(s)
	if len(evs) != 4 || evs[0].Kind != relay.KindStart || !isIDR(evs[1].Unit) {
		t.Fatalf("after Rewind into a new session: %+v", evs)
	}
	if !s.Reordered() {
		t.Fatal("B-frames not noticed")
	}
	s.RequestKeyframe() // no requester on p2: nothing to do
	if asked.Load() != 0 {
		t.Fatalf("the old session's requester was asked %d times", asked.Load())
	}
}

// gopSource serves the units written to it since the last keyframe, as
// package ingest reads them back from the recording (without parameter
// sets: the relay adds them to the keyframe).
type gopSource struct {
	mu    sync.Mutex
	units []fragments.Unit
}

func (g *gopSource) write(p *relay.Publisher, u fragments.Unit) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p.Write(u)
	if isIDR(u) {
		g.units = g.units[:0]
	}
	var nalus [][]byte
	for _, n := range u.Data {
		if typ := h264.NALUType(n[0] & 0x1f); typ != h264.NALUTypeSPS && typ != h264.NALUTypePPS {
			nalus = append(nalus, n)
		}
	}
	u.Data = nalus
	g.units = append(g.units, u)
}

func (g *gopSource) GOP(fn func([]fragments.Unit)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	fn(append([]fragments.Unit(nil), g.units...))
}

// A publisher with a GOPSource caches nothing: a subscription starts with
// the source's units (the keyframe with the parameter sets seen in band),
// within the same bounds as a cache.
func TestGOPSource(t *testing.T) {
	aus := fragmentstest.Video(t)
	for _, bound := range []int{0, 4} {
		r := relay.NewWithConfig(relay.Config{GOPUnits: bound})
		p := r.Publish("cam", tracks[:1])
		g := &gopSource{}
		p.SetGOPSource(g)
		for i := range 35 {
			g.write(p, video(i, aus))
		}
		if n := r.CachedBytes(); n != 0 {
			t.Fatalf("a publisher with a GOPSource caches %d bytes", n)
		}
		s, err := r.Subscribe("cam")
		if err != nil {
			t.Fatal(err)
		}
		evs := pending(s)
		want := 10 // since the keyframe at 25
		if bound > 0 {
			want = 1
		}
		if len(evs) != want || !isIDR(evs[0].Unit) || !hasParams(evs[0].Unit) || evs[0].Unit.PTS != 25*3600 {
			t.Fatalf("GOPUnits %d: %d events, want %d from the keyframe at 25 with its parameter sets", bound, len(evs), want)
		}
		g.write(p, video(35, aus))
		if ev := next(t, s); ev.Cached || ev.Unit.PTS != 35*3600 {
			t.Fatalf("the live unit after the source's: %+v", ev)
		}
		s.Close()
		p.Close()
	}
}
