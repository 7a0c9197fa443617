package fragments

import (
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
)

// Track is one elementary stream of a session: its codec (with parameters,
// as mediacommon's mp4 codecs describe them) and its clock rate, which is
// also its fMP4 timescale.
//
// Supported codecs: mp4.CodecH264, CodecH265, CodecAV1, CodecVP9 (video);
// CodecMPEG4Audio (AAC), CodecOpus, CodecLPCM (16-bit big-endian PCM, what
// G.711 is converted to). Others are refused by NewWriter.
type Track struct {
	Codec     mp4.Codec
	ClockRate int
}

// TrackInfo describes a track in the fragment index and to players.
type TrackInfo struct {
	ID         int    `json:"id"`
	Kind       string `json:"kind"`  // "video" or "audio"
	Codec      string `json:"codec"` // RFC 6381 codec string, e.g. "avc1.64001f", "mp4a.40.2"
	Name       string `json:"name"`  // H264, H265, AV1, VP9, AAC, Opus, LPCM
	Width      int    `json:"width,omitempty"`
	Height     int    `json:"height,omitempty"`
	SampleRate int    `json:"sample_rate,omitempty"`
	Channels   int    `json:"channels,omitempty"`
	Timescale  int    `json:"timescale"`
}

func trackInfo(id int, t Track) TrackInfo {
	ti := TrackInfo{ID: id, Timescale: t.ClockRate, Kind: "audio"}
	switch c := t.Codec.(type) {
	case *mp4.CodecH264:
		ti.Kind, ti.Name, ti.Codec = "video", "H264", "avc1"
		var sps h264.SPS
		if len(c.SPS) >= 4 && sps.Unmarshal(c.SPS) == nil {
			ti.Codec = fmt.Sprintf("avc1.%02x%02x%02x", c.SPS[1], c.SPS[2], c.SPS[3])
			ti.Width, ti.Height = sps.Width(), sps.Height()
		}
	case *mp4.CodecH265:
		ti.Kind, ti.Name, ti.Codec = "video", "H265", "hvc1"
		var sps h265.SPS
		if sps.Unmarshal(c.SPS) == nil {
			ti.Width, ti.Height = sps.Width(), sps.Height()
			ti.Codec = h265CodecString(&sps)
		}
	case *mp4.CodecAV1:
		ti.Kind, ti.Name, ti.Codec = "video", "AV1", "av01.0.08M.08"
	case *mp4.CodecVP9:
		ti.Kind, ti.Name = "video", "VP9"
		ti.Width, ti.Height = c.Width, c.Height
		ti.Codec = fmt.Sprintf("vp09.%02d.10.%02d", c.Profile, max(c.BitDepth, 8))
	case *mp4.CodecMPEG4Audio:
		ti.Name = "AAC"
		ti.Codec = fmt.Sprintf("mp4a.40.%d", int(c.Config.Type))
		ti.SampleRate, ti.Channels = c.Config.SampleRate, c.Config.ChannelCount
	case *mp4.CodecOpus:
		ti.Name, ti.Codec = "Opus", "opus"
		ti.SampleRate, ti.Channels = 48000, c.ChannelCount
	case *mp4.CodecLPCM:
		ti.Name, ti.Codec = "LPCM", "ipcm"
		ti.SampleRate, ti.Channels = c.SampleRate, c.ChannelCount
	}
	return ti
}

func h265CodecString(sps *h265.SPS) string {
	ptl := sps.ProfileTierLevel
	tier := "L"
	if ptl.GeneralTierFlag != 0 {
		tier = "H"
	}
	return fmt.Sprintf("hvc1.%d.4.%s%d.B0", ptl.GeneralProfileIdc, tier, ptl.GeneralLevelIdc)
}

// isVideo reports whether a codec is a video codec.
func isVideo(c mp4.Codec) bool { return c.IsVideo() }

func checkCodec(t Track) error {
	switch t.Codec.(type) {
	case *mp4.CodecH264, *mp4.CodecH265, *mp4.CodecAV1, *mp4.CodecVP9,
		*mp4.CodecMPEG4Audio, *mp4.CodecOpus, *mp4.CodecLPCM:
	default:
		return fmt.Errorf("%w: %T", ErrUnsupportedCodec, t.Codec)
	}
	if t.ClockRate <= 0 {
		return fmt.Errorf("fragments: track clock rate %d", t.ClockRate)
	}
	return nil
}

// TrackInfoOf describes track t with the given track ID.
func TrackInfoOf(id int, t Track) TrackInfo { return trackInfo(id, t) }
