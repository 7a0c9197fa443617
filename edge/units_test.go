package edge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/ingest/relay"
	"github.com/sluice-dev/sluice/streams/streamstest"
)

// unitSource publishes the test video (and an audio unit per frame) in
// a relay, frame by frame.
type unitSource struct {
	pub   *relay.Publisher
	video [][][]byte
	i     int
}

func (s *unitSource) frames(n int) {
	for range n {
		s.pub.Write(fragments.Unit{Track: 0, PTS: int64(s.i) * 3600, Arrival: time.Now(), Data: s.video[s.i%len(s.video)]})
		s.pub.Write(fragments.Unit{Track: 1, PTS: int64(s.i) * 1920, Arrival: time.Now(), Data: [][]byte{{0x21, byte(s.i)}}})
		s.i++
	}
}

// events reads a subscription's events until want of them, or a second
// without one.
func events(t *testing.T, s *relay.Subscription, want int) []relay.Event {
	t.Helper()
	var out []relay.Event
	for len(out) < want {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		ev, err := s.Next(ctx)
		cancel()
		if err != nil {
			break
		}
		out = append(out, ev)
	}
	return out
}

// sameUnits compares two event sequences: kinds, tracks, times, bytes.
func sameUnits(a, b []relay.Event) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d events, then %d", len(a), len(b))
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Kind != y.Kind || x.Cached != y.Cached || x.Unit.Track != y.Unit.Track || x.Unit.PTS != y.Unit.PTS ||
			!x.Unit.Arrival.Equal(y.Unit.Arrival) || !bytes.Equal(concat(x.Unit.Data), concat(y.Unit.Data)) || len(x.Unit.Data) != len(y.Unit.Data) {
			return fmt.Errorf("event %d: %+v, then %+v", i, x, y)
		}
	}
	return nil
}

