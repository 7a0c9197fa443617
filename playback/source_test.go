package playback_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/ingest"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
)

var bg = context.Background()

// gatedBucket holds back fragment objects until released, so that closed
// fragments stay on the live edge without an index entry: the seam.
type gatedBucket struct {
	storage.Bucket
	mu   sync.Mutex
	gate chan struct{}
}

func (g *gatedBucket) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate != nil && strings.Contains(key, "/fragments/") {
		<-gate
	}
	return g.Bucket.Put(ctx, key, r, size)
}

func TestSourceSeam(t *testing.T) {
	core := streamstest.Open(t, fragments.CoreConfig(streams.Config{}))
	lib := fragments.NewLibrary(core, fragments.LibraryConfig{})
	fsb, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	bucket := &gatedBucket{Bucket: fsb}
	hub := fragments.NewHub(time.Minute)
	rec := ingest.NewRecorder(lib, bucket, hub, ingest.RecorderConfig{AutoCreate: true})
	defer rec.Close(bg)
	src := playback.NewSource(lib, bucket, hub, playback.SourceConfig{})

	// Session 1 is archived; session 2's fragments are held back.
	record := func(start time.Time) {
		s, err := rec.Open(bg, "cam", ingest.Source{Kind: "test"}, fragmentstest.Tracks(t))
		if err != nil {
			t.Fatal(err)
		}
		fragmentstest.Feed(t, start, false, s.Write)
		s.Close()
	}
	start := time.Now().Add(-time.Minute)
	record(start)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, ok, _ := lib.Last(bg, "cam"); ok && len(hub.View("cam").Fragments) == 2 && hub.View("cam").Fragments[1].Number != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("session 1 not archived")
		}
	}
	bucket.mu.Lock()
	bucket.gate = make(chan struct{})
	bucket.mu.Unlock()
	record(start.Add(10 * time.Second))

	list := func() []playback.Fragment {
		var out []playback.Fragment
		if err := src.Fragments(bg, "cam", fragments.Selector{}, func(f playback.Fragment) bool { out = append(out, f); return true }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	check := func(frags []playback.Fragment, archived int) {
		t.Helper()
		if len(frags) != 4 {
			t.Fatalf("%d fragments listed, want 4 (2 archived + 2 on the live edge)", len(frags))
		}
		n := 0
		var buf []byte
		for i, f := range frags {
			if f.Number != "" {
				n++
			}
			if i > 0 && !f.ProducerTime.After(frags[i-1].ProducerTime) {
				t.Fatalf("fragment %d is not after %d", i, i-1)
			}
			// ReadMedia before Media reads storage; after, the cache.
			read, err := src.ReadMedia(bg, "cam", f, buf)
			if err != nil {
				t.Fatalf("fragment %d ReadMedia: %v", i, err)
			}
			first := bytes.Clone(read)
			media, err := src.Media(bg, "cam", f)
			if err != nil {
				t.Fatalf("fragment %d media: %v", i, err)
			}
			if buf, err = src.ReadMedia(bg, "cam", f, read); err != nil || !bytes.Equal(buf, media) || !bytes.Equal(first, media) {
				t.Fatalf("fragment %d: ReadMedia gives other bytes than Media (%v)", i, err)
			}
			init, err := src.Init(bg, "cam", f)
			if err != nil {
				t.Fatal(err)
			}
			if p := fragmentstest.FFprobe(t, init, media); p.Packets["video"] != f.Samples[1] {
				t.Fatalf("fragment %d: %v video packets, index says %d", i, p.Packets, f.Samples[1])
			}
		}
		if n != archived {
			t.Fatalf("%d fragments have numbers, want %d", n, archived)
		}
	}
	check(list(), 2) // the seam: two from the archive, two from the live edge only
	if !list()[2].Discontinuity {
		t.Fatal("the second session's first fragment is not a discontinuity")
	}
	close(bucket.gate) // storage catches up: the same timeline, all archived
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		frags := list()
		if frags[3].Number != "" {
			check(frags, 4)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("session 2 never archived")
		}
	}
	// Archived bytes equal live bytes.
	frags := list()
	archived, _ := src.Media(bg, "cam", frags[3])
	lf, ok := src.LiveFragment("cam", frags[3].Session, frags[3].Index)
	if !ok {
		t.Fatal("live fragment gone")
	}
	var live bytes.Buffer
	for _, p := range lf.Parts {
		live.Write(p.Bytes)
	}
	if !bytes.Equal(archived, live.Bytes()) {
		t.Fatal("the archived fragment differs from the live edge's")
	}
}

func TestSigner(t *testing.T) {
	now := time.Now()
	s := playback.NewSigner([]byte("0123456789abcdef0123456789abcdef"), func() time.Time { return now })
	tok := s.Sign(playback.Session{Kind: "hls", Stream: "a", Expires: now.Add(time.Minute)})
	if sess, err := s.Verify(tok); err != nil || sess.Stream != "a" {
		t.Fatalf("%+v %v", sess, err)
	}
	tampered := strings.Replace(tok, tok[5:6], string(rune(tok[5]^1)), 1)
	if _, err := s.Verify(tampered); err == nil {
		t.Fatal("tampered token accepted")
	}
	other := playback.NewSigner([]byte("another key....................."), nil)
	if _, err := other.Verify(tok); err == nil {
		t.Fatal("token of another installation accepted")
	}
	now = now.Add(2 * time.Minute)
	if _, err := s.Verify(tok); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired token: %v", err)
	}
}
