package remux

import (
	"bytes"
	"fmt"
	"reflect"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
)

// Media is parsed fMP4: the tracks of an init segment, each with the
// samples of the fragments given, in decode order.
type Media struct {
	Tracks []*Track
}

// Track is one track of an init segment and its samples.
type Track struct {
	ID        int
	TimeScale int64
	Codec     mp4.Codec
	Samples   []Sample
}

// Sample is one access unit (video frame, audio frame) of a track.
type Sample struct {
	// DTS and PTS are absolute: the fragment's base media decode time plus
	// the durations before, in the track's timescale.
	DTS, PTS int64
	Duration int64
	// Sync is true for random access points (video keyframes; every audio
	// sample).
	Sync bool
	// Payload is the sample as stored: length-prefixed NAL units for
	// H.264/H.265, an AAC access unit, an Opus packet, ... It aliases the
	// fragment's bytes.
	Payload []byte
}

// End is the decode time just after the sample.
func (s Sample) End() int64 { return s.DTS + s.Duration }

// Parse parses an init segment and any number of its fragments (each one
// or more moof+mdat pairs). The samples alias the media bytes.
func Parse(init []byte, media ...[]byte) (*Media, error) {
	var in fmp4.Init
	if err := in.Unmarshal(bytes.NewReader(init)); err != nil {
		return nil, fmt.Errorf("%w: init segment: %v", ErrInvalidMedia, err)
	}
	m := &Media{}
	for _, t := range in.Tracks {
		m.Tracks = append(m.Tracks, &Track{ID: t.ID, TimeScale: int64(t.TimeScale), Codec: t.Codec})
	}
	for _, b := range media {
		if err := m.add(b); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// add appends the samples of one fragment: with addFast, else (a
// fragment some other muxer wrote) with mediacommon.
func (m *Media) add(b []byte) error {
	if m.addFast(b) {
		return nil
	}
	return m.addParts(b)
}

// addParts appends the samples of one fragment as mediacommon reads them.
func (m *Media) addParts(b []byte) error {
	var parts fmp4.Parts
	if err := parts.Unmarshal(b); err != nil {
		return fmt.Errorf("%w: fragment: %v", ErrInvalidMedia, err)
	}
	for _, p := range parts {
		for _, pt := range p.Tracks {
			t := m.track(pt.ID)
			if t == nil {
				return fmt.Errorf("%w: fragment has track %d, the init segment has not", ErrInvalidMedia, pt.ID)
			}
			dts := int64(pt.BaseTime)
			for _, s := range pt.Samples {
				t.Samples = append(t.Samples, Sample{
					DTS: dts, PTS: dts + int64(s.PTSOffset), Duration: int64(s.Duration),
					Sync: !s.IsNonSyncSample, Payload: s.Payload,
				})
				dts += int64(s.Duration)
			}
		}
	}
	return nil
}

func (m *Media) track(id int) *Track {
	for _, t := range m.Tracks {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// Leader is the track that times the media: the first video track, else
// the first track; nil without tracks.
func (m *Media) Leader() *Track {
	for _, t := range m.Tracks {
		if t.Codec.IsVideo() {
			return t
		}
	}
	if len(m.Tracks) > 0 {
		return m.Tracks[0]
	}
	return nil
}

// sameTracks reports whether two parsed init segments describe the same
// tracks with the same codec parameters.
func sameTracks(a, b *Media) bool {
	if len(a.Tracks) != len(b.Tracks) {
		return false
	}
	for i, t := range a.Tracks {
		u := b.Tracks[i]
		if t.ID != u.ID || t.TimeScale != u.TimeScale || !reflect.DeepEqual(t.Codec, u.Codec) {
			return false
		}
	}
	return true
}

// fragment parses one fragment of the init segment m describes into Media
// with m's tracks: f, whose tracks and samples are reused, or new Media
// when f is nil.
func (m *Media) fragment(b []byte, f *Media) (*Media, error) {
	if f == nil || len(f.Tracks) != len(m.Tracks) {
		f = &Media{Tracks: make([]*Track, len(m.Tracks))}
		for i := range f.Tracks {
			f.Tracks[i] = &Track{}
		}
	}
	for i, t := range m.Tracks {
		ft := f.Tracks[i]
		clear(ft.Samples) // drop the payloads of the fragment before
		ft.ID, ft.TimeScale, ft.Codec, ft.Samples = t.ID, t.TimeScale, t.Codec, ft.Samples[:0]
	}
	if err := f.add(b); err != nil {
		return nil, err
	}
	return f, nil
}
