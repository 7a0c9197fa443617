package ingest_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/ingest"
	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
	"github.com/sluice-dev/sluice/video"
)

var bg = context.Background()

type rig struct {
	lib    *fragments.Library
	bucket storage.Bucket
	hub    *fragments.Hub
	rec    *ingest.Recorder
}

func newRig(t *testing.T, cfg ingest.RecorderConfig, core streams.Config) *rig {
	t.Helper()
	c := streamstest.Open(t, fragments.CoreConfig(core))
	lib := fragments.NewLibrary(c, fragments.LibraryConfig{})
	bucket, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	hub := fragments.NewHub(0)
	rec := ingest.NewRecorder(lib, bucket, hub, cfg)
	t.Cleanup(func() { rec.Close(bg) })
	return &rig{lib, bucket, hub, rec}
}

func (r *rig) record(t *testing.T, stream string, start time.Time) {
	t.Helper()
	s, err := r.rec.Open(bg, stream, ingest.Source{Kind: "test"}, fragmentstest.Tracks(t))
	if err != nil {
		t.Fatal(err)
	}
	fragmentstest.Feed(t, start, false, s.Write)
	s.Close()
}

// fragments returns the stream's index.
func (r *rig) fragments(t *testing.T, stream string) []fragments.Info {
	t.Helper()
	var out []fragments.Info
	err := r.lib.Fragments(bg, stream, fragments.Selector{}, func(in fragments.Info) bool { out = append(out, in); return true })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitFragments waits (a few seconds at most) until the index holds n
// fragments, and returns it.
func (r *rig) waitFragments(t *testing.T, stream string, n int) []fragments.Info {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if out := r.fragments(t, stream); len(out) == n || time.Now().After(deadline) {
			return out
		}
	}
}

