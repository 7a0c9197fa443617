package relay

import (
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/vp9"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
)

// isKeyframe reports whether a video access unit can be decoded on its
// own (with parameter sets known).
func isKeyframe(c any, data [][]byte) bool {
	switch c.(type) {
	case *mp4.CodecH264:
		return h264.IsRandomAccess(data)
	case *mp4.CodecH265:
		return h265.IsRandomAccess(data)
	case *mp4.CodecAV1:
		return av1.IsRandomAccess2(data)
	case *mp4.CodecVP9:
		var h vp9.Header
		return len(data) == 1 && h.Unmarshal(data[0]) == nil && !h.NonKeyFrame
	}
	return false
}

// paramSets tracks the parameter sets of an H.264 or H.265 track, so that
// every keyframe a subscription gets carries them in band.
type paramSets struct {
	kind          int // 0 none, 264, 265
	vps, sps, pps []byte
}

func paramsOf(c mp4.Codec) paramSets {
	switch c := c.(type) {
	case *mp4.CodecH264:
		return paramSets{kind: 264, sps: c.SPS, pps: c.PPS}
	case *mp4.CodecH265:
		return paramSets{kind: 265, vps: c.VPS, sps: c.SPS, pps: c.PPS}
	}
	return paramSets{}
}

func (ps *paramSets) update(data [][]byte) {
	for _, n := range data {
		if len(n) < 2 {
			continue
		}
		switch ps.kind {
		case 264:
			switch h264.NALUType(n[0] & 0x1f) {
			case h264.NALUTypeSPS:
				ps.sps = n
			case h264.NALUTypePPS:
				ps.pps = n
			}
		case 265:
			switch h265.NALUType((n[0] >> 1) & 0x3f) {
			case h265.NALUType_VPS_NUT:
				ps.vps = n
			case h265.NALUType_SPS_NUT:
				ps.sps = n
			case h265.NALUType_PPS_NUT:
				ps.pps = n
			}
		}
	}
}

// complete returns data with the known parameter sets it lacks in front.
func (ps *paramSets) complete(data [][]byte) [][]byte {
	var has [3]bool // vps, sps, pps
	for _, n := range data {
		if len(n) < 2 {
			continue
		}
		switch ps.kind {
		case 264:
			switch h264.NALUType(n[0] & 0x1f) {
			case h264.NALUTypeSPS:
				has[1] = true
			case h264.NALUTypePPS:
				has[2] = true
			}
		case 265:
			switch h265.NALUType((n[0] >> 1) & 0x3f) {
			case h265.NALUType_VPS_NUT:
				has[0] = true
			case h265.NALUType_SPS_NUT:
				has[1] = true
			case h265.NALUType_PPS_NUT:
				has[2] = true
			}
		}
	}
	var front [][]byte
	for i, p := range [][]byte{ps.vps, ps.sps, ps.pps} {
		if p != nil && !has[i] {
			front = append(front, p)
		}
	}
	if front == nil {
		return data
	}
	return append(front, data...)
}

// codec returns a copy of c with the current parameter sets.
func (ps *paramSets) codec(c mp4.Codec) mp4.Codec {
	switch c := c.(type) {
	case *mp4.CodecH264:
		v := *c
		v.SPS, v.PPS = ps.sps, ps.pps
		return &v
	case *mp4.CodecH265:
		v := *c
		v.VPS, v.SPS, v.PPS = ps.vps, ps.sps, ps.pps
		return &v
	}
	return c
}
