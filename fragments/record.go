package fragments

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// An index record is the data of one record of a video stream's index
// shard. Two formats are read:
//
//   - binary (version 2, written by this build): the byte 0x02, then
//
//     flags (1 byte: 1 keyframe, 2 discontinuity)
//     varint producer_ns | varint server_ns | uvarint duration_ns
//     uvarint size | uvarint session_index
//     string key | string init | string session
//     uvarint n | n x (uvarint track_id | uvarint samples), by track ID
//     uvarint n | n x track
//     uvarint token (the writer's lease token, 0: unfenced; absent in
//     records of earlier builds)
//     uvarint offset (only with flag 4, packed: the fragment's first byte
//     in the object at key, which holds other fragments too)
//
//     where a string is uvarint length then bytes, and a track is
//     uvarint id | string kind | string codec | string name |
//     uvarint width | uvarint height | uvarint sample_rate |
//     uvarint channels | uvarint timescale.
//     Later builds may append fields; readers ignore bytes past the
//     fields they know. A first byte above 0x02 (other than '{') is a
//     format newer than this build.
//
//   - JSON (version 1, written by earlier builds): a document starting
//     with '{' (see jsonRecord), kept readable so existing archives
//     still list and play.
const (
	binaryRecordVersion = 2
	flagKeyframe        = 1
	flagDiscontinuity   = 2
	flagPacked          = 4
)

// errRecordFormat is wrapped by the errors of records that cannot be read.
var errRecordFormat = errors.New("unreadable index record")

// jsonRecord is the version 1 form of Info.
type jsonRecord struct {
	V        int         `json:"v"`
	Key      string      `json:"key"`
	Init     string      `json:"init"`
	Producer int64       `json:"producer_ns"`
	Server   int64       `json:"server_ns"`
	Duration int64       `json:"duration_ns"`
	Size     int64       `json:"size"`
	Keyframe bool        `json:"keyframe"`
	Discont  bool        `json:"discontinuity,omitempty"`
	Session  string      `json:"session"`
	Index    int         `json:"index"`
	Samples  map[int]int `json:"samples"`
	Tracks   []TrackInfo `json:"tracks"`
}

