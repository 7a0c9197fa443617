package fragments_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
)

var bg = context.Background()

func newLibrary(t *testing.T) *fragments.Library {
	core := streamstest.Open(t, fragments.CoreConfig(streams.Config{}))
	return fragments.NewLibrary(core, fragments.LibraryConfig{})
}

func waitActive(t *testing.T, l *fragments.Library, name string) fragments.Stream {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		s, err := l.Describe(bg, name)
		if err == nil && s.Status == "ACTIVE" {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ACTIVE: %+v %v", name, s, err)
		}
	}
}

func TestLibraryStreams(t *testing.T) {
	l := newLibrary(t)
	long := make([]byte, 256)
	for i := range long {
		long[i] = 'a'
	}
	s, err := l.Create(bg, fragments.StreamSpec{Name: string(long), DeviceName: "cam", MediaType: "video/h264", RetentionHours: 0})
	if err != nil {
		t.Fatal(err)
	}
	if name, ok := l.NameFromARN(s.ARN); !ok || name != string(long) {
		t.Fatalf("ARN %s does not name the stream", s.ARN)
	}
	s = waitActive(t, l, string(long))
	if s.RetentionHours != 0 || s.DeviceName != "cam" {
		t.Fatalf("%+v", s)
	}
	if err := l.Update(bg, s.Name, "stale", "x", ""); !errors.Is(err, fragments.ErrVersionMismatch) {
		t.Fatalf("update with a stale version: %v", err)
	}
	if err := l.UpdateRetention(bg, s.Name, s.Version, 48); err != nil {
		t.Fatal(err)
	}
	s2, _ := l.Describe(bg, s.Name)
	if s2.RetentionHours != 48 || s2.Version == s.Version {
		t.Fatalf("after retention update: %+v", s2)
	}
	if err := l.UpdateRetention(bg, s.Name, s2.Version, -49); !errors.Is(err, streams.ErrInvalidArgument) {
		t.Fatalf("retention below 0: %v", err)
	}
}

func TestIndexSelectors(t *testing.T) {
	l := newLibrary(t)
	if _, err := l.Create(bg, fragments.StreamSpec{Name: "cam", RetentionHours: 24}); err != nil {
		t.Fatal(err)
	}
	waitActive(t, l, "cam")
	producer0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) // a camera clock years off
	server0 := time.Now().UTC()
	var numbers []string
	for i := range 50 {
		n, err := l.Append(bg, "cam", fragments.Info{
			Key: fmt.Sprint("k", i), InitKey: "init", Duration: 2 * time.Second, Size: 100, Keyframe: true,
			ProducerTime: producer0.Add(time.Duration(i) * 2 * time.Second),
			ServerTime:   server0.Add(time.Duration(i) * 2 * time.Second),
			Samples:      map[int]int{1: 50},
		})
		if err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, n)
	}
	collect := func(sel fragments.Selector) []string {
		var keys []string
		if err := l.Fragments(bg, "cam", sel, func(in fragments.Info) bool { keys = append(keys, in.Key); return true }); err != nil {
			t.Fatal(err)
		}
		return keys
	}
	if got := collect(fragments.Selector{}); len(got) != 50 {
		t.Fatalf("all: %d", len(got))
	}
	got := collect(fragments.Selector{Producer: true, Start: producer0.Add(10 * time.Second), End: producer0.Add(20 * time.Second)})
	if fmt.Sprint(got) != "[k5 k6 k7 k8 k9 k10]" {
		t.Fatalf("producer range: %v", got)
	}
	// Server timestamps are what the caller recorded, not the arrival time.
	got = collect(fragments.Selector{Start: server0.Add(97 * time.Second)})
	if fmt.Sprint(got) != "[k49]" {
		t.Fatalf("server range: %v", got)
	}
	in, err := l.Fragment(bg, "cam", numbers[7])
	if err != nil || in.Key != "k7" || in.Samples[1] != 50 {
		t.Fatalf("Fragment: %+v %v", in, err)
	}
	if _, err := l.Fragment(bg, "cam", numbers[7][:len(numbers[7])-3]+"999"); !errors.Is(err, fragments.ErrNotFound) {
		t.Fatalf("missing fragment: %v", err)
	}
}

// A stray index record of an earlier owner (a lower lease token, over the
// time of the newer owner's last fragment) is not listed; a lower token
// that does not overlap, and records without a token, are.
func TestListingDropsStaleOwner(t *testing.T) {
	l := newLibrary(t)
	if _, err := l.Create(bg, fragments.StreamSpec{Name: "cam", RetentionHours: 24}); err != nil {
		t.Fatal(err)
	}
	waitActive(t, l, "cam")
	t0 := time.Now().UTC().Truncate(time.Second)
	for _, r := range []struct {
		key   string
		start int // seconds from t0; every fragment lasts 2 s
		token uint64
	}{
		{"a0", 0, 5}, {"b0", 2, 7}, {"stray", 3, 5}, {"b1", 4, 7}, {"restarted", 6, 2}, {"untokened", 7, 0},
	} {
		when := t0.Add(time.Duration(r.start) * time.Second)
		if _, err := l.Append(bg, "cam", fragments.Info{Key: r.key, InitKey: "init", Duration: 2 * time.Second, Keyframe: true,
			ProducerTime: when, ServerTime: when, Token: r.token}); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	if err := l.Fragments(bg, "cam", fragments.Selector{}, func(in fragments.Info) bool { keys = append(keys, in.Key); return true }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(keys) != "[a0 b0 b1 restarted untokened]" {
		t.Fatalf("listed %v", keys)
	}
}
