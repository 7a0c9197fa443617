package hls

import (
	"strings"
	"time"

	"github.com/sluice-dev/sluice/playback"
)

// links names a window's media in its playlist.
type links struct {
	segment func(e Entry) string
	// init names e's init segment; withRef adds e as a way to find it
	// (for lists that do not slide, where e stays the first of its run).
	init func(e Entry, withRef bool) string
}

// renderWindow makes the media playlist of a session's window.
func renderWindow(w Window, sess playback.Session, l links, ts bool) *media {
	m := &media{Sequence: 0, DiscSequence: w.DiscSequence, DateTimes: sess.DisplayTimestamp, Target: max(w.Target(), time.Second)}
	switch mode(sess) {
	case ModeOnDemand:
		m.Type, m.Ended = "VOD", true
	case ModeLiveReplay:
		m.Type, m.Ended = "EVENT", w.Ended
	}
	if len(w.Entries) > 0 {
		m.Sequence = w.Entries[0].MSN
	}
	sliding := mode(sess) == ModeLive
	lastInit := ""
	for _, e := range w.Entries {
		seg := segment{Duration: e.Duration, URI: l.segment(e), Discontinuity: e.Disc, DateTime: selected(sess, e.Fragment)}
		if !ts && e.InitID != lastInit {
			seg.Map = l.init(e, !sliding)
		}
		lastInit = e.InitID
		m.Segments = append(m.Segments, seg)
	}
	return m
}

// variantOf describes a window for a master playlist: codecs and size of
// its newest fragment, bandwidth of its busiest.
func variantOf(w Window, uri string) variant {
	v := variant{URI: uri, Bandwidth: 1_000_000}
	if len(w.Entries) == 0 {
		return v
	}
	var peak int64
	for _, e := range w.Entries {
		if e.Duration > 0 {
			peak = max(peak, e.Size*8*int64(time.Second)/int64(e.Duration))
		}
	}
	if peak > 0 {
		v.Bandwidth = peak + peak/10
	}
	var codecs []string
	for _, t := range w.Entries[len(w.Entries)-1].Tracks {
		if t.Codec != "" {
			codecs = append(codecs, t.Codec)
		}
		if t.Kind == "video" && v.Width == 0 {
			v.Width, v.Height = t.Width, t.Height
		}
	}
	v.Codecs = strings.Join(codecs, ",")
	return v
}