// encodeRecord returns the binary index record of in (Number is not part
// of it: it is the record's sequence number).
func encodeRecord(in Info) []byte {
	b := make([]byte, 0, 64+len(in.Key)+len(in.InitKey)+len(in.Session)+40*len(in.Tracks))
	b = append(b, binaryRecordVersion)
	var flags byte
	if in.Keyframe {
		flags |= flagKeyframe
	}
	if in.Discontinuity {
		flags |= flagDiscontinuity
	}
	if in.Packed {
		flags |= flagPacked
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, in.ProducerTime.UnixNano())
	b = binary.AppendVarint(b, in.ServerTime.UnixNano())
	b = binary.AppendUvarint(b, uint64(max(in.Duration, 0)))
	b = binary.AppendUvarint(b, uint64(max(in.Size, 0)))
	b = binary.AppendUvarint(b, uint64(max(in.SessionIndex, 0)))
	b = appendString(b, in.Key)
	b = appendString(b, in.InitKey)
	b = appendString(b, in.Session)
	ids := make([]int, 0, len(in.Samples))
	for id := range in.Samples {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		b = binary.AppendUvarint(b, uint64(max(id, 0)))
		b = binary.AppendUvarint(b, uint64(max(in.Samples[id], 0)))
	}
	b = binary.AppendUvarint(b, uint64(len(in.Tracks)))
	for _, t := range in.Tracks {
		b = binary.AppendUvarint(b, uint64(max(t.ID, 0)))
		b = appendString(b, t.Kind)
		b = appendString(b, t.Codec)
		b = appendString(b, t.Name)
		for _, v := range []int{t.Width, t.Height, t.SampleRate, t.Channels, t.Timescale} {
			b = binary.AppendUvarint(b, uint64(max(v, 0)))
		}
	}
	b = binary.AppendUvarint(b, in.Token)
	if in.Packed {
		b = binary.AppendUvarint(b, uint64(max(in.Offset, 0)))
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// recordDecoder decodes the index records of one listing. Consecutive
// fragments of a session share their init key, session and track list:
// the decoder returns the previous record's strings and Tracks slice when
// the bytes are the same, so that a track list is decoded once per run of
// fragments rather than once per fragment. Info.Tracks may therefore be
// shared between Infos and must not be modified.
type recordDecoder struct {
	initKey, session string
	tracksRaw        []byte
	tracks           []TrackInfo
}

// decode returns the Info of index record data, numbered number.
func (d *recordDecoder) decode(number string, data []byte) (Info, error) {
	if len(data) == 0 {
		return Info{}, fmt.Errorf("fragment %s: %w: empty", number, errRecordFormat)
	}
	var (
		in  Info
		err error
	)
	switch v := data[0]; {
	case v == '{':
		in, err = decodeJSONRecord(data)
	case v == binaryRecordVersion:
		in, err = d.decodeBinary(data[1:])
	case v > binaryRecordVersion:
		return Info{}, fmt.Errorf("fragment %s: %w: record format %d is newer than this build", number, errRecordFormat, v)
	default:
		return Info{}, fmt.Errorf("fragment %s: %w: unknown record format %d", number, errRecordFormat, v)
	}
	if err != nil {
		return Info{}, fmt.Errorf("fragment %s: %w: %w", number, errRecordFormat, err)
	}
	in.Number = number
	return in, nil
}

func decodeJSONRecord(data []byte) (Info, error) {
	var rec jsonRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return Info{}, err
	}
	if rec.V != 1 {
		return Info{}, fmt.Errorf("JSON record version %d (only 1 is JSON)", rec.V)
	}
	return Info{
		Key: rec.Key, InitKey: rec.Init,
		ProducerTime: time.Unix(0, rec.Producer).UTC(), ServerTime: time.Unix(0, rec.Server).UTC(),
		Duration: time.Duration(rec.Duration), Size: rec.Size, Keyframe: rec.Keyframe,
		Discontinuity: rec.Discont, Session: rec.Session, SessionIndex: rec.Index, Samples: rec.Samples, Tracks: rec.Tracks,
	}, nil
}

func (d *recordDecoder) decodeBinary(b []byte) (Info, error) {
	r := reader{b: b}
	flags := r.byte()
	in := Info{
		Keyframe:      flags&flagKeyframe != 0,
		Discontinuity: flags&flagDiscontinuity != 0,
		Packed:        flags&flagPacked != 0,
		ProducerTime:  time.Unix(0, r.varint()).UTC(),
		ServerTime:    time.Unix(0, r.varint()).UTC(),
		Duration:      time.Duration(r.int()),
		Size:          int64(r.int()),
		SessionIndex:  r.int(),
		Key:           string(r.bytes()),
	}
	in.InitKey = reuse(&d.initKey, r.bytes())
	in.Session = reuse(&d.session, r.bytes())
	if n := r.count(2); n > 0 {
		in.Samples = make(map[int]int, n)
		for range n {
			id := r.int()
			in.Samples[id] = r.int()
		}
	}
	// A track list's encoding is self-delimiting, so the previous list's
	// bytes at this point are this record's whole list.
	if start := r.off; d.tracks != nil && bytes.HasPrefix(b[start:], d.tracksRaw) {
		in.Tracks = d.tracks
		r.off += len(d.tracksRaw)
	} else if n := r.count(9); n > 0 {
		tracks := make([]TrackInfo, n)
		for i := range tracks {
			t := TrackInfo{ID: r.int(), Kind: string(r.bytes()), Codec: string(r.bytes()), Name: string(r.bytes())}
			t.Width, t.Height, t.SampleRate, t.Channels, t.Timescale = r.int(), r.int(), r.int(), r.int(), r.int()
			tracks[i] = t
		}
		if r.err == nil {
			d.tracksRaw, d.tracks = append(d.tracksRaw[:0], b[start:r.off]...), tracks
			in.Tracks = tracks
		}
	}
	if r.err == nil && r.off < len(b) {
		v, n := binary.Uvarint(b[r.off:])
		if n <= 0 {
			r.fail("token")
		} else {
			in.Token, r.off = v, r.off+n
		}
	}
	if in.Packed {
		in.Offset = int64(r.uvarint())
	}
	if r.err != nil {
		return Info{}, r.err
	}
	return in, nil
}

// reuse returns *prev when b holds the same bytes, else b as a new string
// that it also keeps in *prev.
func reuse(prev *string, b []byte) string {
	if string(b) != *prev {
		*prev = string(b)
	}
	return *prev
}

// reader reads the fields of a binary record; its first error sticks, and
// reads after it return zero values.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("truncated or malformed %s at byte %d", what, r.off+1)
	}
}

func (r *reader) byte() byte {
	if r.err != nil || r.off >= len(r.b) {
		r.fail("flags")
		return 0
	}
	r.off++
	return r.b[r.off-1]
}

// varint reads a signed (zig-zag) varint, as binary.AppendVarint wrote it.
func (r *reader) varint() int64 {
	u := r.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail("uvarint")
		return 0
	}
	r.off += n
	return v
}

// int reads a uvarint that must fit an int.
func (r *reader) int() int {
	v := r.uvarint()
	if v > math.MaxInt {
		r.fail("number")
		return 0
	}
	return int(v)
}

// count reads a number of items of at least minBytes each, checked
// against what is left so that a corrupt count cannot allocate much.
func (r *reader) count(minBytes int) int {
	n := r.uvarint()
	if n > uint64((len(r.b)-r.off)/minBytes) {
		r.fail("count")
		return 0
	}
	return int(n)
}

// bytes reads a length-prefixed string; the result aliases the record.
func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail("string")
		return nil
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s
}
