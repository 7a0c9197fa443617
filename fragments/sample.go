package fragments

import (
	"bytes"
	"fmt"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/opus"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
)

// Unit is one access unit of one track, as depacketized from RTP or WebRTC.
type Unit struct {
	// Track is the index of the track in the tracks given to NewWriter.
	Track int
	// PTS is the presentation time in the track's clock rate, relative to
	// the session's common start (all tracks of a session share it).
	PTS int64
	// Arrival is when the unit arrived at the server.
	Arrival time.Time
	// NTP is the producer's wall clock of the unit (from RTCP sender
	// reports), zero when unknown.
	NTP time.Time
	// Data is, by codec: H.264/H.265 NAL units; AV1 OBUs; VP9 one frame;
	// AAC access units (1024 samples each); Opus one packet; LPCM one buffer
	// of 16-bit big-endian samples.
	Data [][]byte
}

// sample is one fMP4 sample before its duration is known.
type sample struct {
	dts, pts int64 // track clock
	payload  []byte
	sync     bool
	arrival  time.Time
	ntp      time.Time
	dur      int64 // known duration (audio), or 0: from the next sample's DTS
}

// converter turns units of one track into samples and tracks codec
// parameter changes (which need a new init segment).
type converter struct {
	codec      mp4.Codec
	clock      int64
	h264DTS    *h264.DTSExtractor
	h265DTS    *h265.DTSExtractor
	needSync   bool // after an error: drop until the next random access point
	changed    bool // parameters changed since the last init segment
	lpcmFrameB int  // bytes per LPCM sample frame
}

func newConverter(t Track) *converter {
	c := &converter{codec: t.Codec, clock: int64(t.ClockRate), needSync: true}
	if l, ok := t.Codec.(*mp4.CodecLPCM); ok {
		c.lpcmFrameB = l.BitDepth / 8 * max(l.ChannelCount, 1)
	}
	return c
}

