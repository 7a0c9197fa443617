package remux

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/at-wat/ebml-go"
)

// Tag is a Matroska SimpleTag: a name and a string value.
type Tag struct{ Name, Value string }

// mkvTimecodeScale is the Matroska timecode unit: 1 ms, as KVS writes.
const mkvTimecodeScale = uint64(time.Millisecond)

// Matroska writes fragments as Matroska (RFC 9559) the way the Kinesis
// Video Streams media APIs do: each fragment is a self-contained EBML
// document (EBML header; a Segment of unknown size with Info, Tracks, a
// Tags element with the fragment's tags, and one Cluster, two or more for a
// fragment longer than 32.7 s, the reach of a block's relative timecode).
// The stream can be cut between any two fragments, a reader can start at
// any fragment, and codec changes need nothing special. Readers that split
// KVS output at EBML headers (the KVS parser library, scripts) work as
// with KVS, and ffmpeg reads the chained documents as one stream.
//
// Cluster timecodes are absolute milliseconds since the Unix epoch on the
// producer's clock; blocks carry presentation times, in decode order.
//
// A Matroska is not safe for concurrent use.
type Matroska struct {
	w         io.Writer
	initBytes []byte
	init      *Media
	tracks    map[int]int // Matroska track number by fMP4 track ID
	start     []byte      // EBML header and Segment start of the init segment
	frag      *Media      // the last fragment parsed, reused for the next
	buf       bytes.Buffer
	written   int64
}

// NewMatroska returns a Matroska writing to w.
func NewMatroska(w io.Writer) *Matroska { return &Matroska{w: w} }

// Written is the number of bytes written so far.
func (m *Matroska) Written() int64 { return m.written }

// WriteFragment writes one fragment as one document, in a single Write. at is the producer time
// of the fragment's first video sample: sample times are at plus their
// offset from it, so the timecodes are those of the fragment index.
func (m *Matroska) WriteFragment(init, media []byte, at time.Time, tags []Tag) error {
	m.buf.Reset()
	if err := m.setInit(init); err != nil {
		return err
	}
	f, err := m.init.fragment(media, m.frag)
	if err != nil {
		return err
	}
	m.frag = f
	m.buf.Write(m.start)
	if len(tags) > 0 {
		t := mkvTagsTop{Tags: mkvTags{Tag: []mkvTag{{}}}}
		for _, tag := range tags {
			t.Tags.Tag[0].SimpleTag = append(t.Tags.Tag[0].SimpleTag, mkvSimpleTag{TagName: tag.Name, TagString: tag.Value})
		}
		if err := ebml.Marshal(&t, &m.buf); err != nil {
			return err
		}
	}
	if err := m.clusters(f, at); err != nil {
		return err
	}
	n, err := m.w.Write(m.buf.Bytes())
	m.written += int64(n)
	return err
}

// setInit prepares the document start of a first or changed init
// segment.
func (m *Matroska) setInit(init []byte) error {
	if m.init != nil && bytes.Equal(init, m.initBytes) {
		return nil
	}
	in, records, err := parseInit(init)
	if err != nil {
		return err
	}
	var seg mkvSegmentStart
	seg.Segment.Info = mkvInfo{TimecodeScale: mkvTimecodeScale, MuxingApp: "sluice", WritingApp: "sluice"}
	tracks := map[int]int{}
	for i, t := range in.Tracks {
		e, err := mkvTrack(i+1, t, records)
		if err != nil {
			return err
		}
		seg.Segment.Tracks.TrackEntry = append(seg.Segment.Tracks.TrackEntry, e)
		tracks[t.ID] = i + 1
	}
	header := mkvEBML{Header: mkvHeader{
		Version: 1, ReadVersion: 1, MaxIDLength: 4, MaxSizeLength: 8,
		DocType: "matroska", DocTypeVersion: 4, DocTypeReadVersion: 2,
	}}
	var start bytes.Buffer
	if err := ebml.Marshal(&header, &start); err != nil {
		return err
	}
	if err := ebml.Marshal(&seg, &start); err != nil {
		return err
	}
	m.init, m.initBytes, m.tracks, m.start = in, init, tracks, start.Bytes()
	return nil
}

// mkvFrame is one sample with its Matroska track and times (ms).
type mkvFrame struct {
	track    int
	dtsNs    int64
	ptsMs    int64
	keyframe bool
	payload  []byte
}

// clusters writes a fragment's samples as clusters.
func (m *Matroska) clusters(f *Media, at time.Time) error {
	first, ok := firstSample(f)
	if !ok {
		return nil
	}
	base := at.UnixNano() - first
	var frames []mkvFrame
	for _, t := range f.Tracks {
		for _, s := range t.Samples {
			frames = append(frames, mkvFrame{
				track: m.tracks[t.ID], dtsNs: ns(s.DTS, t.TimeScale),
				ptsMs:    floorDiv(base+ns(s.PTS, t.TimeScale), int64(time.Millisecond)),
				keyframe: s.Sync, payload: s.Payload,
			})
		}
	}
	if len(frames) == 0 {
		return nil
	}
	sort.SliceStable(frames, func(i, j int) bool { return frames[i].dtsNs < frames[j].dtsNs })
	var c mkvClusterTop
	flush := func() error {
		if len(c.Cluster.SimpleBlock) == 0 {
			return nil
		}
		err := ebml.Marshal(&c, &m.buf)
		c.Cluster.SimpleBlock = c.Cluster.SimpleBlock[:0]
		return err
	}
	tc := minPTS(frames)
	c.Cluster.Timecode = uint64(tc)
	for _, fr := range frames {
		rel := fr.ptsMs - tc
		if rel > 32767 || rel < -32768 {
			if err := flush(); err != nil {
				return err
			}
			tc = fr.ptsMs
			c.Cluster.Timecode, rel = uint64(tc), 0
		}
		c.Cluster.SimpleBlock = append(c.Cluster.SimpleBlock, ebml.Block{
			TrackNumber: uint64(fr.track), Timecode: int16(rel), Keyframe: fr.keyframe, Data: [][]byte{fr.payload},
		})
	}
	if err := flush(); err != nil {
		return fmt.Errorf("matroska: %w", err)
	}
	return nil
}

func minPTS(frames []mkvFrame) int64 {
	v := frames[0].ptsMs
	for _, f := range frames {
		v = min(v, f.ptsMs)
	}
	return v
}

// floorDiv divides rounding toward negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
