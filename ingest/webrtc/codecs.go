package webrtc

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// The codecs Sluice negotiates. One MediaEngine serves WHIP and WHEP; WHIP
// accepts the ingest subset (what it can depacketize and fMP4 archives),
// WHEP sends what the stream carries.
var (
	videoFeedback = []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}}
	// h264Profiles are the profile-level-ids registered with
	// packetization-mode=1 (pion matches on the profile bytes, not the
	// level): baseline, constrained baseline, main, constrained high,
	// high, high 4:4:4.
	h264Profiles = []string{"42001f", "42e01f", "4d001f", "640c1f", "64001f", "f4001f"}
)

// registeredCodecs returns the codecs registered in the MediaEngine, by kind.
func registeredCodecs() (video, audio []webrtc.RTPCodecParameters) {
	pt := webrtc.PayloadType(96)
	add := func(mime, fmtp string) {
		video = append(video, webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000, SDPFmtpLine: fmtp, RTCPFeedback: videoFeedback},
			PayloadType:        pt,
		})
		pt++
	}
	for _, p := range h264Profiles {
		add(webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id="+p)
	}
	add(webrtc.MimeTypeVP9, "profile-id=0")
	add(webrtc.MimeTypeVP9, "profile-id=2")
	add(webrtc.MimeTypeAV1, "")
	add(webrtc.MimeTypeH265, "")
	audio = []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}, PayloadType: 111},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}, PayloadType: 0},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMA, ClockRate: 8000}, PayloadType: 8},
	}
	return video, audio
}

// supportedIngest names what WHIP records, for error messages.
const supportedIngest = "H264 (packetization-mode=1), AV1 and VP9 (profile 0 or 2) video; Opus audio"

// media is one media section of an offer.
type media struct {
	mid    string
	kind   string // "audio", "video", or another (ignored)
	dir    string // sendrecv, sendonly, recvonly, inactive
	codecs []offeredCodec
}

// offeredCodec is one payload format of a media section.
type offeredCodec struct {
	pt       uint8
	name     string // e.g. "H264", "opus" as written
	clock    uint32
	channels uint16
	fmtp     string
	feedback []webrtc.RTCPFeedback
}

// mime returns the codec's MIME type, e.g. "video/H264".
func (c offeredCodec) mime(kind string) string { return kind + "/" + c.name }

// param returns an fmtp parameter.
func (c offeredCodec) param(key string) string {
	for _, kv := range strings.Split(c.fmtp, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

// auxiliary reports whether the format is a repair or redundancy format,
// not a codec.
func (c offeredCodec) auxiliary() bool {
	switch strings.ToLower(c.name) {
	case "rtx", "red", "ulpfec", "flexfec-03", "telephone-event", "cn":
		return true
	}
	return false
}

// parameters returns the codec as pion wants it for SetCodecPreferences.
func (c offeredCodec) parameters(kind string) webrtc.RTPCodecParameters {
	return webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: c.mime(kind), ClockRate: c.clock, Channels: c.channels, SDPFmtpLine: c.fmtp, RTCPFeedback: c.feedback},
		PayloadType:        webrtc.PayloadType(c.pt),
	}
}

