package edge

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/streams/streamstest"
)

// sameTail checks that b lists the open fragment that a lists, with the
// same parts and bytes.
func sameTail(a, b listed) error {
	if b.tail == 0 || a.tail != b.tail {
		return fmt.Errorf("a lists %d parts of the open fragment, b %d\n%s\n%s", a.tail, b.tail, a.raw, b.raw)
	}
	for i, p := range b.parts {
		if !bytes.Equal(p, a.parts[i]) {
			return fmt.Errorf("part %d of b differs from a's", i)
		}
	}
	return nil
}

// A viewer on b sees a's live edge: the same parts, with the same bytes;
// a blocking reload on b returns when a adds a part; nothing is published
// while b has no viewer, and b unsubscribes when its viewer leaves.
func TestMirrorServesLLHLS(t *testing.T) {
	c := newCluster(t)
	msgs := c.count(t)
	f := c.publish(t, "cam")
	f.Frames(130) // 2 closed fragments, 5 parts of the open one
	if _, err := c.a.playlist(t, "cam", ""); err != nil {
		t.Fatal(err) // a viewer on the recording node: nothing crosses
	}
	c.watch.Flush()
	if n := msgs.Load(); n != 0 {
		t.Fatalf("%d live-edge messages without a remote viewer", n)
	}
	// b's subscriptions: join and keep; a request adds the connection's
	// reply subscription (_INBOX.*) for good.
	subs := c.b.nc.NumSubscriptions() + 1

	// Late join: b's first playlist has the snapshot.
	a, err := c.a.playlist(t, "cam", "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.b.playlist(t, "cam", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := sameTail(a, b); err != nil {
		t.Fatal(err)
	}
	if got := c.b.nc.NumSubscriptions(); got != subs+1 {
		t.Fatalf("b has %d subscriptions while mirroring, want %d", got, subs+1)
	}

	// A blocking reload on b for the next part returns once a adds it.
	type result struct {
		l   listed
		err error
	}
	done := make(chan result, 1)
	go func() {
		l, err := c.b.playlist(t, "cam", fmt.Sprintf("?_HLS_msn=%d&_HLS_part=%d", b.lastMSN, b.tail))
		done <- result{l, err}
	}()
	f.Frames(5) // one more part
	r := <-done
	if r.err != nil || r.l.tail != b.tail+1 {
		t.Fatalf("blocking reload: %v, tail %d parts (was %d)\n%s", r.err, r.l.tail, b.tail, r.l.raw)
	}
	// The feed goes on: after more fragments both list the same parts.
	f.Frames(60)
	streamstest.Eventually(t, 5*time.Second, func() error {
		a, err := c.a.playlist(t, "cam", "")
		if err != nil {
			return err
		}
		b, err := c.b.playlist(t, "cam", "")
		if err != nil {
			return err
		}
		return sameTail(a, b)
	})

	// The viewer leaves: b unsubscribes and forgets, a stops publishing.
	streamstest.Eventually(t, 5*time.Second, func() error {
		if got := c.b.nc.NumSubscriptions(); got != subs {
			return fmt.Errorf("b has %d subscriptions, want %d", got, subs)
		}
		c.a.edge.mu.Lock()
		defer c.a.edge.mu.Unlock()
		if len(c.a.edge.feeds) != 0 {
			return fmt.Errorf("a still feeds %d streams", len(c.a.edge.feeds))
		}
		return nil
	})
	if _, live := c.b.hub.State("cam"); live {
		t.Fatal("b still holds the mirrored session")
	}
	c.watch.Flush()
	before := msgs.Load()
	f.Frames(60)
	if _, err := c.a.playlist(t, "cam", ""); err != nil {
		t.Fatal(err)
	}
	c.watch.Flush()
	if n := msgs.Load() - before; n != 0 {
		t.Fatalf("%d live-edge messages after the remote viewer left", n)
	}
}

// A node that recorded a stream earlier does not serve that old session
// as live: without a recorder its playlist ends; once another node
// records the stream, the newer session replaces it.
func TestMirrorReplacesStaleSession(t *testing.T) {
	c := newCluster(t)
	old := &fragments.Init{ID: "old-init", Bytes: []byte("init")}
	now := time.Now()
	c.b.hub.Publish("cam", "old", now.Add(-time.Hour))
	c.b.hub.AddPart("cam", &fragments.Part{Session: "old", Init: old, Start: now.Add(-time.Hour), Duration: 200 * time.Millisecond, Bytes: []byte("part")})
	c.b.hub.Unpublish("cam", "old")
	l, err := c.b.playlist(t, "cam", "")
	if err != nil || !l.ended {
		t.Fatalf("old session, no recorder: %v, ended %v\n%s", err, l.ended, l.raw)
	}

	f := c.publish(t, "cam")
	f.Frames(30)
	streamstest.Eventually(t, 5*time.Second, func() error {
		l, err := c.b.playlist(t, "cam", "")
		if err != nil {
			return err
		}
		if l.ended || len(l.parts) == 0 {
			return fmt.Errorf("b: ended %v, %d parts\n%s", l.ended, len(l.parts), l.raw)
		}
		return nil
	})
	for _, lf := range c.b.hub.View("cam").Fragments {
		if lf.Session == "old" {
			t.Fatal("b still holds the old session's fragment")
		}
	}
}

// A stream live nowhere is not found on any node, as before.
func TestMirrorNotLive(t *testing.T) {
	c := newCluster(t)
	if status, body := get(t, c.b.srv.URL+"/hls/nobody/index.m3u8"); status != http.StatusNotFound {
		t.Fatalf("%d %s", status, body)
	}
}
