package remux_test

import (
	"io"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/playback/remux"
)

// FuzzRemux: whatever the bytes, the writers return an error or output,
// never panic. Seeds: the test media's init segment and fragments.
func FuzzRemux(f *testing.F) {
	for _, fr := range session(f, "s", start, time.Second, time.Time{}) {
		f.Add(fr.Init.Bytes, fr.Bytes())
	}
	f.Fuzz(func(t *testing.T, init, media []byte) {
		_, _ = remux.TS(init, media)
		c := remux.NewClip(io.Discard, start, start.Add(time.Hour))
		_ = c.Add(init, media, start)
		_ = c.Close()
		_ = remux.NewMatroska(io.Discard).WriteFragment(init, media, start, []remux.Tag{{Name: "N", Value: "v"}})
		if m, err := remux.Parse(init, media); err == nil {
			_ = m.Leader()
		}
	})
}
