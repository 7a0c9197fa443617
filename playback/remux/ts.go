package remux

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
)

// tsClock is the MPEG-TS clock rate, and tsWrap the range of its 33-bit
// timestamps.
const (
	tsClock = 90000
	tsWrap  = 1 << 33
)

// TSTime is the MPEG-TS time (PTS or DTS) of an absolute media time:
// ticks of timescale become 90 kHz, modulo 2^33.
func TSTime(t, timescale int64) int64 {
	v := rescale(t, timescale, tsClock) % tsWrap
	if v < 0 {
		v += tsWrap
	}
	return v
}

// TS returns the MPEG-TS of the fragments (in the order given, normally
// consecutive fragments of one session). Every track the init segment has
// that MPEG-TS carries is written (see the package documentation); the
// first video track carries the PCR. Timestamps are TSTime of the samples'
// absolute times, so segments made separately line up. The output starts
// with PAT and PMT, and with the video track's first sample.
func TS(init []byte, media ...[]byte) ([]byte, error) {
	in, _, err := parseInit(init)
	if err != nil {
		return nil, err
	}
	m := &Media{Tracks: in.Tracks}
	for _, b := range media {
		if err := m.add(b); err != nil {
			return nil, err
		}
	}
	var tracks []*tsTrack
	for _, t := range m.Tracks {
		if tt := newTSTrack(t); tt != nil {
			tracks = append(tracks, tt)
		}
	}
	if len(tracks) == 0 {
		return nil, fmt.Errorf("%w in MPEG-TS", ErrNoTracks)
	}
	// The video track first: the mpegts writer puts the PCR on the track
	// written first, and PAT/PMT before its random access points.
	sort.SliceStable(tracks, func(i, j int) bool { return tracks[i].src.Codec.IsVideo() && !tracks[j].src.Codec.IsVideo() })
	var buf bytes.Buffer
	buf.Grow(tsSize(m))
	w := &mpegts.Writer{W: &buf}
	for _, t := range tracks {
		w.Tracks = append(w.Tracks, t.ts)
	}
	if err := w.Initialize(); err != nil {
		return nil, err
	}
	for _, u := range interleave(tracks) {
		if err := u.track.write(w, u.sample); err != nil {
			return nil, fmt.Errorf("MPEG-TS: track %d: %w", u.track.src.ID, err)
		}
	}
	return buf.Bytes(), nil
}

// tsSize estimates the size of the TS output: payload plus 4% packet
// overhead plus PES headers.
func tsSize(m *Media) int {
	n := 0
	for _, t := range m.Tracks {
		for _, s := range t.Samples {
			n += len(s.Payload) + 64
		}
	}
	return n + n/24 + 1024
}

// tsTrack is a source track and its MPEG-TS track.
type tsTrack struct {
	src *Track
	ts  *mpegts.Track
}

func newTSTrack(t *Track) *tsTrack {
	var c mpegts.Codec
	switch codec := t.Codec.(type) {
	case *mp4.CodecH264:
		c = &mpegts.CodecH264{}
	case *mp4.CodecH265:
		c = &mpegts.CodecH265{}
	case *mp4.CodecMPEG4Audio:
		c = &mpegts.CodecMPEG4Audio{Config: codec.Config}
	case *mp4.CodecOpus:
		c = &mpegts.CodecOpus{ChannelCount: codec.ChannelCount}
	default:
		return nil // AV1, VP9, LPCM: see the package documentation
	}
	return &tsTrack{src: t, ts: &mpegts.Track{Codec: c}}
}

type tsUnit struct {
	track  *tsTrack
	sample Sample
}

// interleave orders the samples of all tracks by decode time, with the
// first video sample first (audio that starts slightly before it follows
// it, as its timestamps say).
func interleave(tracks []*tsTrack) []tsUnit {
	var units []tsUnit
	for _, t := range tracks {
		for _, s := range t.src.Samples {
			units = append(units, tsUnit{t, s})
		}
	}
	at := func(u tsUnit) int64 { return ns(u.sample.DTS, u.track.src.TimeScale) }
	sort.SliceStable(units, func(i, j int) bool { return at(units[i]) < at(units[j]) })
	for i, u := range units {
		if u.track.src.Codec.IsVideo() {
			if i > 0 {
				copy(units[1:i+1], units[:i])
				units[0] = u
			}
			break
		}
	}
	return units
}

func (t *tsTrack) write(w *mpegts.Writer, s Sample) error {
	ts := t.src.TimeScale
	pts, dts := TSTime(s.PTS, ts), TSTime(s.DTS, ts)
	switch codec := t.src.Codec.(type) {
	case *mp4.CodecH264:
		au, err := annexBUnits(s.Payload)
		if err != nil {
			return err
		}
		if s.Sync && !hasH264Params(au) {
			au = append([][]byte{codec.SPS, codec.PPS}, au...)
		}
		return w.WriteH264(t.ts, pts, dts, au)
	case *mp4.CodecH265:
		au, err := annexBUnits(s.Payload)
		if err != nil {
			return err
		}
		if s.Sync && !hasH265Params(au) {
			au = append([][]byte{codec.VPS, codec.SPS, codec.PPS}, au...)
		}
		return w.WriteH265(t.ts, pts, dts, au)
	case *mp4.CodecMPEG4Audio:
		return w.WriteMPEG4Audio(t.ts, pts, [][]byte{s.Payload})
	case *mp4.CodecOpus:
		return w.WriteOpus(t.ts, pts, [][]byte{s.Payload})
	}
	return nil
}

// annexBUnits splits a length-prefixed (4-byte) sample into NAL units.
func annexBUnits(payload []byte) ([][]byte, error) {
	var au h264.AVCC
	if err := au.Unmarshal(payload); err != nil {
		return nil, fmt.Errorf("%w: sample: %v", ErrInvalidMedia, err)
	}
	return au, nil
}

func hasH264Params(au [][]byte) bool {
	for _, n := range au {
		if len(n) > 0 && h264.NALUType(n[0]&0x1f) == h264.NALUTypeSPS {
			return true
		}
	}
	return false
}

func hasH265Params(au [][]byte) bool {
	for _, n := range au {
		if len(n) > 0 && h265.NALUType((n[0]>>1)&0x3f) == h265.NALUType_SPS_NUT {
			return true
		}
	}
	return false
}
