package remux_test

import (
	"io"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/playback/remux"
)

// benchFragments is 2 minutes of the test media: 30 sessions of 4 s back
// to back, 60 fragments.
func benchFragments(b *testing.B) ([]*fragments.Fragment, [][]byte, int64) {
	b.Helper()
	var frags []*fragments.Fragment
	for i := range 30 {
		frags = append(frags, session(b, "s", start.Add(time.Duration(i)*4*time.Second), 2*time.Second, time.Time{})...)
	}
	media := make([][]byte, len(frags))
	var n int64
	for i, f := range frags {
		media[i] = f.Bytes()
		n += int64(len(media[i]))
	}
	return frags, media, n
}

// BenchmarkClip writes a clip of every fragment, from memory to
// io.Discard: the remuxing alone. BenchmarkClipStorage measures the
// GetClip target against cat.
func BenchmarkClip(b *testing.B) {
	frags, media, n := benchFragments(b)
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		c := remux.NewClip(io.Discard, start, start.Add(time.Hour))
		for i, f := range frags {
			if err := c.Add(f.Init.Bytes, media[i], f.ProducerStart); err != nil {
				b.Fatal(err)
			}
		}
		if err := c.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(samples(frags)*b.N)/b.Elapsed().Seconds(), "samples/s")
}

func samples(frags []*fragments.Fragment) int {
	n := 0
	for _, f := range frags {
		for _, c := range f.Samples {
			n += c
		}
	}
	return n
}

// BenchmarkMatroska writes every fragment as Matroska.
func BenchmarkMatroska(b *testing.B) {
	frags, media, n := benchFragments(b)
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		m := remux.NewMatroska(io.Discard)
		for i, f := range frags {
			if err := m.WriteFragment(f.Init.Bytes, media[i], f.ProducerStart, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkTS writes every fragment as an MPEG-TS segment.
func BenchmarkTS(b *testing.B) {
	frags, media, n := benchFragments(b)
	b.SetBytes(n)
	b.ReportAllocs()
	for b.Loop() {
		for i, f := range frags {
			if _, err := remux.TS(f.Init.Bytes, media[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}