func tracksJSON(t *testing.T, ts []fragments.Track) string {
	w, err := toWireTracks(ts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(w)
	return string(b)
}

// A WHEP viewer's subscription on b follows a's live units: the same
// tracks, the same cached group of pictures, then the same units in the
// same order; a session that ends and starts again on a does so on b;
// nothing is published while b has no subscriber, and b stops when its
// subscriber leaves.
func TestMirrorServesUnits(t *testing.T) {
	c := newCluster(t)
	msgs := c.count(t)
	src := &unitSource{pub: c.a.rel.Publish("cam", fragmentstest.Tracks(t)), video: fragmentstest.Video(t)}
	src.frames(40) // keyframes at 0 and 25: 15 cached video units
	c.watch.Flush()
	if n := msgs.Load(); n != 0 {
		t.Fatalf("%d messages without a remote subscriber", n)
	}

	subA, err := c.a.rel.Subscribe("cam")
	if err != nil {
		t.Fatal(err)
	}
	defer subA.Close()
	subB, err := c.b.rel.Subscribe("cam")
	if err != nil {
		t.Fatal(err)
	}
	if a, b := tracksJSON(t, subA.Tracks()), tracksJSON(t, subB.Tracks()); a != b {
		t.Fatalf("tracks: a %s, b %s", a, b)
	}
	cachedA, cachedB := events(t, subA, 15), events(t, subB, 15)
	if len(cachedA) != 15 || !cachedA[0].Key {
		t.Fatalf("a's cache: %d events", len(cachedA))
	}
	if err := sameUnits(cachedA, cachedB); err != nil {
		t.Fatalf("cached group of pictures: %v", err)
	}

	src.frames(30) // past a keyframe
	liveA, liveB := events(t, subA, 60), events(t, subB, 60)
	if len(liveA) != 60 {
		t.Fatalf("a: %d live events", len(liveA))
	}
	if err := sameUnits(liveA, liveB); err != nil {
		t.Fatalf("live units: %v", err)
	}

	// The session ends and another starts on a: b's subscriber follows.
	src.pub.Close()
	if evs := events(t, subB, 1); len(evs) != 1 || evs[0].Kind != relay.KindEnd {
		t.Fatalf("after the end on a, b reads %+v", evs)
	}
	events(t, subA, 1)
	src = &unitSource{pub: c.a.rel.Publish("cam", fragmentstest.Tracks(t)), video: fragmentstest.Video(t)}
	src.frames(10)
	startA, startB := events(t, subA, 21), events(t, subB, 21)
	if len(startA) != 21 || startA[0].Kind != relay.KindStart {
		t.Fatalf("a after the new session: %d events", len(startA))
	}
	if err := sameUnits(startA, startB); err != nil {
		t.Fatalf("new session: %v", err)
	}

	// The subscriber leaves: b stops mirroring, a stops feeding.
	subB.Close()
	streamstest.Eventually(t, 5*time.Second, func() error {
		c.a.edge.mu.Lock()
		feeds := len(c.a.edge.ufeeds)
		c.a.edge.mu.Unlock()
		c.b.edge.mu.Lock()
		mirrors := len(c.b.edge.mirrors)
		c.b.edge.mu.Unlock()
		if feeds != 0 || mirrors != 0 || c.b.rel.Live("cam") {
			return fmt.Errorf("a feeds %d streams, b mirrors %d, live on b: %v", feeds, mirrors, c.b.rel.Live("cam"))
		}
		return nil
	})
	c.watch.Flush()
	before := msgs.Load()
	src.frames(30)
	c.watch.Flush()
	if n := msgs.Load() - before; n != 0 {
		t.Fatalf("%d messages after the remote subscriber left", n)
	}
}

// A subscriber on b of a stream whose group of pictures a cannot give
// (no keyframe yet) makes a's source asked for a keyframe, and b's
// subscriber starts at it.
func TestMirrorUnitsAskForKeyframe(t *testing.T) {
	c := newCluster(t)
	video := fragmentstest.Video(t)
	src := &unitSource{pub: c.a.rel.Publish("cam", fragmentstest.Tracks(t)), video: video[1:]} // no keyframe before frame 24
	asked := make(chan struct{}, 1)
	src.pub.SetKeyframeRequester(func() {
		select {
		case asked <- struct{}{}:
		default:
		}
	})
	src.frames(5)
	subB, err := c.b.rel.Subscribe("cam")
	if err != nil {
		t.Fatal(err)
	}
	defer subB.Close()
	select {
	case <-asked:
	case <-time.After(5 * time.Second):
		t.Fatal("a's source was not asked for a keyframe")
	}
	src.frames(20) // the keyframe is video[24] (frame 19 of this source + 5)
	var first *relay.Event
	for _, ev := range events(t, subB, 40) {
		if ev.Kind == relay.KindUnit && ev.Unit.Track == 0 {
			first = &ev
			break
		}
	}
	if first == nil || !first.Key {
		t.Fatalf("b's first video unit: %+v", first)
	}
}

// A stream live nowhere: a subscription on b is refused at once (after
// one join), as on a single node.
func TestMirrorUnitsNotLive(t *testing.T) {
	c := newCluster(t)
	if _, err := c.b.rel.Subscribe("nobody"); err != relay.ErrNotLive {
		t.Fatalf("subscribe: %v", err)
	}
}

// Codecs survive the wire: every kind Sluice records.
func TestWireTracks(t *testing.T) {
	ts := fragmentstest.Tracks(t)
	w, err := toWireTracks(ts)
	if err != nil {
		t.Fatal(err)
	}
	back, err := fromWireTracks(w)
	if err != nil {
		t.Fatal(err)
	}
	if tracksJSON(t, ts) != tracksJSON(t, back) {
		t.Fatalf("%s became %s", tracksJSON(t, ts), tracksJSON(t, back))
	}
	if _, err := fromWireTracks([]wireTrack{{Type: "CodecNope", Codec: []byte("{}")}}); err == nil {
		t.Fatal("an unknown codec type was accepted")
	}
}
