package webrtc

import (
	"fmt"
	"strings"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"

	"github.com/sluice-dev/sluice/fragments"
)

// outPlan is how one track of the stream is sent to a viewer: the media
// section and payload format of the viewer's offer it goes in.
type outPlan struct {
	track int // index in the stream's tracks
	kind  string
	mid   string
	codec offeredCodec
}

// planWHEP matches the stream's tracks to the viewer's offer. Tracks that
// cannot be sent (AAC; a codec the browser does not offer) are left out,
// each with a note for the log and the viewer.
func planWHEP(tracks []fragments.Track, ms []media) (plans []outPlan, notes []string) {
	used := map[int]bool{}
	for i, t := range tracks {
		kind := "audio"
		if t.Codec != nil && t.Codec.IsVideo() {
			kind = "video"
		}
		name := codecName(t)
		found := false
		for mi, m := range ms {
			if m.kind != kind || used[mi] || m.dir == "sendonly" || m.dir == "inactive" {
				continue
			}
			if c, ok := sendable(t, m); ok {
				plans = append(plans, outPlan{track: i, kind: kind, mid: m.mid, codec: c})
				used[mi] = true
				found = true
				break
			}
		}
		if found {
			continue
		}
		switch {
		case name == "AAC":
			notes = append(notes, "AAC audio is not sent: WebRTC cannot carry it (watch over HLS for sound)")
		case name == "LPCM":
			notes = append(notes, "G.711 audio is not sent: it is only re-encoded to PCMU or PCMA for 8 kHz mono streams the viewer offers them for")
		default:
			notes = append(notes, fmt.Sprintf("%s %s is not sent: the viewer's offer has no %s section accepting it", kind, name, kind))
		}
	}
	return plans, notes
}

// sendable returns the payload format of m that can carry track t.
func sendable(t fragments.Track, m media) (offeredCodec, bool) {
	var fallback *offeredCodec
	for _, c := range m.codecs {
		switch codec := t.Codec.(type) {
		case *mp4.CodecH264:
			if !strings.EqualFold(c.name, "H264") || c.param("packetization-mode") != "1" || !knownH264Profile(c.param("profile-level-id")) {
				continue
			}
			// Prefer the offered profile that is the stream's; browsers
			// decode any profile, so another one does too.
			if len(codec.SPS) >= 4 && strings.EqualFold(c.param("profile-level-id")[:2], fmt.Sprintf("%02x", codec.SPS[1])) {
				return c, true
			}
			if fallback == nil {
				fallback = &c
			}
		case *mp4.CodecH265:
			if strings.EqualFold(c.name, "H265") {
				return c, true
			}
		case *mp4.CodecVP9:
			p := c.param("profile-id")
			if p == "" {
				p = "0"
			}
			if strings.EqualFold(c.name, "VP9") && p == fmt.Sprint(codec.Profile) {
				return c, true
			}
		case *mp4.CodecAV1:
			if strings.EqualFold(c.name, "AV1") {
				return c, true
			}
		case *mp4.CodecOpus:
			if strings.EqualFold(c.name, "opus") && c.clock == 48000 {
				return c, true
			}
		case *mp4.CodecLPCM:
			if codec.SampleRate == 8000 && codec.ChannelCount == 1 && codec.BitDepth == 16 &&
				(strings.EqualFold(c.name, "PCMU") || strings.EqualFold(c.name, "PCMA")) {
				return c, true
			}
		}
	}
	if fallback != nil {
		return *fallback, true
	}
	return offeredCodec{}, false
}

func codecName(t fragments.Track) string {
	return fragments.TrackInfoOf(1, t).Name
}
