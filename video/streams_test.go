package video_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/embedded"
	"github.com/sluice-dev/sluice/streams/streamstest"
	"github.com/sluice-dev/sluice/video"
)

var bg = context.Background()

// camerasSpy records RemoveCamera calls with the stream's registry state
// at the time.
type camerasSpy struct {
	lib   *fragments.Library
	calls []string
}

func (c *camerasSpy) RemoveCamera(ctx context.Context, stream string) error {
	state := "gone"
	if s, err := c.lib.Describe(ctx, stream); err == nil {
		state = s.Status
	}
	c.calls = append(c.calls, stream+":"+state)
	return nil
}

func rig(t *testing.T) (*fragments.Library, storage.Bucket) {
	t.Helper()
	srv, err := embedded.Start(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := srv.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	core, err := streams.Open(bg, nc, fragments.CoreConfig(streams.Config{Logger: slog.New(slog.DiscardHandler)}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	bucket, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bucket.Close() })
	return fragments.NewLibrary(core, fragments.LibraryConfig{}), bucket
}

func active(t *testing.T, lib *fragments.Library, name string) fragments.Stream {
	t.Helper()
	var s fragments.Stream
	streamstest.Eventually(t, 5*time.Second, func() error {
		var err error
		if s, err = lib.Describe(bg, name); err == nil && s.Status != "ACTIVE" {
			err = errors.New(s.Status)
		}
		return err
	})
	return s
}

// Delete stops the camera while the stream still exists, then removes
// the registry entry and every object under the stream's prefix (and
// nothing else); a wrong version changes nothing.
func TestDelete(t *testing.T) {
	lib, bucket := rig(t)
	spy := &camerasSpy{lib: lib}
	vs, err := video.New(video.Config{Library: lib, Bucket: bucket, Cameras: spy, PurgeBatch: 2, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"cam", "cam-2"} {
		if _, err := lib.Create(bg, fragments.StreamSpec{Name: name, RetentionHours: 1}); err != nil {
			t.Fatal(err)
		}
	}
	s, other := active(t, lib, "cam"), active(t, lib, "cam-2")
	var keys []string
	for _, st := range []fragments.Stream{s, other} {
		for _, k := range []string{"init/a.mp4", "fragments/1.m4s", "fragments/2.m4s", "fragments/3.m4s", "fragments/4.m4s"} {
			key := fragments.MediaPrefix(st) + k
			keys = append(keys, key)
			if err := bucket.Put(bg, key, strings.NewReader("x"), 1); err != nil {
				t.Fatal(err)
			}
		}
	}

	if err := vs.Delete(bg, "cam", "not-the-version"); !errors.Is(err, fragments.ErrVersionMismatch) || len(spy.calls) != 0 {
		t.Fatalf("delete with a wrong version: %v, camera calls %v", err, spy.calls)
	}
	if err := vs.Delete(bg, "cam", s.Version); err != nil {
		t.Fatal(err)
	}
	if len(spy.calls) != 1 || spy.calls[0] != "cam:ACTIVE" {
		t.Fatalf("camera calls %v, want the camera removed while the stream is still ACTIVE", spy.calls)
	}
	streamstest.Eventually(t, 5*time.Second, func() error {
		if _, err := lib.Describe(bg, "cam"); err == nil {
			return errors.New("cam is still described")
		}
		return nil
	})
	var left []string
	bucket.List(bg, "video/", func(o storage.ObjectInfo) error { left = append(left, o.Key); return nil })
	want := append([]string(nil), keys[5:]...)
	slices.Sort(left)
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Fatalf("left %v, want only cam-2's %v", left, want)
	}
	if err := vs.Delete(bg, "cam", ""); !errors.Is(err, streams.ErrNotFound) && !errors.Is(err, fragments.ErrNotFound) {
		t.Fatalf("deleting it again: %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	_, err := video.New(video.Config{PurgeBatch: -1})
	for _, want := range []string{"Library", "Bucket", "PurgeBatch"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New of an empty Config: %v, want a word on %s", err, want)
		}
	}
}

// recordersSpy says the stream is recorded for its first busy calls and
// notes the registry state at each.
type recordersSpy struct {
	lib    *fragments.Library
	busy   int
	states []string
}

func (r *recordersSpy) Recording(ctx context.Context, stream string) (bool, error) {
	state := "gone"
	if s, err := r.lib.Describe(ctx, stream); err == nil {
		state = s.Status
	}
	r.states = append(r.states, state)
	return len(r.states) <= r.busy, nil
}

// Delete waits for the node recording the stream to stop before the
// registry entry and the media go; a recorder that never stops (a push
// that goes on) is waited for StopWait only.
func TestDeleteWaitsForRecorder(t *testing.T) {
	lib, bucket := rig(t)
	for _, c := range []struct {
		name      string
		busy      int
		wantCalls int
	}{{"stops", 3, 4}, {"goes-on", 1 << 30, -1}} {
		spy := &recordersSpy{lib: lib, busy: c.busy}
		vs, err := video.New(video.Config{Library: lib, Bucket: bucket, Recorders: spy, StopWait: 500 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lib.Create(bg, fragments.StreamSpec{Name: c.name, RetentionHours: 1}); err != nil {
			t.Fatal(err)
		}
		active(t, lib, c.name)
		began := time.Now()
		if err := vs.Delete(bg, c.name, ""); err != nil {
			t.Fatal(err)
		}
		for _, st := range spy.states {
			if st != "ACTIVE" {
				t.Fatalf("%s: the registry entry went while the recorder was asked: %v", c.name, spy.states)
			}
		}
		if c.wantCalls > 0 && len(spy.states) != c.wantCalls {
			t.Fatalf("%s: recorder asked %d times, want %d", c.name, len(spy.states), c.wantCalls)
		}
		if took := time.Since(began); c.wantCalls < 0 && took < 500*time.Millisecond {
			t.Fatalf("%s: deleted after %v, before StopWait", c.name, took)
		}
	}
}
