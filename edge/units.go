package edge

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
	"github.com/nats-io/nats.go"
	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/ingest/relay"
)

// Kinds of unit feed messages (subject units).
const (
	kindUnit  = "unit"  // meta: wireUnit; body: the unit's data, concatenated
	kindStart = "start" // meta: unitEvent with the new session's tracks
	kindEnd   = "end"   // meta: unitEvent
)

// wireTrack is a fragments.Track: its mediacommon mp4 codec as JSON,
// named by its Go type (CodecH264, ...).
type wireTrack struct {
	Type      string          `json:"type"`
	Codec     json.RawMessage `json:"codec"`
	ClockRate int             `json:"clock_rate"`
}

// wireUnit is a fragments.Unit in a unit feed (Data in snapshots only: the
// feed sends it as the body, cut by Sizes).
type wireUnit struct {
	Epoch   string    `json:"epoch"`
	Seq     uint64    `json:"seq"`
	Track   int       `json:"track"`
	PTS     int64     `json:"pts"`
	Arrival time.Time `json:"arrival"`
	NTP     time.Time `json:"ntp,omitzero"`
	Sizes   []int     `json:"sizes"`
	Data    [][]byte  `json:"data,omitempty"`
}

// unitEvent is the meta of start and end messages.
type unitEvent struct {
	Epoch  string      `json:"epoch"`
	Seq    uint64      `json:"seq"`
	Tracks []wireTrack `json:"tracks,omitempty"`
}

// unitSnapshot is a unit join's answer: the feed's position, the live
// session's tracks and its current group of pictures.
type unitSnapshot struct {
	Version string      `json:"v"`
	Epoch   string      `json:"epoch"`
	Seq     uint64      `json:"seq"`
	Live    bool        `json:"live"`
	Tracks  []wireTrack `json:"tracks,omitempty"`
	Units   []wireUnit  `json:"units,omitempty"`
}

// codecTypes are mediacommon's mp4 codecs by Go type name.
var codecTypes = func() map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for _, c := range []mp4.Codec{&mp4.CodecH264{}, &mp4.CodecH265{}, &mp4.CodecAV1{}, &mp4.CodecVP9{},
		&mp4.CodecMPEG4Audio{}, &mp4.CodecOpus{}, &mp4.CodecLPCM{}, &mp4.CodecAC3{}, &mp4.CodecMJPEG{},
		&mp4.CodecMPEG1Audio{}, &mp4.CodecMPEG1Video{}, &mp4.CodecMPEG4Video{}} {
		t := reflect.TypeOf(c).Elem()
		m[t.Name()] = t
	}
	return m
}()

func toWireTracks(ts []fragments.Track) ([]wireTrack, error) {
	out := make([]wireTrack, len(ts))
	for i, t := range ts {
		rt := reflect.TypeOf(t.Codec)
		if rt == nil || rt.Kind() != reflect.Pointer || codecTypes[rt.Elem().Name()] != rt.Elem() {
			return nil, fmt.Errorf("edge: track %d: codec %T cannot be sent", i, t.Codec)
		}
		b, err := json.Marshal(t.Codec)
		if err != nil {
			return nil, err
		}
		out[i] = wireTrack{Type: rt.Elem().Name(), Codec: b, ClockRate: t.ClockRate}
	}
	return out, nil
}

func fromWireTracks(ws []wireTrack) ([]fragments.Track, error) {
	out := make([]fragments.Track, len(ws))
	for i, w := range ws {
		rt := codecTypes[w.Type]
		if rt == nil {
			return nil, fmt.Errorf("edge: track %d: unknown codec type %q", i, w.Type)
		}
		c := reflect.New(rt).Interface().(mp4.Codec)
		if err := json.Unmarshal(w.Codec, c); err != nil {
			return nil, fmt.Errorf("edge: track %d (%s): %w", i, w.Type, err)
		}
		out[i] = fragments.Track{Codec: c, ClockRate: w.ClockRate}
	}
	return out, nil
}

func toWireUnit(u fragments.Unit) wireUnit {
	w := wireUnit{Track: u.Track, PTS: u.PTS, Arrival: u.Arrival, NTP: u.NTP, Sizes: make([]int, len(u.Data))}
	for i, d := range u.Data {
		w.Sizes[i] = len(d)
	}
	return w
}

