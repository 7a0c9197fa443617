package remux

import (
	"encoding/binary"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"

	"github.com/sluice-dev/sluice/fragments"
)

// Matroska track types.
const (
	mkvTrackVideo = 1
	mkvTrackAudio = 2
)

// mkvTrack describes a track in Matroska (codec IDs of the Matroska codec
// mappings): its codec private data is the fMP4 sample entry's
// configuration record (avcC, hvcC, av1C) as stored in the init segment,
// AAC's AudioSpecificConfig, or an OpusHead.
func mkvTrack(number int, t *Track, records map[int][]byte) (mkvTrackEntry, error) {
	info := fragments.TrackInfoOf(t.ID, fragments.Track{Codec: t.Codec, ClockRate: int(t.TimeScale)})
	e := mkvTrackEntry{TrackNumber: uint64(number), TrackUID: uint64(number), TrackType: mkvTrackAudio}
	if t.Codec.IsVideo() {
		e.TrackType = mkvTrackVideo
		e.Video = &mkvVideo{PixelWidth: uint64(info.Width), PixelHeight: uint64(info.Height)}
	} else {
		e.Audio = &mkvAudio{SamplingFrequency: float64(info.SampleRate), Channels: uint64(max(info.Channels, 1))}
	}
	switch c := t.Codec.(type) {
	case *mp4.CodecH264:
		e.CodecID, e.CodecPrivate = "V_MPEG4/ISO/AVC", records[t.ID]
	case *mp4.CodecH265:
		e.CodecID, e.CodecPrivate = "V_MPEGH/ISO/HEVC", records[t.ID]
	case *mp4.CodecAV1:
		e.CodecID, e.CodecPrivate = "V_AV1", records[t.ID]
	case *mp4.CodecVP9:
		e.CodecID = "V_VP9"
	case *mp4.CodecMPEG4Audio:
		asc, err := c.Config.Marshal()
		if err != nil {
			return e, fmt.Errorf("%w: AAC configuration: %v", ErrInvalidMedia, err)
		}
		e.CodecID, e.CodecPrivate = "A_AAC", asc
	case *mp4.CodecOpus:
		e.CodecID, e.CodecPrivate = "A_OPUS", opusHead(c.ChannelCount)
		e.SeekPreRoll = 80_000_000 // ns, as the Opus mapping asks
	case *mp4.CodecLPCM:
		e.CodecID = "A_PCM/INT/BIG"
		if c.LittleEndian {
			e.CodecID = "A_PCM/INT/LIT"
		}
		e.Audio.BitDepth = uint64(c.BitDepth)
	default:
		return e, fmt.Errorf("%w: codec %T has no Matroska mapping here", ErrInvalidMedia, t.Codec)
	}
	if (e.CodecID == "V_MPEG4/ISO/AVC" || e.CodecID == "V_MPEGH/ISO/HEVC") && len(e.CodecPrivate) == 0 {
		return e, fmt.Errorf("%w: track %d has no decoder configuration record", ErrInvalidMedia, t.ID)
	}
	return e, nil
}

// opusHead is the OpusHead of RFC 7845 for up to two channels (mapping
// family 0, no pre-skip: fMP4 carries none here).
func opusHead(channels int) []byte {
	b := []byte("OpusHead")
	b = append(b, 1, byte(max(channels, 1)))
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 48000)
	b = binary.LittleEndian.AppendUint16(b, 0)
	return append(b, 0)
}
