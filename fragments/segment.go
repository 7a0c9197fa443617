package fragments

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"
)

// Init is an fMP4 initialization segment (ftyp+moov) with what it describes.
type Init struct {
	// ID is a content hash: equal IDs mean equal bytes.
	ID     string
	Bytes  []byte
	Tracks []TrackInfo
}

// Part is a piece of a fragment (one moof+mdat), made for the live edge.
type Part struct {
	Session  string
	Fragment int // index of its fragment in the session, from 0
	Index    int // index within the fragment, from 0
	// Independent parts start with a video keyframe.
	Independent bool
	Start       time.Time // producer time of its first leader sample
	Duration    time.Duration
	Bytes       []byte
	Init        *Init
}

// Fragment is a closed fragment: its parts, concatenated, and metadata.
type Fragment struct {
	Session string
	Index   int // in the session, from 0
	Init    *Init
	// Parts holds the fragment's bytes part by part (each a moof+mdat);
	// concatenated they are the fragment. Size is their total length.
	Parts         [][]byte
	Size          int
	ProducerStart time.Time
	ServerStart   time.Time
	Duration      time.Duration
	// Keyframe is false only for a fragment cut by MaxDuration in the
	// middle of a GOP: a player cannot start decoding at its start.
	Keyframe bool
	// Discontinuity marks a gap or jump before this fragment: the first
	// fragment of a session, a timestamp jump, or lost media.
	Discontinuity bool
	// Samples counts the samples of each track (by track ID).
	Samples map[int]int
}

// Bytes returns the fragment's bytes in one (new) slice.
func (f *Fragment) Bytes() []byte {
	b := make([]byte, 0, f.Size)
	for _, p := range f.Parts {
		b = append(b, p...)
	}
	return b
}

// Reader reads the fragment's bytes without copying them.
func (f *Fragment) Reader() io.Reader {
	rs := make([]io.Reader, len(f.Parts))
	for i, p := range f.Parts {
		rs[i] = bytes.NewReader(p)
	}
	return io.MultiReader(rs...)
}

func marshalInit(tracks []*trackState) (*Init, error) {
	in := fmp4.Init{}
	infos := make([]TrackInfo, 0, len(tracks))
	for _, t := range tracks {
		in.Tracks = append(in.Tracks, &fmp4.InitTrack{ID: t.id, TimeScale: uint32(t.clock), Codec: t.conv.codec})
		infos = append(infos, trackInfo(t.id, Track{Codec: t.conv.codec, ClockRate: int(t.clock)}))
	}
	var buf seekablebuffer.Buffer
	if err := in.Marshal(&buf); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(buf.Bytes())
	return &Init{ID: hex.EncodeToString(sum[:12]), Bytes: buf.Bytes(), Tracks: infos}, nil
}