// unit rebuilds the unit from data (the body, cut by Sizes).
func (w *wireUnit) unit(body []byte) (fragments.Unit, error) {
	u := fragments.Unit{Track: w.Track, PTS: w.PTS, Arrival: w.Arrival, NTP: w.NTP, Data: make([][]byte, len(w.Sizes))}
	for i, n := range w.Sizes {
		if n < 0 || n > len(body) {
			return fragments.Unit{}, fmt.Errorf("edge: unit of %d bytes cut as %v", len(body), w.Sizes)
		}
		u.Data[i], body = body[:n:n], body[n:]
	}
	return u, nil
}

// ---- the recording node: a feed of one stream's units ----

// unitFeed publishes one recorded stream's relay events (units, session
// starts and ends), numbered, while some node is interested, and keeps
// the current group of pictures for the snapshots that joins receive.
// Its goroutine reads sub; the rest is guarded by mu (until by Node.mu).
type unitFeed struct {
	n      *Node
	stream string
	subj   subjects
	sub    *relay.Subscription
	until  time.Time

	mu      sync.Mutex // guards the fields below; held while a message is published (a snapshot then marks a position in the feed)
	epoch   string
	seq     uint64
	live    bool
	tracks  []wireTrack
	video   int // track index, -1 without video
	gop     []wireUnit
	bytes   int
	dropped int
}

// interestUnits starts (or extends) the unit feed of a stream this node
// records; nil when it does not record it.
func (n *Node) interestUnits(stream string) *unitFeed {
	rel := n.cfg.Relay
	if !n.recordingUnits(stream) {
		return nil
	}
	n.mu.Lock()
	f := n.ufeeds[stream]
	if f != nil || n.closed {
		if f != nil {
			f.until = time.Now().Add(n.cfg.Interest)
		}
		n.mu.Unlock()
		return f
	}
	n.mu.Unlock()
	sub, err := rel.SubscribeHere(stream)
	if err != nil {
		return nil // ended meanwhile
	}
	f = &unitFeed{n: n, stream: stream, subj: n.cfg.subjects(stream), sub: sub, epoch: rand.Text()}
	f.begin(sub.Tracks())
	// The cached group of pictures is the first snapshot's, not sent.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for {
		ev, err := sub.Next(done)
		if err != nil {
			break
		}
		f.take(ev, false)
	}
	n.mu.Lock()
	if other := n.ufeeds[stream]; other != nil || n.closed {
		n.mu.Unlock()
		sub.Close()
		if other != nil {
			return n.interestUnits(stream)
		}
		return nil
	}
	f.until = time.Now().Add(n.cfg.Interest)
	n.ufeeds[stream] = f
	n.wg.Add(1)
	n.mu.Unlock()
	go f.run()
	return f
}