// parseOffer reads the media sections of an SDP offer.
func parseOffer(raw string) ([]media, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		return nil, err
	}
	out := make([]media, 0, len(sd.MediaDescriptions))
	for _, md := range sd.MediaDescriptions {
		m := media{kind: md.MediaName.Media, dir: "sendrecv"}
		byPT := map[uint8]*offeredCodec{}
		for _, f := range md.MediaName.Formats {
			pt, err := strconv.ParseUint(f, 10, 8)
			if err != nil {
				continue // "webrtc-datachannel" and the like
			}
			m.codecs = append(m.codecs, offeredCodec{pt: uint8(pt)})
		}
		for i := range m.codecs {
			byPT[m.codecs[i].pt] = &m.codecs[i]
		}
		for _, a := range md.Attributes {
			switch a.Key {
			case "mid":
				m.mid = a.Value
			case "sendrecv", "sendonly", "recvonly", "inactive":
				m.dir = a.Key
			case "rtpmap", "fmtp", "rtcp-fb":
				ptStr, rest, _ := strings.Cut(a.Value, " ")
				pt, err := strconv.ParseUint(ptStr, 10, 8)
				c := byPT[uint8(pt)]
				if err != nil || c == nil {
					continue
				}
				switch a.Key {
				case "rtpmap":
					parts := strings.Split(rest, "/")
					c.name = parts[0]
					if len(parts) > 1 {
						v, _ := strconv.ParseUint(parts[1], 10, 32)
						c.clock = uint32(v)
					}
					if len(parts) > 2 {
						v, _ := strconv.ParseUint(parts[2], 10, 16)
						c.channels = uint16(v)
					}
				case "fmtp":
					c.fmtp = rest
				case "rtcp-fb":
					typ, param, _ := strings.Cut(rest, " ")
					c.feedback = append(c.feedback, webrtc.RTCPFeedback{Type: typ, Parameter: param})
				}
			}
		}
		for i := range m.codecs {
			c := &m.codecs[i]
			if c.name == "" { // static payload types without rtpmap
				switch c.pt {
				case 0:
					c.name, c.clock = "PCMU", 8000
				case 8:
					c.name, c.clock = "PCMA", 8000
				}
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// ingestRank ranks a codec for WHIP: 0 is not recordable, higher is
// preferred when the publisher's own first choice is not recordable.
func ingestRank(kind string, c offeredCodec) int {
	switch {
	case kind == "video" && strings.EqualFold(c.name, "H264"):
		if c.param("packetization-mode") != "1" || !knownH264Profile(c.param("profile-level-id")) {
			return 0
		}
		return 3
	case kind == "video" && strings.EqualFold(c.name, "AV1"):
		if p := c.param("profile"); p != "" && p != "0" {
			return 0
		}
		return 2
	case kind == "video" && strings.EqualFold(c.name, "VP9"):
		if p := c.param("profile-id"); p != "" && p != "0" && p != "2" {
			return 0
		}
		return 1
	case kind == "audio" && strings.EqualFold(c.name, "opus") && c.clock == 48000:
		return 1
	}
	return 0
}

// knownH264Profile reports whether a profile-level-id matches a
// registered profile (pion compares the first two bytes).
func knownH264Profile(plid string) bool {
	if len(plid) != 6 {
		return false
	}
	for _, p := range h264Profiles {
		if strings.EqualFold(p[:4], plid[:4]) {
			return true
		}
	}
	return false
}

// chooseIngest picks the codec to record from a media section: the
// publisher's first choice when Sluice records it, else the best ranked
// (H.264, then AV1, then VP9: H.264 plays in every HLS player).
func chooseIngest(m media) (offeredCodec, bool) {
	var best offeredCodec
	bestRank := 0
	first := true
	for _, c := range m.codecs {
		if c.auxiliary() {
			continue
		}
		r := ingestRank(m.kind, c)
		if first && r > 0 {
			return c, true
		}
		first = false
		if r > bestRank {
			best, bestRank = c, r
		}
	}
	return best, bestRank > 0
}

// describeOffer names the codecs of an offer for error messages, e.g.
// "video VP8, audio opus".
func describeOffer(ms []media) string {
	var parts []string
	for _, m := range ms {
		if m.kind != "video" && m.kind != "audio" {
			continue
		}
		var names []string
		seen := map[string]bool{}
		for _, c := range m.codecs {
			if c.auxiliary() || c.name == "" || seen[strings.ToUpper(c.name)] {
				continue
			}
			seen[strings.ToUpper(c.name)] = true
			names = append(names, c.name)
		}
		if len(names) == 0 {
			names = []string{"none"}
		}
		parts = append(parts, fmt.Sprintf("%s %s", m.kind, strings.Join(names, "/")))
	}
	if len(parts) == 0 {
		return "no audio or video"
	}
	return strings.Join(parts, ", ")
}
