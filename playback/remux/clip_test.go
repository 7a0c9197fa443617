package remux_test

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/playback/remux"
)

// clip writes the clip of [from, to) (seconds after start) of frags and
// returns its bytes.
func clip(t *testing.T, frags []*fragments.Fragment, from, to float64) ([]byte, error) {
	t.Helper()
	var out bytes.Buffer
	c := remux.NewClip(&out, start.Add(seconds(from)), start.Add(seconds(to)))
	for _, f := range frags {
		if c.Done() {
			break
		}
		if err := c.Add(f.Init.Bytes, f.Bytes(), f.ProducerStart); err != nil {
			return out.Bytes(), err
		}
	}
	err := c.Close()
	return out.Bytes(), err
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// checkClip probes a clip: its video frame count, that it starts with a
// keyframe at 0, that its timestamps never repeat, and its duration.
func checkClip(t *testing.T, b []byte, frames int, duration float64) {
	t.Helper()
	path := writeTemp(t, "clip.mp4", b)
	ps := probePackets(t, path)
	format, d := probeFormat(t, path)
	if format != "mov,mp4,m4a,3gp,3g2,mj2" {
		t.Errorf("ffprobe reads the clip as %q", format)
	}
	if v := count(ps, "video"); v != frames {
		t.Errorf("clip has %d video frames, want %d", v, frames)
	}
	if count(ps, "audio") == 0 {
		t.Error("clip has no audio")
	}
	seen := map[float64]bool{}
	firstVideo := true
	for _, p := range ps {
		if p.kind != "video" {
			continue
		}
		if firstVideo && (!p.key || p.pts != 0) {
			t.Errorf("clip starts with %+v, want a keyframe at 0", p)
		}
		firstVideo = false
		if seen[p.pts] {
			t.Errorf("video PTS %.3f twice", p.pts)
		}
		seen[p.pts] = true
	}
	if math.Abs(d-duration) > 0.05 {
		t.Errorf("clip lasts %.3f s, want %.3f", d, duration)
	}
}

func TestClipTrims(t *testing.T) {
	frags := session(t, "s", start, 2*time.Second, time.Time{}) // 2 fragments of 2 s, keyframes every second
	for _, c := range []struct {
		name     string
		from, to float64
		frames   int
	}{
		{"everything", -10, 10, 100},
		{"start mid-GOP: from the keyframe before", 1.5, 10, 75},
		{"start on a keyframe", 2, 10, 50},
		{"end trimmed", 0, 3.3, 83},
		{"both ends inside one fragment", 0.3, 1.7, 43},
		{"across the fragment boundary", 1.2, 2.6, 40},
		{"start before the stream", -1, 1, 25},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := clip(t, frags, c.from, c.to)
			if err != nil {
				t.Fatal(err)
			}
			checkClip(t, b, c.frames, float64(c.frames)*0.04)
		})
	}
	t.Run("nothing in range", func(t *testing.T) {
		b, err := clip(t, frags, 20, 30)
		if !errors.Is(err, remux.ErrEmpty) || len(b) != 0 {
			t.Fatalf("clip past the end: %d bytes, %v; want nothing and ErrEmpty", len(b), err)
		}
	})
}

// TestClipStreams: the clip is written as fragments come, not at Close.
func TestClipStreams(t *testing.T) {
	frags := session(t, "s", start, time.Second, time.Time{})
	var out bytes.Buffer
	c := remux.NewClip(&out, start, start.Add(time.Hour))
	var sizes []int
	for _, f := range frags {
		if err := c.Add(f.Init.Bytes, f.Bytes(), f.ProducerStart); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, out.Len())
	}
	for i := 1; i < len(sizes); i++ {
		if sizes[i] <= sizes[i-1] || sizes[0] == 0 {
			t.Fatalf("bytes written after each fragment: %v", sizes)
		}
	}
	if err := c.Close(); err != nil || int64(out.Len()) != c.Written() {
		t.Fatal(err, out.Len(), c.Written())
	}
}

