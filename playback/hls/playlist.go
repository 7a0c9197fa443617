package hls

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// media is a media playlist (RFC 8216 section 4.3.3, with the LL-HLS tags
// of RFC 8216bis), rendered by String.
type media struct {
	Type         string // "", "EVENT" or "VOD"
	Target       time.Duration
	Sequence     uint64 // EXT-X-MEDIA-SEQUENCE
	DiscSequence uint64 // EXT-X-DISCONTINUITY-SEQUENCE
	Segments     []segment
	Ended        bool
	DateTimes    bool // EXT-X-PROGRAM-DATE-TIME on every segment
	Low          bool // LL-HLS: server control, part info, parts
	PartTarget   time.Duration
	PreloadHint  string // URI of the next part
	Tail         []part // parts of the segment being written
	TailMap      string // EXT-X-MAP of the tail, when it starts a new init
	TailDisc     bool   // the tail's segment starts a discontinuity
	TailDateTime time.Time
}

type segment struct {
	Duration      time.Duration
	URI           string
	Map           string // EXT-X-MAP URI before this segment ("" when unchanged)
	Discontinuity bool
	DateTime      time.Time
	Parts         []part // listed before the segment (LL-HLS)
}

type part struct {
	Duration    time.Duration
	URI         string
	Independent bool
}

// targetSeconds is EXT-X-TARGETDURATION for a longest segment of d: every
// segment's duration, rounded to the nearest second, must not exceed it.
func targetSeconds(d time.Duration) int {
	return max(1, int(math.Round(d.Seconds())))
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// partTarget rounds a part duration up to the millisecond, so that no part
// rendered with three decimals exceeds it.
func partTarget(d time.Duration) time.Duration {
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}

func dateTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// hasParts reports whether the playlist lists any part.
func (m *media) hasParts() bool {
	if len(m.Tail) > 0 {
		return true
	}
	for _, sg := range m.Segments {
		if len(sg.Parts) > 0 {
			return true
		}
	}
	return false
}

func (m *media) String() string {
	var b strings.Builder
	b.WriteString("#EXTM3U\n")
	version := 6 // EXT-X-MAP in a playlist without I-frames only
	if m.Low {
		version = 9
	}
	fmt.Fprintf(&b, "#EXT-X-VERSION:%d\n", version)
	fmt.Fprintf(&b, "#EXT-X-TARGETDURATION:%d\n", targetSeconds(m.Target))
	if m.Low {
		pt := partTarget(m.PartTarget)
		fmt.Fprintf(&b, "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=%s\n", seconds(3*pt))
		fmt.Fprintf(&b, "#EXT-X-PART-INF:PART-TARGET=%s\n", seconds(pt))
	}
	if m.Type != "" {
		fmt.Fprintf(&b, "#EXT-X-PLAYLIST-TYPE:%s\n", m.Type)
	}
	fmt.Fprintf(&b, "#EXT-X-MEDIA-SEQUENCE:%d\n", m.Sequence)
	if m.DiscSequence != 0 {
		fmt.Fprintf(&b, "#EXT-X-DISCONTINUITY-SEQUENCE:%d\n", m.DiscSequence)
	}
	for _, s := range m.Segments {
		writeHead(&b, s.Discontinuity, s.Map, s.DateTime, m.DateTimes)
		writeParts(&b, s.Parts)
		fmt.Fprintf(&b, "#EXTINF:%s,\n%s\n", seconds(s.Duration), s.URI)
	}
	if len(m.Tail) > 0 || m.PreloadHint != "" {
		if len(m.Tail) > 0 {
			writeHead(&b, m.TailDisc, m.TailMap, m.TailDateTime, m.DateTimes)
		}
		writeParts(&b, m.Tail)
		if m.PreloadHint != "" {
			fmt.Fprintf(&b, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=%q\n", m.PreloadHint)
		}
	}
	if m.Ended {
		b.WriteString("#EXT-X-ENDLIST\n")
	}
	return b.String()
}

// writeHead writes the tags that precede a segment's first part or URI.
func writeHead(b *strings.Builder, disc bool, mapURI string, dt time.Time, withDT bool) {
	if disc {
		b.WriteString("#EXT-X-DISCONTINUITY\n")
	}
	if mapURI != "" {
		fmt.Fprintf(b, "#EXT-X-MAP:URI=%q\n", mapURI)
	}
	if withDT && !dt.IsZero() {
		fmt.Fprintf(b, "#EXT-X-PROGRAM-DATE-TIME:%s\n", dateTime(dt))
	}
}

func writeParts(b *strings.Builder, parts []part) {
	for _, p := range parts {
		fmt.Fprintf(b, "#EXT-X-PART:DURATION=%s,URI=%q", seconds(p.Duration), p.URI)
		if p.Independent {
			b.WriteString(",INDEPENDENT=YES")
		}
		b.WriteByte('\n')
	}
}

// variant is one EXT-X-STREAM-INF of a master playlist.
type variant struct {
	Bandwidth     int64
	Codecs        string
	Width, Height int
	URI           string
}

func masterPlaylist(v variant) string {
	var b strings.Builder
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:6\n")
	fmt.Fprintf(&b, "#EXT-X-STREAM-INF:BANDWIDTH=%d", max(v.Bandwidth, 1))
	if v.Codecs != "" {
		fmt.Fprintf(&b, ",CODECS=%q", v.Codecs)
	}
	if v.Width > 0 && v.Height > 0 {
		fmt.Fprintf(&b, ",RESOLUTION=%dx%d", v.Width, v.Height)
	}
	fmt.Fprintf(&b, "\n%s\n", v.URI)
	return b.String()
}