// recordingUnits reports whether this node's relay has a publisher of
// stream that is not a mirror's.
func (n *Node) recordingUnits(stream string) bool {
	if !n.cfg.Relay.Live(stream) {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	fo := n.mirrors[mkey{mirrorUnits, stream}]
	return fo == nil || !fo.f.(*unitMirror).pub.Load().Current()
}

func (f *unitFeed) run() {
	n := f.n
	defer n.wg.Done()
	defer f.sub.Close()
	for {
		n.mu.Lock()
		until := f.until
		if time.Now().After(until) || n.closed {
			delete(n.ufeeds, f.stream)
			n.mu.Unlock()
			return
		}
		n.mu.Unlock()
		ctx, cancel := context.WithDeadline(n.ctx, until)
		ev, err := f.sub.Next(ctx)
		cancel()
		if err == nil {
			f.take(ev, true)
		}
	}
}

// begin starts a session of tracks. Called with mu held (or before run).
func (f *unitFeed) begin(tracks []fragments.Track) {
	w, err := toWireTracks(tracks)
	if err != nil {
		f.n.cfg.Logger.Warn("edge: unit feed", "stream", f.stream, "err", err)
	}
	f.live, f.tracks, f.video = err == nil, w, -1
	for i, t := range tracks {
		if t.Codec != nil && t.Codec.IsVideo() {
			f.video = i
			break
		}
	}
	clear(f.gop)
	f.gop, f.bytes = f.gop[:0], 0
}

// take numbers one relay event, keeps the group of pictures and, when
// send, publishes it.
func (f *unitFeed) take(ev relay.Event, send bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d := f.sub.Dropped(); d != f.dropped {
		// The relay dropped units for this feed: skip a number, mirrors
		// see a gap and join again (after the next keyframe).
		f.dropped = d
		f.seq++
		clear(f.gop)
		f.gop, f.bytes = f.gop[:0], 0
	}
	f.seq++
	var kind string
	var meta any
	var body []byte
	switch ev.Kind {
	case relay.KindStart:
		f.begin(ev.Tracks)
		kind, meta = kindStart, unitEvent{Epoch: f.epoch, Seq: f.seq, Tracks: f.tracks}
		if !f.live {
			kind, meta = kindEnd, unitEvent{Epoch: f.epoch, Seq: f.seq}
		}
	case relay.KindEnd:
		f.begin(nil)
		f.live = false
		kind, meta = kindEnd, unitEvent{Epoch: f.epoch, Seq: f.seq}
	case relay.KindUnit:
		w := toWireUnit(ev.Unit)
		w.Epoch, w.Seq = f.epoch, f.seq
		if ev.Unit.Track == f.video {
			if ev.Key {
				clear(f.gop)
				f.gop, f.bytes = f.gop[:0], 0
			}
			f.keep(w, ev.Unit.Data)
		}
		kind, meta = kindUnit, w
		for _, d := range ev.Unit.Data {
			body = append(body, d...)
		}
	}
	if !send {
		return
	}
	m, err := message(f.subj.units, kind, meta, body)
	if err == nil {
		err = f.n.nc.PublishMsg(m)
	}
	if err != nil && !errors.Is(err, nats.ErrMaxPayload) { // too large: mirrors see a gap
		f.n.cfg.Logger.Warn("edge: publish", "stream", f.stream, "kind", kind, "err", err)
	}
}

// keep adds a video unit to the group of pictures, when the group has its
// keyframe and stays within half the connection's maximum payload (past
// it, snapshots carry none and mirrors wait for the next keyframe).
func (f *unitFeed) keep(w wireUnit, data [][]byte) {
	n := 0
	for _, d := range data {
		n += len(d)
	}
	if f.bytes < 0 || (len(f.gop) == 0 && f.bytes > 0) {
		return
	}
	if f.bytes+n > int(f.n.nc.MaxPayload()/2) {
		clear(f.gop)
		f.gop, f.bytes = f.gop[:0], -1 // until the next keyframe
		return
	}
	w.Data = data
	f.gop = append(f.gop, w)
	f.bytes += n
}

// snapshot encodes the feed's position, tracks and group of pictures.
func (f *unitFeed) snapshot() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := unitSnapshot{Version: version, Epoch: f.epoch, Seq: f.seq, Live: f.live}
	if f.live {
		s.Tracks, s.Units = f.tracks, f.gop
	}
	return json.Marshal(s)
}

// onUnitJoin answers a mirroring node's unit join with the stream's
// snapshot, when this node records it, and extends the interest in it.
func (n *Node) onUnitJoin(m *nats.Msg) {
	stream, ok := n.cfg.streamOf(m.Subject)
	if !ok {
		return
	}
	f := n.interestUnits(stream)
	if f == nil {
		return
	}
	b, err := f.snapshot()
	if err == nil {
		err = m.Respond(b)
	}
	if err != nil {
		n.cfg.Logger.Warn("edge: answer unit join", "stream", stream, "err", err)
	}
}

// onUnitKeep extends the interest in a stream this node records.
func (n *Node) onUnitKeep(m *nats.Msg) {
	if stream, ok := n.cfg.streamOf(m.Subject); ok {
		n.interestUnits(stream)
	}
}

// onUnitKey passes a mirror's keyframe request (its viewer's decoder lost
// its references) to the stream's publisher here.
func (n *Node) onUnitKey(m *nats.Msg) {
	stream, ok := n.cfg.streamOf(m.Subject)
	if !ok {
		return
	}
	n.mu.Lock()
	f := n.ufeeds[stream]
	n.mu.Unlock()
	if f != nil {
		f.sub.RequestKeyframe()
	}
}

// ---- a node with viewers: a mirror of another node's units ----

// unitMirror publishes another node's live units of one stream in this
// node's relay while this node has subscribers of it. follow's goroutine
// owns everything but pub (read by recordingUnits) and viewed (Node.mu).
type unitMirror struct {
	n      *Node
	fo     *follow
	stream string
	pub    atomic.Pointer[relay.Publisher] // nil while the stream is not live
	viewed time.Time                       // the last time the relay had subscribers of the stream

	epoch string
	seq   uint64
	left  map[string]bool // epochs given up for a newer one
}