// TestClipSessions: a clip over two sessions with the same parameters
// continues across the gap between them (closed); one whose parameters
// change stops there.
func TestClipSessions(t *testing.T) {
	a := session(t, "a", start, 2*time.Second, time.Time{})
	b := session(t, "b", start.Add(time.Minute), 2*time.Second, time.Time{})
	body, err := clip(t, append(a, b...), -1, 120)
	if err != nil {
		t.Fatal(err)
	}
	checkClip(t, body, 200, 8)

	// A session without audio has another init segment.
	var c []*fragments.Fragment
	w, err := fragments.NewWriter(fragments.WriterConfig{Session: "c", OnFragment: func(f *fragments.Fragment) { c = append(c, f) }},
		[]fragments.Track{{Codec: &mp4.CodecH264{}, ClockRate: 90000}})
	if err != nil {
		t.Fatal(err)
	}
	for i, au := range fragmentstest.Video(t) {
		w.Write(fragments.Unit{Track: 0, PTS: int64(i) * 3600, Arrival: start.Add(time.Minute + time.Duration(i)*40*time.Millisecond), Data: au})
	}
	w.Close()
	body, err = clip(t, append(a, c...), -1, 120)
	if !errors.Is(err, remux.ErrInitChanged) {
		t.Fatalf("clip across a change of tracks: %v, want ErrInitChanged", err)
	}
	checkClip(t, body, 100, 4)
}

// TestClipOtherClock: a range on another clock (the server's) selects by
// the fragments' times on it.
func TestClipOtherClock(t *testing.T) {
	frags := session(t, "s", start, 2*time.Second, time.Time{})
	const lead = time.Hour // server clock ahead of the producer's
	var out bytes.Buffer
	c := remux.NewClip(&out, start.Add(lead+1500*time.Millisecond), start.Add(lead+3300*time.Millisecond))
	for _, f := range frags {
		if err := c.Add(f.Init.Bytes, f.Bytes(), f.ProducerStart.Add(lead)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	checkClip(t, out.Bytes(), 58, 2.32)
}

// cutSession is the test media in fragments of 0.5 s, cut by the maximum
// duration: every other fragment starts mid-GOP.
func cutSession(t *testing.T) []*fragments.Fragment {
	t.Helper()
	var frags []*fragments.Fragment
	w, err := fragments.NewWriter(fragments.WriterConfig{Session: "cut", TargetDuration: 500 * time.Millisecond, MaxDuration: 500 * time.Millisecond,
		OnFragment: func(f *fragments.Fragment) { frags = append(frags, f) }}, fragmentstest.Tracks(t))
	if err != nil {
		t.Fatal(err)
	}
	fragmentstest.Feed(t, start, false, func(u fragments.Unit) { w.Write(u) })
	w.Close()
	return frags
}

// TestClipMidGOPFragments: fragments cut by the maximum duration start
// mid-GOP; a clip starting in one starts at the keyframe in an earlier
// fragment.
func TestClipMidGOPFragments(t *testing.T) {
	frags := cutSession(t)
	if len(frags) != 8 || frags[3].Keyframe {
		t.Fatalf("%d fragments; the 4th starts with a keyframe: %v", len(frags), frags[3].Keyframe)
	}
	b, err := clip(t, frags, 1.7, 10) // in the 4th fragment (1.5-2.0 s); the keyframe is at 1.0 s
	if err != nil {
		t.Fatal(err)
	}
	checkClip(t, b, 75, 3)
	// Given only the fragments from the 4th on, the clip starts at the
	// next keyframe (2.0 s): nothing before it can be decoded.
	b, err = clip(t, frags[3:], 1.7, 10)
	if err != nil {
		t.Fatal(err)
	}
	checkClip(t, b, 50, 2)
}

// TestClipKeepsNoBytes: Add keeps neither init nor media, so a caller may
// read every fragment into one buffer.
func TestClipKeepsNoBytes(t *testing.T) {
	frags := cutSession(t)
	for _, r := range []struct{ from, to float64 }{
		{1.7, 3.3}, // holds the fragment with the keyframe at 1 s
		{3.99, 10}, // holds the last fragments until Close
	} {
		want, err := clip(t, frags, r.from, r.to)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		c := remux.NewClip(&out, start.Add(seconds(r.from)), start.Add(seconds(r.to)))
		var init, media []byte
		for _, f := range frags {
			init, media = append(init[:0], f.Init.Bytes...), append(media[:0], f.Bytes()...)
			if err := c.Add(init, media, f.ProducerStart); err != nil {
				t.Fatal(err)
			}
			for _, b := range [][]byte{init, media} {
				for i := range b {
					b[i] = 0xaa
				}
			}
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("clip of %v from one reused buffer differs (%d bytes, want %d)", r, out.Len(), len(want))
		}
	}
}
