package dash

import (
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/playback/hls"
)

// KVSNamespace is the XML namespace of the kvs:ts attributes that
// DisplayFragmentTimestamp adds to S elements.
const KVSNamespace = "urn:aws:kinesisvideo:dash"

type mpd struct {
	XMLName                    xml.Name `xml:"urn:mpeg:dash:schema:mpd:2011 MPD"`
	KVS                        string   `xml:"xmlns:kvs,attr,omitempty"`
	Profiles                   string   `xml:"profiles,attr"`
	Type                       string   `xml:"type,attr"`
	MinBufferTime              string   `xml:"minBufferTime,attr"`
	MediaPresentationDuration  string   `xml:"mediaPresentationDuration,attr,omitempty"`
	AvailabilityStartTime      string   `xml:"availabilityStartTime,attr,omitempty"`
	PublishTime                string   `xml:"publishTime,attr,omitempty"`
	MinimumUpdatePeriod        string   `xml:"minimumUpdatePeriod,attr,omitempty"`
	TimeShiftBufferDepth       string   `xml:"timeShiftBufferDepth,attr,omitempty"`
	SuggestedPresentationDelay string   `xml:"suggestedPresentationDelay,attr,omitempty"`
	Periods                    []period `xml:"Period"`
}

type period struct {
	ID    string       `xml:"id,attr"`
	Start string       `xml:"start,attr"`
	Sets  []adaptation `xml:"AdaptationSet"`
}

type adaptation struct {
	ID               int              `xml:"id,attr"`
	MimeType         string           `xml:"mimeType,attr"`
	SegmentAlignment bool             `xml:"segmentAlignment,attr"`
	StartWithSAP     int              `xml:"startWithSAP,attr"`
	Representations  []representation `xml:"Representation"`
}

type representation struct {
	ID        string      `xml:"id,attr"`
	Bandwidth int64       `xml:"bandwidth,attr"`
	Codecs    string      `xml:"codecs,attr,omitempty"`
	Width     int         `xml:"width,attr,omitempty"`
	Height    int         `xml:"height,attr,omitempty"`
	List      segmentList `xml:"SegmentList"`
}

type segmentList struct {
	Timescale int64        `xml:"timescale,attr"`
	PTO       int64        `xml:"presentationTimeOffset,attr"`
	Init      sourceURL    `xml:"Initialization"`
	Timeline  []timelineS  `xml:"SegmentTimeline>S"`
	URLs      []segmentURL `xml:"SegmentURL"`
}

type sourceURL struct {
	URL string `xml:"sourceURL,attr"`
}

type timelineS struct {
	T  int64  `xml:"t,attr"`
	D  int64  `xml:"d,attr"`
	TS string `xml:"kvs:ts,attr,omitempty"`
}

type segmentURL struct {
	Media string `xml:"media,attr"`
}

// Links name a session's media in its manifest (see hls.SessionLinks).
type Links struct {
	Segment func(e hls.Entry) string
	Init    func(e hls.Entry, withRef bool) string
}

// Manifest renders the MPD of a session's window at now. An empty window
// of a live session gives a dynamic MPD without Periods (players reload it).
func Manifest(w hls.Window, sess playback.Session, l Links, now time.Time) ([]byte, error) {
	dynamic := !w.Ended
	target := max(w.Target(), time.Second)
	m := mpd{Profiles: "urn:mpeg:dash:profile:isoff-live:2011", Type: "static", MinBufferTime: duration(target)}
	if sess.DisplayTimestamp {
		m.KVS = KVSNamespace
	}
	es := w.Entries
	if dynamic {
		m.Type = "dynamic"
		m.AvailabilityStartTime = "1970-01-01T00:00:00Z"
		m.PublishTime = now.UTC().Format(time.RFC3339)
		m.MinimumUpdatePeriod = duration(target)
		m.SuggestedPresentationDelay = duration(3 * target)
		if len(es) > 0 {
			m.TimeShiftBufferDepth = duration(es[len(es)-1].End().Sub(es[0].ProducerTime) + target)
		}
	} else if len(es) > 0 {
		m.MediaPresentationDuration = duration(es[len(es)-1].End().Sub(es[0].ProducerTime))
	}
	for i := 0; i < len(es); {
		j := i + 1
		for j < len(es) && es[j].InitID == es[i].InitID {
			j++
		}
		m.Periods = append(m.Periods, makePeriod(es[i:j], es[0], dynamic, sess, l))
		i = j
	}
	b, err := xml.MarshalIndent(m, "", " ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(b, '\n')...), nil
}

// makePeriod describes a run of fragments with one init segment.
func makePeriod(run []hls.Entry, first hls.Entry, dynamic bool, sess playback.Session, l Links) period {
	f0 := run[0]
	start := f0.ProducerTime.Sub(time.UnixMilli(0))
	if !dynamic {
		start = f0.ProducerTime.Sub(first.ProducerTime)
	}
	rep := representation{ID: fmt.Sprintf("r%d", f0.MSN), Bandwidth: bandwidth(run)}
	mime := "audio/mp4"
	var codecs []string
	for _, t := range f0.Tracks {
		codecs = append(codecs, t.Codec)
		if t.Kind == "video" && rep.Width == 0 {
			rep.Width, rep.Height, mime = t.Width, t.Height, "video/mp4"
		}
	}
	rep.Codecs = strings.Join(codecs, ",")
	rep.List = segmentList{Timescale: 1000, PTO: f0.ProducerTime.UnixMilli(), Init: sourceURL{l.Init(f0, !dynamic || sess.Mode == hls.ModeLiveReplay)}}
	for _, e := range run {
		s := timelineS{T: e.ProducerTime.UnixMilli(), D: e.Duration.Milliseconds()}
		if sess.DisplayTimestamp {
			at := e.ServerTime
			if sess.Producer {
				at = e.ProducerTime
			}
			s.TS = fmt.Sprint(at.UnixMilli())
		}
		rep.List.Timeline = append(rep.List.Timeline, s)
		rep.List.URLs = append(rep.List.URLs, segmentURL{Media: l.Segment(e)})
	}
	return period{ID: fmt.Sprintf("p%d", f0.MSN), Start: duration(start),
		Sets: []adaptation{{ID: 0, MimeType: mime, SegmentAlignment: true, StartWithSAP: 1, Representations: []representation{rep}}}}
}

// bandwidth is the peak bit rate of the fragments, plus a tenth.
func bandwidth(run []hls.Entry) int64 {
	var peak int64
	for _, e := range run {
		if e.Duration > 0 {
			peak = max(peak, e.Size*8*int64(time.Second)/int64(e.Duration))
		}
	}
	if peak == 0 {
		return 1_000_000
	}
	return peak + peak/10
}

// duration is an xs:duration in seconds with millisecond precision.
func duration(d time.Duration) string {
	return fmt.Sprintf("PT%.3fS", d.Seconds())
}
