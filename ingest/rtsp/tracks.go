package rtsp

import (
	"fmt"
	"strings"

	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"

	"github.com/sluice-dev/sluice/fragments"
)

// track is one recorded track: the media and format of the SDP it comes
// from, what it is recorded as, and how its packets are depacketized.
type track struct {
	index  int // in the tracks given to Recorder.Open
	media  *description.Media
	format format.Format
	codec  fragments.Track
	newDep func() (depacketizer, error)
}

// trackSet is what a session description offers: the tracks that can be
// recorded, and the codecs of those that cannot.
type trackSet struct {
	tracks  []*track
	dropped []string // codec names of dropped medias, e.g. "M-JPEG"
}

// fragmentTracks returns the tracks as given to Recorder.Open.
func (s trackSet) fragmentTracks() []fragments.Track {
	out := make([]fragments.Track, len(s.tracks))
	for i, t := range s.tracks {
		out[i] = t.codec
	}
	return out
}

// medias returns the medias of the recorded tracks, in track order.
func (s trackSet) medias() []*description.Media {
	out := make([]*description.Media, len(s.tracks))
	for i, t := range s.tracks {
		out[i] = t.media
	}
	return out
}

// offered names every codec of desc, for messages.
func offered(desc *description.Session) string {
	var names []string
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			names = append(names, f.Codec())
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// buildTracks maps each media of desc to a track: the first format of the
// media that can be recorded. Medias with none are dropped.
func buildTracks(desc *description.Session) trackSet {
	var s trackSet
	for _, m := range desc.Medias {
		if m.IsBackChannel {
			continue
		}
		var t *track
		for _, f := range m.Formats {
			if t = mapFormat(f); t != nil {
				if _, err := t.newDep(); err == nil {
					break // e.g. H264 packetization-mode 2 has no decoder
				}
				t = nil
			}
		}
		if t == nil {
			names := make([]string, 0, len(m.Formats))
			for _, f := range m.Formats {
				names = append(names, formatName(f))
			}
			s.dropped = append(s.dropped, strings.Join(names, "/"))
			continue
		}
		t.index, t.media = len(s.tracks), m
		s.tracks = append(s.tracks, t)
	}
	return s
}

// formatName names a format for logs and messages.
func formatName(f format.Format) string {
	if l, ok := f.(*format.MPEG4AudioLATM); ok && l.CPresent {
		return "MPEG-4 Audio LATM (in-band config)"
	}
	return f.Codec()
}

// mapFormat returns the track for a format, or nil when it cannot be
// recorded.
func mapFormat(f format.Format) *track {
	switch f := f.(type) {
	case *format.H264:
		sps, pps := f.SafeParams()
		return &track{
			format: f,
			codec:  fragments.Track{Codec: &mp4.CodecH264{SPS: sps, PPS: pps}, ClockRate: f.ClockRate()},
			newDep: func() (depacketizer, error) { return newH264Dep(f) },
		}
	case *format.H265:
		vps, sps, pps := f.SafeParams()
		return &track{
			format: f,
			codec:  fragments.Track{Codec: &mp4.CodecH265{VPS: vps, SPS: sps, PPS: pps}, ClockRate: f.ClockRate()},
			newDep: func() (depacketizer, error) { return newH265Dep(f) },
		}
	case *format.MPEG4Audio:
		if f.Config == nil || f.Config.SampleRate <= 0 {
			return nil
		}
		return &track{
			format: f,
			codec:  fragments.Track{Codec: &mp4.CodecMPEG4Audio{Config: *f.Config}, ClockRate: f.ClockRate()},
			newDep: func() (depacketizer, error) { return newAACDep(f) },
		}
	case *format.MPEG4AudioLATM:
		asc := latmConfig(f)
		if asc == nil {
			return nil
		}
		return &track{
			format: f,
			codec:  fragments.Track{Codec: &mp4.CodecMPEG4Audio{Config: *asc}, ClockRate: f.ClockRate()},
			newDep: func() (depacketizer, error) { return newLATMDep(f) },
		}
	case *format.Opus:
		return &track{
			format: f,
			codec:  fragments.Track{Codec: &mp4.CodecOpus{ChannelCount: max(f.ChannelCount, 1)}, ClockRate: f.ClockRate()},
			newDep: func() (depacketizer, error) { return opusDep{}, nil },
		}
	case *format.G711:
		if f.SampleRate <= 0 || f.ChannelCount <= 0 {
			return nil
		}
		return &track{
			format: f,
			codec: fragments.Track{
				Codec:     &mp4.CodecLPCM{BitDepth: 16, SampleRate: f.SampleRate, ChannelCount: f.ChannelCount},
				ClockRate: f.SampleRate,
			},
			newDep: func() (depacketizer, error) { return newG711Dep(f) },
		}
	}
	return nil
}

// latmConfig returns the AudioSpecificConfig of a LATM format whose
// configuration is out of band (cpresent=0), else nil: in-band
// configuration is not supported.
func latmConfig(f *format.MPEG4AudioLATM) *mpeg4audio.AudioSpecificConfig {
	if f.CPresent || f.StreamMuxConfig == nil || len(f.StreamMuxConfig.Programs) == 0 ||
		f.StreamMuxConfig.Programs[0] == nil || len(f.StreamMuxConfig.Programs[0].Layers) == 0 ||
		f.StreamMuxConfig.Programs[0].Layers[0] == nil {
		return nil
	}
	asc := f.StreamMuxConfig.Programs[0].Layers[0].AudioSpecificConfig
	if asc == nil || asc.SampleRate <= 0 {
		return nil
	}
	return asc
}

// noTracksError describes an offer without any recordable track.
func noTracksError(desc *description.Session) error {
	return fmt.Errorf("no supported track: offered %s; supported are H264, H265, AAC, Opus, G711", offered(desc))
}
