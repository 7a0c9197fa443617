package fragments

import (
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
)

// CanGOP reports whether GOP serves track: an H.264 or H.265 video track
// (their samples turn back into the NAL units they were written from).
func (w *Writer) CanGOP(track int) bool {
	if track < 0 || track >= len(w.tracks) {
		return false
	}
	switch w.tracks[track].conv.codec.(type) {
	case *mp4.CodecH264, *mp4.CodecH265:
		return true
	}
	return false
}

// GOP returns the access units of track (one CanGOP serves) from the open
// fragment's last keyframe on, as they were written to the Writer so far
// (parameter sets and delimiters aside): those in the open fragment's
// parts, given as its OnPart receiver keeps them (bytes or spill), then
// those not yet in a part. With these, a live viewer who arrives now
// starts at a keyframe without anyone caching the group of pictures a
// second time. It returns none when the open fragment holds no keyframe
// of the track (it was cut mid-GOP), and an error when a part cannot be
// read back. Called by the Writer's owner, between Writes.
func (w *Writer) GOP(track int, parts []*Part) ([]Unit, error) {
	if !w.CanGOP(track) || w.frag == nil {
		return nil, nil
	}
	t := w.tracks[track]
	var out []Unit
	add := func(pts int64, sync bool, payload []byte) error {
		var au h264.AVCC
		if err := au.Unmarshal(payload); err != nil {
			return fmt.Errorf("fragments: a written sample does not read back: %w", err)
		}
		if sync {
			clear(out)
			out = out[:0]
		} else if len(out) == 0 {
			return nil // before the first keyframe
		}
		out = append(out, Unit{Track: track, PTS: pts - t.shift, Data: au})
		return nil
	}
	for _, p := range parts {
		if p.Session != w.cfg.Session || p.Fragment != w.frag.index {
			continue
		}
		b, err := p.Data()
		if err != nil {
			return nil, err
		}
		var ps fmp4.Parts
		if err := ps.Unmarshal(b); err != nil {
			return nil, fmt.Errorf("fragments: a written part does not read back: %w", err)
		}
		for _, fp := range ps {
			for _, pt := range fp.Tracks {
				if pt.ID != t.id {
					continue
				}
				dts := int64(pt.BaseTime) - t.epoch
				for _, s := range pt.Samples {
					if err := add(dts+int64(s.PTSOffset), !s.IsNonSyncSample, s.Payload); err != nil {
						return nil, err
					}
					dts += int64(s.Duration)
				}
			}
		}
	}
	dts := t.partBase
	for _, s := range t.samples {
		if err := add(dts+int64(s.PTSOffset), !s.IsNonSyncSample, s.Payload); err != nil {
			return nil, err
		}
		dts += int64(s.Duration)
	}
	if s := t.pending; s != nil {
		if err := add(s.pts, s.sync, s.payload); err != nil {
			return nil, err
		}
	}
	return out, nil
}
