package fragmentstest

import (
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments"
)

// Feeder writes the test media (Video looped at 25 fps, a keyframe every
// second, and Audio's AAC at 48 kHz) frame by frame, as the test paces it,
// with arrival times from a start.
type Feeder struct {
	write func(fragments.Unit)
	video [][][]byte
	audio [][]byte
	start time.Time
	frame int
	aac   int
}

// NewFeeder returns a Feeder writing to write (a recorder session's
// Write), its media arriving from start.
func NewFeeder(t testing.TB, start time.Time, write func(fragments.Unit)) *Feeder {
	t.Helper()
	_, audio := Audio(t)
	return &Feeder{write: write, video: Video(t), audio: audio, start: start}
}

// Frames writes the next n video frames, and the audio up to them.
func (f *Feeder) Frames(n int) {
	for range n {
		vt := time.Duration(f.frame) * 40 * time.Millisecond
		for time.Duration(f.aac)*time.Second*1024/48000 <= vt {
			f.write(fragments.Unit{Track: 1, PTS: int64(f.aac) * 1024, Arrival: f.start.Add(vt), Data: [][]byte{f.audio[f.aac%len(f.audio)]}})
			f.aac++
		}
		f.write(fragments.Unit{Track: 0, PTS: int64(f.frame) * 3600, Arrival: f.start.Add(vt), Data: f.video[f.frame%len(f.video)]})
		f.frame++
	}
}

// Count is the number of video frames written so far.
func (f *Feeder) Count() int { return f.frame }
