package remux_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/playback/remux"
	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/fs"
)

// clipMedia are the streams BenchmarkClipStorage clips: the test media as
// it is (320x240 H.264 at about 200 kb/s, and AAC), and the same with its
// video padded (filler NAL units) to a camera's 4 Mb/s: keyframes of
// 100 kB, other frames of 16.7 kB.
var clipMedia = []struct {
	name            string
	keyframe, other int // padded video access unit sizes; 0 keeps the test media's
}{
	{"test-media", 0, 0},
	{"4Mbps", 100_000, 16_700},
}

// longSession is minutes of the test media as one session, the media
// repeated back to back, in fragments of 2 s; video access units are
// padded with filler NAL units to keyframe and other bytes when those are
// not 0.
func longSession(t testing.TB, minutes, keyframe, other int) []*fragments.Fragment {
	t.Helper()
	var out []*fragments.Fragment
	tracks := fragmentstest.Tracks(t)
	w, err := fragments.NewWriter(fragments.WriterConfig{
		Session: "long", OnFragment: func(f *fragments.Fragment) { out = append(out, f) },
	}, tracks)
	if err != nil {
		t.Fatal(err)
	}
	const loop = 4 * time.Second // the test media's length
	for i := range minutes * int(time.Minute/loop) {
		fragmentstest.Feed(t, start.Add(time.Duration(i)*loop), false, func(u fragments.Unit) {
			u.PTS += int64(i) * int64(loop/time.Second) * int64(tracks[u.Track].ClockRate)
			if u.Track == 0 && keyframe > 0 {
				u.Data = padAccessUnit(u.Data, keyframe, other)
			}
			w.Write(u)
		})
	}
	w.Close()
	return out
}

// padAccessUnit appends a filler NAL unit (H.264 type 12) to an access
// unit, to keyframe bytes for an IDR picture and other bytes else.
func padAccessUnit(au [][]byte, keyframe, other int) [][]byte {
	size, n := other, 0
	for _, nalu := range au {
		if nalu[0]&0x1f == 5 {
			size = keyframe
		}
		n += 4 + len(nalu)
	}
	if n+6 > size {
		return au
	}
	filler := make([]byte, size-n-4)
	filler[0] = 12
	for i := 1; i < len(filler)-1; i++ {
		filler[i] = 0xff
	}
	filler[len(filler)-1] = 0x80
	return append(au[:len(au):len(au)], filler)
}

// BenchmarkClipStorage is the GetClip target (BENCHMARKS.md, "clip >= 50%
// of cat"): a 10-minute clip (300 fragments of 2 s) read from the fs
// storage provider as GetClip reads it (each object whole into one
// reused buffer sized from the index, as playback.Source.ReadMedia does)
// and written to io.Discard,
// against cat, which copies the same objects from the same files to
// io.Discard (cat128k: in 128 KiB reads, as GNU cat). All report the
// fragments' bytes per second; the files are in the page cache after the
// first iteration.
func BenchmarkClipStorage(b *testing.B) {
	ctx := context.Background()
	for _, media := range clipMedia {
		frags := longSession(b, 10, media.keyframe, media.other)
		if len(frags) != 300 {
			b.Fatalf("%d fragments, want 300", len(frags))
		}
		bucket, err := fs.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		defer bucket.Close()
		keys := make([]string, len(frags))
		var size int64
		for i, f := range frags {
			keys[i] = fmt.Sprintf("stream/%06d.m4s", i)
			if err := bucket.Put(ctx, keys[i], f.Reader(), int64(f.Size)); err != nil {
				b.Fatal(err)
			}
			size += int64(f.Size)
		}
		const initKey = "stream/init.mp4"
		if err := bucket.Put(ctx, initKey, bytes.NewReader(frags[0].Init.Bytes), int64(len(frags[0].Init.Bytes))); err != nil {
			b.Fatal(err)
		}
		read := func(key string, dst []byte, size int64) []byte {
			rc, err := bucket.Get(ctx, key)
			if err != nil {
				b.Fatal(err)
			}
			defer rc.Close()
			body, err := storage.AppendAll(dst, rc, size)
			if err != nil {
				b.Fatal(err)
			}
			return body
		}
		cat := func(b *testing.B, copy func(io.Reader) error) {
			b.SetBytes(size)
			for b.Loop() {
				for _, key := range keys {
					rc, err := bucket.Get(ctx, key)
					if err != nil {
						b.Fatal(err)
					}
					if err := copy(rc); err != nil {
						b.Fatal(err)
					}
					rc.Close()
				}
			}
		}
		b.Run("media="+media.name+"/cat", func(b *testing.B) {
			cat(b, func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err })
		})
		b.Run("media="+media.name+"/cat128k", func(b *testing.B) {
			// GNU cat's 128 KiB reads (io.Discard's ReadFrom reads 8 KiB).
			buf := make([]byte, 128<<10)
			cat(b, func(r io.Reader) error {
				_, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, r, buf)
				return err
			})
		})
		b.Run("media="+media.name+"/clip", func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				init := read(initKey, nil, 0) // held by playback.Source's cache for every fragment
				var media []byte
				c := remux.NewClip(io.Discard, start, start.Add(10*time.Minute))
				for i, f := range frags {
					media = read(keys[i], media[:0], int64(f.Size))
					if err := c.Add(init, media, f.ProducerStart); err != nil {
						b.Fatal(err)
					}
				}
				if err := c.Close(); err != nil {
					b.Fatal(err)
				}
				if c.Written() < size*9/10 {
					b.Fatalf("the clip has %d bytes of the range's %d", c.Written(), size)
				}
			}
		})
	}
}
