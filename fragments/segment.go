package fragments

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
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
	// Bytes is nil when the hub does not hold them: Spill then says where
	// they can be read back.
	Bytes []byte
	Spill *Spill
	Init  *Init
}

// Spill is where a part's bytes were written beside memory (a spool
// file), so that the hub need not hold them: they are read back with R at
// Off. Reads fail once the file is gone (uploaded and removed); the part
// then counts as no longer held.
type Spill struct {
	R   io.ReaderAt
	Off int64
	N   int
}

// Held reports whether the part's bytes can be had: in memory, or from
// its spill.
func (p *Part) Held() bool { return p.Bytes != nil || p.Spill != nil }

// Data returns the part's bytes: those held, else read back from its
// spill (a new slice). It fails when neither is left.
func (p *Part) Data() ([]byte, error) {
	if p.Bytes != nil {
		return p.Bytes, nil
	}
	if p.Spill == nil {
		return nil, errNotHeld
	}
	b := make([]byte, p.Spill.N)
	if _, err := p.Spill.R.ReadAt(b, p.Spill.Off); err != nil {
		return nil, fmt.Errorf("fragments: reading a spilled part back: %w", err)
	}
	return b, nil
}

var errNotHeld = errors.New("fragments: the part's bytes are no longer held")

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
