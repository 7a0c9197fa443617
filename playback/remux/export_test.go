package remux

import (
	"bytes"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"
)

// ParseFast is Parse with the hand-written fragment reader alone: ok is
// false when it leaves a fragment to mediacommon (m is nil then).
func ParseFast(init []byte, media ...[]byte) (m *Media, ok bool, err error) {
	if m, err = Parse(init); err != nil {
		return nil, false, err
	}
	for _, b := range media {
		if !m.addFast(b) {
			return nil, false, nil
		}
	}
	return m, true, nil
}

// ParseMediacommon is Parse with mediacommon's fragment reader alone.
func ParseMediacommon(init []byte, media ...[]byte) (*Media, error) {
	m, err := Parse(init)
	if err != nil {
		return nil, err
	}
	for _, b := range media {
		if err := m.addParts(b); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// PartTrack is a track of a part for MarshalPart.
type PartTrack struct {
	ID      int
	Base    int64
	Samples []Sample
}

// MarshalPart writes one moof+mdat with the hand-written writer (the
// moof and mdat header, then the payloads) and with mediacommon.
func MarshalPart(seq uint32, tracks []PartTrack) (fast, mediacommon []byte, err error) {
	var pts []partTrack
	part := fmp4.Part{SequenceNumber: seq}
	for _, t := range tracks {
		pts = append(pts, partTrack{id: t.ID, base: t.Base, samples: t.Samples})
		pt := &fmp4.PartTrack{ID: t.ID, BaseTime: uint64(t.Base)}
		for _, s := range t.Samples {
			pt.Samples = append(pt.Samples, &fmp4.Sample{
				Duration: uint32(s.Duration), PTSOffset: int32(s.PTS - s.DTS),
				IsNonSyncSample: !s.Sync, Payload: s.Payload,
			})
		}
		part.Tracks = append(part.Tracks, pt)
	}
	if fast, err = appendPart(nil, seq, pts); err != nil {
		return nil, nil, err
	}
	for _, t := range pts {
		for _, s := range t.samples {
			fast = append(fast, s.Payload...)
		}
	}
	var buf seekablebuffer.Buffer
	if err := part.Marshal(&buf); err != nil {
		return nil, nil, err
	}
	return fast, bytes.Clone(buf.Bytes()), nil
}
