package edge

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/sluice-dev/sluice/fragments"
)

// Wire format version (header hdrVersion) and headers.
const (
	version    = "1"
	hdrVersion = "Sluice-Edge"
	hdrKind    = "Sluice-Edge-Kind"
	hdrMeta    = "Sluice-Edge-Meta"
)

// Kinds of feed messages.
const (
	kindPublish   = "publish"   // meta: event (Session, Since)
	kindPart      = "part"      // meta: wirePart; body: the part's bytes
	kindClose     = "close"     // meta: wireClosed
	kindIndexed   = "indexed"   // meta: event (Session, Index, Number)
	kindUnpublish = "unpublish" // meta: event (Session)
)

// subjects of one stream: the hub's (feed, join, keep) and the relay's
// (units, ujoin, ukeep, and ukey: a mirror's keyframe request).
type subjects struct{ feed, join, keep, units, ujoin, ukeep, ukey string }

func (c Config) subjects(stream string) subjects {
	tok := base64.RawURLEncoding.EncodeToString([]byte(stream))
	p := c.Prefix + "." + tok + "."
	return subjects{feed: p + "feed", join: p + "join", keep: p + "keep",
		units: p + "units", ujoin: p + "ujoin", ukeep: p + "ukeep", ukey: p + "ukey"}
}

// streamOf parses the stream of a join or keep subject.
func (c Config) streamOf(subject string) (string, bool) {
	rest, ok := strings.CutPrefix(subject, c.Prefix+".")
	if !ok {
		return "", false
	}
	tok, _, ok := strings.Cut(rest, ".")
	if !ok {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	return string(b), err == nil
}

type wireInit struct {
	ID     string                `json:"id"`
	Bytes  []byte                `json:"bytes"`
	Tracks []fragments.TrackInfo `json:"tracks"`
}

type wirePart struct {
	Session     string        `json:"session"`
	Fragment    int           `json:"fragment"`
	Index       int           `json:"index"`
	Independent bool          `json:"independent,omitempty"`
	Start       time.Time     `json:"start"`
	Duration    time.Duration `json:"duration"`
	InitID      string        `json:"init_id"`
	Init        *wireInit     `json:"init,omitempty"`  // with a fragment's first part
	Bytes       []byte        `json:"bytes,omitempty"` // in snapshots (the feed sends them as the body)
}

type wireClosed struct {
	Session       string        `json:"session"`
	Index         int           `json:"index"`
	InitID        string        `json:"init_id"`
	Size          int           `json:"size"`
	ProducerStart time.Time     `json:"producer_start"`
	ServerStart   time.Time     `json:"server_start"`
	Duration      time.Duration `json:"duration"`
	Keyframe      bool          `json:"keyframe,omitempty"`
	Discontinuity bool          `json:"discontinuity,omitempty"`
	Samples       map[int]int   `json:"samples,omitempty"`
}

// event is the meta of publish, indexed and unpublish messages.
type event struct {
	Session string    `json:"session"`
	Since   time.Time `json:"since,omitzero"`
	Index   int       `json:"index,omitempty"`
	Number  string    `json:"number,omitempty"`
}

// snapshot is a join's answer: a recorder's live edge of one stream.
type snapshot struct {
	Version   string         `json:"v"`
	Session   string         `json:"session"`
	Since     time.Time      `json:"since"`
	Fragments []wireFragment `json:"fragments"`
}

type wireFragment struct {
	Session string      `json:"session"`
	Index   int         `json:"index"`
	Init    wireInit    `json:"init"`
	Parts   []wirePart  `json:"parts"`
	Closed  *wireClosed `json:"closed,omitempty"`
	Number  string      `json:"number,omitempty"`
}

func toWireInit(in *fragments.Init) *wireInit {
	return &wireInit{ID: in.ID, Bytes: in.Bytes, Tracks: in.Tracks}
}

func (w *wireInit) init() *fragments.Init {
	return &fragments.Init{ID: w.ID, Bytes: w.Bytes, Tracks: w.Tracks}
}

func toWirePart(p *fragments.Part) wirePart {
	return wirePart{Session: p.Session, Fragment: p.Fragment, Index: p.Index, Independent: p.Independent,
		Start: p.Start, Duration: p.Duration, InitID: p.Init.ID}
}

func (w wirePart) part(in *fragments.Init, b []byte) *fragments.Part {
	return &fragments.Part{Session: w.Session, Fragment: w.Fragment, Index: w.Index, Independent: w.Independent,
		Start: w.Start, Duration: w.Duration, Bytes: b, Init: in}
}

func toWireClosed(lf *fragments.LiveFragment) *wireClosed {
	c := lf.Closed
	return &wireClosed{Session: lf.Session, Index: lf.Index, InitID: lf.Init.ID, Size: c.Size,
		ProducerStart: c.ProducerStart, ServerStart: c.ServerStart, Duration: c.Duration,
		Keyframe: c.Keyframe, Discontinuity: c.Discontinuity, Samples: c.Samples}
}

func (w *wireClosed) fragment(in *fragments.Init) *fragments.Fragment {
	return &fragments.Fragment{Session: w.Session, Index: w.Index, Init: in, Size: w.Size,
		ProducerStart: w.ProducerStart, ServerStart: w.ServerStart, Duration: w.Duration,
		Keyframe: w.Keyframe, Discontinuity: w.Discontinuity, Samples: w.Samples}
}

// message builds a feed message.
func message(subject, kind string, meta any, body []byte) (*nats.Msg, error) {
	b, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	m := nats.NewMsg(subject)
	m.Header.Set(hdrVersion, version)
	m.Header.Set(hdrKind, kind)
	m.Header.Set(hdrMeta, string(b))
	m.Data = body
	return m, nil
}

// decodeMeta reads a feed message's kind and meta into one of the meta
// types, chosen by kind.
func decodeMeta(m *nats.Msg) (kind string, meta any, err error) {
	if v := m.Header.Get(hdrVersion); v != version {
		return "", nil, fmt.Errorf("edge: feed message of version %q (want %s)", v, version)
	}
	kind = m.Header.Get(hdrKind)
	switch kind {
	case kindPart:
		meta = &wirePart{}
	case kindClose:
		meta = &wireClosed{}
	case kindPublish, kindIndexed, kindUnpublish:
		meta = &event{}
	case kindUnit:
		meta = &wireUnit{}
	case kindStart, kindEnd:
		meta = &unitEvent{}
	default:
		return "", nil, fmt.Errorf("edge: unknown feed message kind %q", kind)
	}
	if err := json.Unmarshal([]byte(m.Header.Get(hdrMeta)), meta); err != nil {
		return "", nil, fmt.Errorf("edge: %s message: %w", kind, err)
	}
	return kind, meta, nil
}