func (r *rig) read(t *testing.T, key string) []byte {
	t.Helper()
	rc, err := r.bucket.Get(bg, key)
	if err != nil {
		t.Fatalf("object %s: %v", key, err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b
}

func TestRecorderArchivesAndIndexes(t *testing.T) {
	r := newRig(t, ingest.RecorderConfig{AutoCreate: true}, streams.Config{})
	start := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	r.record(t, "cam", start)
	r.rec.Close(bg) // waits for storage and index
	frags := r.fragments(t, "cam")
	if len(frags) != 2 {
		t.Fatalf("%d fragments indexed, want 2", len(frags))
	}
	var total time.Duration
	for i, f := range frags {
		total += f.Duration
		probe := fragmentstest.FFprobe(t, r.read(t, f.InitKey), r.read(t, f.Key))
		if probe.Packets["video"] != f.Samples[1] || probe.Packets["audio"] != f.Samples[2] || f.Samples[1] != 50 {
			t.Errorf("fragment %d: ffprobe %v, index %v", i, probe.Packets, f.Samples)
		}
		if i > 0 && !f.ProducerTime.Equal(frags[i-1].End()) {
			t.Errorf("fragment %d starts at %v, previous ended at %v", i, f.ProducerTime, frags[i-1].End())
		}
		if f.Discontinuity {
			t.Errorf("fragment %d of the stream's first session is a discontinuity", i)
		}
	}
	if total != 4*time.Second || !frags[0].ProducerTime.Equal(start) {
		t.Fatalf("fragments cover %v from %v, want 4s from %v", total, frags[0].ProducerTime, start)
	}
	v := r.hub.View("cam")
	if v.Live || len(v.Fragments) != 2 || v.Fragments[1].Number != frags[1].Number {
		t.Fatalf("hub: live=%v %d fragments", v.Live, len(v.Fragments))
	}
}

func TestRecorderSessions(t *testing.T) {
	r := newRig(t, ingest.RecorderConfig{}, streams.Config{})
	_, err := r.rec.Open(bg, "nope", ingest.Source{}, fragmentstest.Tracks(t))
	if !errors.Is(err, ingest.ErrUnknownStream) {
		t.Fatalf("publish to an unknown stream without auto-create: %v", err)
	}
	if _, err := r.lib.Create(bg, fragments.StreamSpec{Name: "cam", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	s1, err := r.rec.Open(bg, "cam", ingest.Source{}, fragmentstest.Tracks(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.rec.Open(bg, "cam", ingest.Source{}, fragmentstest.Tracks(t)); !errors.Is(err, ingest.ErrBusy) {
		t.Fatalf("second publisher: %v", err)
	}
	start := time.Now()
	fragmentstest.Feed(t, start, false, s1.Write)
	s1.Close()
	// A second session whose clock is behind the first: it is shifted so
	// that timestamps never go backwards, and marked as a discontinuity.
	r.record(t, "cam", start.Add(-time.Hour))
	r.rec.Close(bg)
	frags := r.fragments(t, "cam")
	if len(frags) != 4 {
		t.Fatalf("%d fragments", len(frags))
	}
	if !frags[2].Discontinuity || frags[3].Discontinuity || frags[2].ProducerTime.Before(frags[1].End()) {
		t.Fatalf("second session: discontinuity %v/%v, starts %v after the first ended %v",
			frags[2].Discontinuity, frags[3].Discontinuity, frags[2].ProducerTime, frags[1].End())
	}
}

func TestRetentionZeroStoresNothing(t *testing.T) {
	r := newRig(t, ingest.RecorderConfig{}, streams.Config{})
	if _, err := r.lib.Create(bg, fragments.StreamSpec{Name: "live", RetentionHours: 0}); err != nil {
		t.Fatal(err)
	}
	r.record(t, "live", time.Now())
	r.rec.Close(bg)
	n := 0
	r.bucket.List(bg, "", func(storage.ObjectInfo) error { n++; return nil })
	frags := 0
	r.lib.Fragments(bg, "live", fragments.Selector{}, func(fragments.Info) bool { frags++; return true })
	if n != 0 || frags != 0 {
		t.Fatalf("retention 0 stored %d objects and %d index records", n, frags)
	}
	if v := r.hub.View("live"); len(v.Fragments) != 2 {
		t.Fatalf("the live edge holds %d fragments, want 2", len(v.Fragments))
	}
}

func TestSweeper(t *testing.T) {
	const hour = 300 * time.Millisecond // one retention "hour"
	r := newRig(t, ingest.RecorderConfig{}, streams.Config{RetentionHour: hour})
	sw := video.NewSweeper(r.lib, r.bucket, video.SweeperConfig{RetentionHour: hour, Margin: 50 * time.Millisecond, Grace: 100 * time.Millisecond, Interval: time.Hour})
	if _, err := r.lib.Create(bg, fragments.StreamSpec{Name: "short", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	keep, err := r.lib.Create(bg, fragments.StreamSpec{Name: "long", RetentionHours: 1000})
	if err != nil {
		t.Fatal(err)
	}
	r.record(t, "short", time.Now())
	r.record(t, "long", time.Now())
	r.rec.Close(bg)
	longFrags := r.fragments(t, "long")
	// An orphan (stored, never indexed) and the media of a deleted stream.
	orphan := fragments.MediaPrefix(keep) + "fragments/0000000000001-dead-000000.m4s"
	gone := "video/s-deleted/123/fragments/x.m4s"
	for _, k := range []string{orphan, gone} {
		if err := r.bucket.Put(bg, k, strings.NewReader("x"), 1); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(hour + 200*time.Millisecond)
	if err := sw.Sweep(bg); err != nil {
		t.Fatal(err)
	}
	var left []string
	r.bucket.List(bg, "", func(o storage.ObjectInfo) error { left = append(left, o.Key); return nil })
	for _, k := range left {
		if strings.Contains(k, "s-short/") && strings.Contains(k, "/fragments/") || k == orphan || k == gone {
			t.Errorf("%s survived the sweep", k)
		}
	}
	for _, f := range longFrags {
		if _, err := r.bucket.Attributes(bg, f.Key); err != nil {
			t.Errorf("indexed fragment %s of the long stream was removed: %v", f.Key, err)
		}
	}
	if frags := r.waitFragments(t, "short", 0); len(frags) != 0 {
		t.Errorf("the short stream's index still lists %d fragments", len(frags))
	}
}