// watchUnits is the relay's OnSubscribe hook: a subscription of a stream
// that this node does not record starts (or waits for) its mirror.
func (n *Node) watchUnits(stream string) {
	n.mirror(mkey{mirrorUnits, stream}, func() bool { return n.recordingUnits(stream) }, func(fo *follow) follower {
		return &unitMirror{n: n, fo: fo, stream: stream, left: map[string]bool{}}
	})
}

func (m *unitMirror) join(b []byte) error {
	var s unitSnapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("edge: unit snapshot of %s: %w", m.stream, err)
	}
	if s.Version != version {
		return fmt.Errorf("edge: unit snapshot of %s has version %q (want %s)", m.stream, s.Version, version)
	}
	if m.epoch != "" && m.epoch != s.Epoch {
		m.leave()
	}
	m.epoch, m.seq = s.Epoch, s.Seq
	if !s.Live {
		m.end()
		return nil
	}
	if err := m.start(s.Tracks); err != nil {
		return err
	}
	pub := m.pub.Load()
	for _, w := range s.Units {
		u, err := w.unit(concat(w.Data))
		if err != nil {
			return err
		}
		pub.Write(u)
	}
	return nil
}

func concat(data [][]byte) []byte {
	var b []byte
	for _, d := range data {
		b = append(b, d...)
	}
	return b
}

// start publishes a session of tracks in this node's relay.
func (m *unitMirror) start(ws []wireTrack) error {
	tracks, err := fromWireTracks(ws)
	if err != nil {
		return err
	}
	pub := m.n.cfg.Relay.Publish(m.stream, tracks)
	keySubj := m.fo.subj.ukey
	pub.SetKeyframeRequester(func() {
		if err := m.n.nc.Publish(keySubj, nil); err != nil {
			m.n.cfg.Logger.Warn("edge: keyframe request", "stream", m.stream, "err", err)
		}
	})
	m.pub.Store(pub)
	return nil
}

// end ends the mirrored session here.
func (m *unitMirror) end() {
	if pub := m.pub.Swap(nil); pub != nil {
		pub.Close()
	}
}

// leave gives up the current epoch: its late messages are ignored.
func (m *unitMirror) leave() {
	if len(m.left) > 16 {
		clear(m.left)
	}
	m.left[m.epoch] = true
}

func (m *unitMirror) apply(msg *nats.Msg) error {
	kind, meta, err := decodeMeta(msg)
	if err != nil {
		return err
	}
	var epoch string
	var seq uint64
	switch e := meta.(type) {
	case *wireUnit:
		epoch, seq = e.Epoch, e.Seq
	case *unitEvent:
		epoch, seq = e.Epoch, e.Seq
	default:
		return nil
	}
	switch {
	case m.left[epoch] || epoch == m.epoch && seq <= m.seq:
		return nil // given up, or in the snapshot already
	case epoch != m.epoch || seq != m.seq+1:
		return errGap // a new recorder, or a lost message
	}
	m.seq = seq
	switch e := meta.(type) {
	case *wireUnit:
		if pub := m.pub.Load(); pub != nil {
			u, err := e.unit(msg.Data)
			if err != nil {
				return err
			}
			pub.Write(u)
		}
	case *unitEvent:
		if kind == kindStart {
			return m.start(e.Tracks)
		}
		m.end()
	}
	return nil
}

func (m *unitMirror) lost() {
	m.end()
	if m.epoch != "" {
		m.leave()
		m.epoch = ""
	}
}

func (m *unitMirror) touch() { m.viewed = time.Now() }

// idle: no subscriber of the stream here for Config.Idle, or the stream is
// published here by something else (this node records it now).
func (m *unitMirror) idle() bool {
	if pub := m.pub.Load(); pub != nil && !pub.Current() {
		return true
	}
	if m.n.cfg.Relay.Subscribers(m.stream) > 0 {
		m.viewed = time.Now()
	}
	return time.Since(m.viewed) > m.n.cfg.Idle
}

func (m *unitMirror) forget() {
	if pub := m.pub.Swap(nil); pub != nil && pub.Current() {
		pub.Close()
	}
}
