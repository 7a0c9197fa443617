package kvs

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/ingest"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
)

func TestMediaLimits(t *testing.T) {
	if err := (MediaLimits{}).Validate(); err != nil {
		t.Fatal(err)
	}
	err := MediaLimits{ClipBytes: -1, ClipFragments: -1, ClipRange: -1}.Validate()
	for _, key := range []string{"Media.ClipBytes", "Media.ClipFragments", "Media.ClipRange"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("Validate does not name %s: %v", key, err)
		}
	}
	if d := (MediaLimits{}).withDefaults(); d.ClipBytes != DefaultClipBytes || d.ClipFragments != DefaultClipFragments || d.ClipRange != DefaultClipRange {
		t.Errorf("defaults: %+v", d)
	}
}

// TestClipLimits: a range with more fragments or bytes than the limits is
// InvalidArgumentException, decided on the index before any media.
func TestClipLimits(t *testing.T) {
	ctx := context.Background()
	lib := fragments.NewLibrary(streamstest.Open(t, fragments.CoreConfig(streams.Config{})), fragments.LibraryConfig{})
	bucket, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	hub := fragments.NewHub(0)
	rec := ingest.NewRecorder(lib, bucket, hub, ingest.RecorderConfig{AutoCreate: true, Logger: slog.New(slog.DiscardHandler)})
	s, err := rec.Open(ctx, "cam", ingest.Source{Kind: "test"}, fragmentstest.Tracks(t))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	fragmentstest.Feed(t, start, false, s.Write)
	s.Close()
	rec.Close(ctx)
	// "cut": fragments of 0.5 s, cut mid-GOP (keyframes are 1 s apart).
	rec = ingest.NewRecorder(lib, bucket, hub, ingest.RecorderConfig{AutoCreate: true, TargetDuration: 500 * time.Millisecond,
		MaxDuration: 500 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if s, err = rec.Open(ctx, "cut", ingest.Source{Kind: "test"}, fragmentstest.Tracks(t)); err != nil {
		t.Fatal(err)
	}
	fragmentstest.Feed(t, start, false, s.Write)
	s.Close()
	rec.Close(ctx)

	h := New(lib, bucket, Config{Playback: playback.NewSource(lib, bucket, hub, playback.SourceConfig{})})
	src := fragmentSource{src: h.cfg.Playback, stream: "cam"}
	sel := fragments.Selector{Producer: true, Start: start.Add(-clipLookback), End: start.Add(time.Minute)}
	for _, c := range []struct {
		limits MediaLimits
		ok     bool
	}{
		{MediaLimits{}, true},
		{MediaLimits{ClipFragments: 2}, true},
		{MediaLimits{ClipFragments: 1}, false},
		{MediaLimits{ClipBytes: 1000}, false},
	} {
		from, err := h.planClip(ctx, src, sel, start, c.limits.withDefaults())
		if c.ok != (err == nil) || err != nil && toAPIError(err).Name != errInvalid {
			t.Errorf("limits %+v: %q, %v", c.limits, from, err)
		}
	}
	// Mid-way into the second fragment, the clip reads from the first
	// (audio stored with it may play after the second's keyframe);
	// before any fragment, or in the first, from the first.
	for _, c := range []struct {
		at   time.Duration
		want int
	}{{2500 * time.Millisecond, 0}, {-time.Second, 0}, {500 * time.Millisecond, 0}} {
		from, err := h.planClip(ctx, src, fragments.Selector{Producer: true, Start: start.Add(c.at - clipLookback), End: start.Add(time.Minute)}, start.Add(c.at), h.mediaLimits())
		if err != nil || !strings.HasSuffix(from, "-"+string(rune('0'+c.want))) {
			t.Errorf("clip from %v starts with fragment %q (%v), want index %d", c.at, from, err, c.want)
		}
	}
	// At 1.7 s of "cut", in a fragment without a keyframe: from the last
	// fragment before that starts with one. At 25 fps the cuts fall at
	// 0.52, 1.04, 1.56 s...: only the first fragment starts with a
	// keyframe (the clip then finds the one at 1.0 s in the second).
	at := start.Add(1700 * time.Millisecond)
	from, err := h.planClip(ctx, fragmentSource{src: h.cfg.Playback, stream: "cut"},
		fragments.Selector{Producer: true, Start: at.Add(-clipLookback), End: start.Add(time.Minute)}, at, h.mediaLimits())
	if err != nil || !strings.HasSuffix(from, "-0") {
		t.Errorf("clip of the cut stream from 1.7 s starts with fragment %q (%v), want index 0", from, err)
	}
}