// convert returns the samples of u. Errors describe bad input; the caller
// logs them and goes on (the converter resynchronises at the next keyframe).
func (c *converter) convert(u Unit) ([]sample, error) {
	switch codec := c.codec.(type) {
	case *mp4.CodecH264:
		return c.convertH264(codec, u)
	case *mp4.CodecH265:
		return c.convertH265(codec, u)
	case *mp4.CodecAV1:
		return c.convertAV1(codec, u)
	case *mp4.CodecVP9:
		if len(u.Data) != 1 || len(u.Data[0]) == 0 {
			return nil, nil
		}
		sync := u.Data[0][0]&0x04 == 0 // VP9 uncompressed header: frame_type 0 = key frame (profile 0-2 layout)
		return c.video(u, u.PTS, u.Data[0], sync)
	case *mp4.CodecMPEG4Audio:
		out := make([]sample, 0, len(u.Data))
		for i, au := range u.Data {
			out = append(out, sample{dts: u.PTS + int64(i)*1024, pts: u.PTS + int64(i)*1024, payload: au, sync: true, arrival: u.Arrival, ntp: u.NTP, dur: 1024})
		}
		return out, nil
	case *mp4.CodecOpus:
		var out []sample
		pts := u.PTS
		for _, pkt := range u.Data {
			d := opus.PacketDuration2(pkt)
			if d <= 0 {
				continue
			}
			out = append(out, sample{dts: pts, pts: pts, payload: pkt, sync: true, arrival: u.Arrival, ntp: u.NTP, dur: d})
			pts += d
		}
		return out, nil
	case *mp4.CodecLPCM:
		var out []sample
		pts := u.PTS
		for _, buf := range u.Data {
			n := int64(len(buf) / c.lpcmFrameB)
			if n == 0 {
				continue
			}
			out = append(out, sample{dts: pts, pts: pts, payload: buf[:n*int64(c.lpcmFrameB)], sync: true, arrival: u.Arrival, ntp: u.NTP, dur: n})
			pts += n
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: %T", ErrUnsupportedCodec, c.codec)
}

// video builds one video sample, dropping until a sync sample after errors.
func (c *converter) video(u Unit, dts int64, payload []byte, sync bool) ([]sample, error) {
	if c.needSync && !sync {
		return nil, nil
	}
	c.needSync = false
	return []sample{{dts: dts, pts: u.PTS, payload: payload, sync: sync, arrival: u.Arrival, ntp: u.NTP}}, nil
}

func (c *converter) convertH264(codec *mp4.CodecH264, u Unit) ([]sample, error) {
	au := make([][]byte, 0, len(u.Data))
	for _, nalu := range u.Data {
		if len(nalu) == 0 {
			continue
		}
		switch h264.NALUType(nalu[0] & 0x1f) {
		case h264.NALUTypeSPS:
			if !bytes.Equal(codec.SPS, nalu) {
				codec.SPS, c.changed = bytes.Clone(nalu), true
			}
		case h264.NALUTypePPS:
			if !bytes.Equal(codec.PPS, nalu) {
				codec.PPS, c.changed = bytes.Clone(nalu), true
			}
		case h264.NALUTypeAccessUnitDelimiter:
		default:
			au = append(au, nalu)
		}
	}
	if len(au) == 0 {
		return nil, nil
	}
	if codec.SPS == nil || codec.PPS == nil {
		return nil, nil // parameters not known yet: neither in the SDP nor in band
	}
	sync := h264.IsRandomAccess(au)
	if c.needSync && !sync {
		return nil, nil
	}
	if c.h264DTS == nil || sync && c.needSync {
		c.h264DTS = h264.NewDTSExtractor()
	}
	withParams := au
	if sync {
		withParams = append([][]byte{codec.SPS, codec.PPS}, au...)
	}
	dts, err := c.h264DTS.Extract(withParams, u.PTS)
	if err != nil {
		c.needSync, c.h264DTS = true, nil
		return nil, fmt.Errorf("H264 timing: %w", err)
	}
	payload, err := h264.AVCC(au).Marshal()
	if err != nil {
		c.needSync = true
		return nil, fmt.Errorf("H264: %w", err)
	}
	return c.video(u, dts, payload, sync)
}

func (c *converter) convertH265(codec *mp4.CodecH265, u Unit) ([]sample, error) {
	au := make([][]byte, 0, len(u.Data))
	for _, nalu := range u.Data {
		if len(nalu) < 2 {
			continue
		}
		switch h265.NALUType((nalu[0] >> 1) & 0x3f) {
		case h265.NALUType_VPS_NUT:
			if !bytes.Equal(codec.VPS, nalu) {
				codec.VPS, c.changed = bytes.Clone(nalu), true
			}
		case h265.NALUType_SPS_NUT:
			if !bytes.Equal(codec.SPS, nalu) {
				codec.SPS, c.changed = bytes.Clone(nalu), true
			}
		case h265.NALUType_PPS_NUT:
			if !bytes.Equal(codec.PPS, nalu) {
				codec.PPS, c.changed = bytes.Clone(nalu), true
			}
		case h265.NALUType_AUD_NUT:
		default:
			au = append(au, nalu)
		}
	}
	if len(au) == 0 || codec.VPS == nil || codec.SPS == nil || codec.PPS == nil {
		return nil, nil
	}
	sync := h265.IsRandomAccess(au)
	if c.needSync && !sync {
		return nil, nil
	}
	if c.h265DTS == nil || sync && c.needSync {
		c.h265DTS = h265.NewDTSExtractor()
	}
	withParams := au
	if sync {
		withParams = append([][]byte{codec.VPS, codec.SPS, codec.PPS}, au...)
	}
	dts, err := c.h265DTS.Extract(withParams, u.PTS)
	if err != nil {
		c.needSync, c.h265DTS = true, nil
		return nil, fmt.Errorf("H265 timing: %w", err)
	}
	payload, err := h264.AVCC(au).Marshal()
	if err != nil {
		c.needSync = true
		return nil, fmt.Errorf("H265: %w", err)
	}
	return c.video(u, dts, payload, sync)
}

func (c *converter) convertAV1(codec *mp4.CodecAV1, u Unit) ([]sample, error) {
	for _, obu := range u.Data {
		var h av1.OBUHeader
		if h.Unmarshal(obu) == nil && h.Type == av1.OBUTypeSequenceHeader && !bytes.Equal(codec.SequenceHeader, obu) {
			codec.SequenceHeader, c.changed = bytes.Clone(obu), true
		}
	}
	if codec.SequenceHeader == nil {
		return nil, nil
	}
	var s fmp4.Sample
	if err := s.FillAV1(u.Data); err != nil {
		c.needSync = true
		return nil, fmt.Errorf("AV1: %w", err)
	}
	return c.video(u, u.PTS, s.Payload, !s.IsNonSyncSample)
}
