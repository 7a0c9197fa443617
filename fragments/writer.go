package fragments

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"
)

// WriterConfig configures a Writer. Zero durations take the defaults.
type WriterConfig struct {
	// Session names the publishing session (it appears in Parts and
	// Fragments, and in object keys chosen by the caller).
	Session string
	// TargetDuration: a fragment closes at the first keyframe at or after
	// it. Default 2s.
	TargetDuration time.Duration
	// MaxDuration: a fragment closes here even without a keyframe. Default
	// 20s. The next fragment then starts mid-GOP (Keyframe false): players
	// that start there show nothing (or garbage) until the next keyframe,
	// and an archive clip cannot start inside it.
	MaxDuration time.Duration
	// PartDuration is the target duration of a live-edge part. Default 200ms.
	PartDuration time.Duration
	// Discontinuity marks the session's first fragment as a discontinuity
	// (true for every session but a stream's very first). Default false.
	Discontinuity bool
	// NotBefore: producer timestamps never go below it (the end of the
	// stream's previous fragment), so that a stream's timestamps never go
	// backwards across sessions. A session that would start earlier is
	// shifted to start here.
	NotBefore time.Time
	// DropParts: the OnPart receiver keeps the parts' bytes (a spool);
	// the Writer does not hold them until the fragment closes, and
	// Fragment.Parts is nil (Size still counts them).
	DropParts bool
	// OnPart and OnFragment receive output, in order, on the goroutine that
	// calls Write or Close. They must not keep the Writer's lock.
	OnPart     func(*Part)
	OnFragment func(*Fragment)
	Logger     *slog.Logger
}

// Writer cuts one session's access units into parts and fragments. It is
// not safe for concurrent use: one goroutine (the session's) owns it.
type Writer struct {
	cfg    WriterConfig
	tracks []*trackState
	leader *trackState // first video track, else first track

	started bool
	epochNs int64 // unix ns of PTS 0 (producer clock)
	init    *Init
	frag    *openFragment
	nFrags  int
	lastEnd time.Time // producer end of the last closed fragment
	discont bool
	closed  bool
}

type trackState struct {
	id      int
	clock   int64
	conv    *converter
	pending *sample // waiting for the next sample to know its duration
	lastDur int64
	lastDTS int64
	hasLast bool
	epoch   int64 // epochNs in this track's clock
	shift   int64 // added to this track's timestamps after clock jumps
	// current part
	samples  []*fmp4.Sample
	partBase int64
	count    int // samples in the open fragment
}

type openFragment struct {
	index     int
	init      *Init
	startDTS  int64 // leader clock
	partStart int64 // leader clock
	producer  time.Time
	server    time.Time
	keyframe  bool
	discont   bool
	parts     [][]byte
	size      int // of the parts so far
	partIdx   int
	partIndep bool
	partSeq   uint32
}

// NewWriter checks the tracks and returns a Writer for them. Tracks with
// unsupported codecs are refused (ErrUnsupportedCodec names the codec);
// callers drop such tracks before, and say so to the publisher.
func NewWriter(cfg WriterConfig, tracks []Track) (*Writer, error) {
	if len(tracks) == 0 {
		return nil, errors.New("fragments: no tracks")
	}
	if cfg.TargetDuration <= 0 {
		cfg.TargetDuration = 2 * time.Second
	}
	if cfg.MaxDuration <= 0 {
		cfg.MaxDuration = 20 * time.Second
	}
	if cfg.MaxDuration < cfg.TargetDuration {
		cfg.MaxDuration = cfg.TargetDuration
	}
	if cfg.PartDuration <= 0 {
		cfg.PartDuration = 200 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	w := &Writer{cfg: cfg, discont: cfg.Discontinuity}
	for i, t := range tracks {
		if err := checkCodec(t); err != nil {
			return nil, err
		}
		ts := &trackState{id: i + 1, clock: int64(t.ClockRate), conv: newConverter(Track{Codec: cloneCodec(t.Codec), ClockRate: t.ClockRate})}
		w.tracks = append(w.tracks, ts)
		if w.leader == nil && isVideo(t.Codec) {
			w.leader = ts
		}
	}
	if w.leader == nil {
		w.leader = w.tracks[0]
	}
	return w, nil
}

// Write adds one access unit. Bad input (undecodable units, broken timing)
// is logged and dropped, never fatal: the writer resynchronises at the
// next keyframe. Write returns an error only when called after Close.
func (w *Writer) Write(u Unit) error {
	if w.closed {
		return errors.New("fragments: write after close")
	}
	if u.Track < 0 || u.Track >= len(w.tracks) {
		return fmt.Errorf("fragments: no track %d", u.Track)
	}
	t := w.tracks[u.Track]
	samples, err := t.conv.convert(u)
	if err != nil {
		w.cfg.Logger.Debug("dropping access unit", "session", w.cfg.Session, "track", t.id, "err", err)
	}
	for i := range samples {
		w.add(t, &samples[i])
	}
	return nil
}

// Close flushes the open fragment, including its last samples (their
// duration is taken from the sample before), and emits it.
func (w *Writer) Close() {
	if w.closed {
		return
	}
	w.closed = true
	if w.frag == nil {
		return
	}
	var end int64
	for _, t := range w.tracks {
		if t.pending != nil {
			d := t.pending.dur
			if d <= 0 {
				d = max(t.lastDur, 1)
			}
			t.complete(t.pending, d)
			if t == w.leader {
				end = t.pending.dts + d
			}
			t.pending = nil
		}
	}
	if end == 0 {
		end = w.leader.lastDTS + max(w.leader.lastDur, 1)
	}
	w.closeFragment(end)
}

// add places one sample: it completes the track's pending sample, cuts
// parts and fragments at leader samples, then keeps s pending.
func (w *Writer) add(t *trackState, s *sample) {
	if !w.started {
		if t != w.leader || !s.sync {
			return // wait for the leader's first random access point
		}
		w.start(s)
	}
	s.dts, s.pts = s.dts+t.shift, s.pts+t.shift
	if t.hasLast && (s.dts < t.lastDTS || s.dts-t.lastDTS > 10*t.clock) {
		// The producer's clock jumped (backwards, or forwards by more than
		// 10 s): continue this track's timeline one sample on, and mark the
		// next fragment as a discontinuity.
		d := max(t.lastDur, 1)
		shift := t.lastDTS + d - s.dts
		t.shift += shift
		s.dts, s.pts = s.dts+shift, s.pts+shift
		w.discont = true
	}
	if p := t.pending; p != nil {
		d := p.dur
		if d <= 0 {
			d = s.dts - p.dts
		}
		t.complete(p, max(d, 0))
		t.pending = nil
	}
	if t == w.leader {
		w.cut(s)
	}
	t.pending = s
	t.lastDTS, t.hasLast = s.dts, true
}

func (w *Writer) start(s *sample) {
	w.started = true
	ref := s.arrival
	if !s.ntp.IsZero() {
		ref = s.ntp
	}
	w.epochNs = ref.UnixNano() - s.pts*int64(time.Second)/w.leader.clock
	if nb := w.cfg.NotBefore.UnixNano(); w.epochNs+s.dts*int64(time.Second)/w.leader.clock < nb {
		w.epochNs = nb - s.dts*int64(time.Second)/w.leader.clock
	}
	for _, t := range w.tracks {
		// epochNs*clock would overflow int64 (1.8e18 * 90000): split it.
		t.epoch = w.epochNs/int64(time.Second)*t.clock + w.epochNs%int64(time.Second)*t.clock/int64(time.Second)
	}
}

// complete appends a sample whose duration is now known to the open part.
func (t *trackState) complete(s *sample, dur int64) {
	if len(t.samples) == 0 {
		t.partBase = s.dts
	}
	t.samples = append(t.samples, &fmp4.Sample{
		Duration:        uint32(dur),
		PTSOffset:       int32(s.pts - s.dts),
		IsNonSyncSample: !s.sync,
		Payload:         s.payload,
	})
	t.lastDur = dur
	t.count++
}

// cut decides, at a leader sample s, whether the open fragment or part ends
// before s.
func (w *Writer) cut(s *sample) {
	l := w.leader
	if w.frag == nil {
		w.openFragment(s)
		return
	}
	elapsed := time.Duration((s.dts - w.frag.startDTS) * int64(time.Second) / l.clock)
	paramsChanged := s.sync && w.paramsChanged()
	if (s.sync && elapsed >= w.cfg.TargetDuration) || elapsed >= w.cfg.MaxDuration || paramsChanged {
		w.closeFragment(s.dts)
		w.openFragment(s)
		return
	}
	if time.Duration((s.dts-w.frag.partStart)*int64(time.Second)/l.clock) >= w.cfg.PartDuration {
		w.flushPart(s.dts)
		w.frag.partIndep = s.sync
	}
}

func (w *Writer) paramsChanged() bool {
	for _, t := range w.tracks {
		if t.conv.changed {
			return true
		}
	}
	return false
}

func (w *Writer) openFragment(s *sample) {
	if w.init == nil || w.paramsChanged() {
		in, err := marshalInit(w.tracks)
		if err != nil {
			w.cfg.Logger.Error("building init segment", "session", w.cfg.Session, "err", err)
			return
		}
		for _, t := range w.tracks {
			t.conv.changed = false
		}
		w.init = in
	}
	w.frag = &openFragment{
		index:     w.nFrags,
		init:      w.init,
		startDTS:  s.dts,
		partStart: s.dts,
		producer:  time.Unix(0, w.epochNs+s.dts*int64(time.Second)/w.leader.clock),
		server:    s.arrival,
		keyframe:  s.sync,
		discont:   w.discont,
		partIndep: s.sync,
	}
	w.nFrags++
	w.discont = false
	for _, t := range w.tracks {
		t.count = 0
	}
}

// flushPart marshals the samples completed so far as one part, ending at
// end (leader clock), and emits it.
func (w *Writer) flushPart(end int64) {
	f := w.frag
	part := fmp4.Part{SequenceNumber: f.partSeq}
	for _, t := range w.tracks {
		if len(t.samples) == 0 {
			continue
		}
		part.Tracks = append(part.Tracks, &fmp4.PartTrack{ID: t.id, BaseTime: uint64(t.epoch + t.partBase), Samples: t.samples})
	}
	if len(part.Tracks) == 0 {
		return
	}
	size := 1024
	for _, t := range part.Tracks {
		size += 16 * len(t.Samples)
		for _, smp := range t.Samples {
			size += len(smp.Payload)
		}
	}
	var buf seekablebuffer.Buffer
	buf.Grow(size) // one allocation of the right size, not a doubling series
	if err := part.Marshal(&buf); err != nil {
		w.cfg.Logger.Error("marshalling part", "session", w.cfg.Session, "err", err)
		return
	}
	l := w.leader
	p := &Part{
		Session:     w.cfg.Session,
		Fragment:    f.index,
		Index:       f.partIdx,
		Independent: f.partIndep,
		Start:       time.Unix(0, w.epochNs+f.partStart*int64(time.Second)/l.clock),
		Duration:    time.Duration((end - f.partStart) * int64(time.Second) / l.clock),
		Bytes:       buf.Bytes(),
		Init:        f.init,
	}
	for _, t := range w.tracks {
		t.samples = nil
	}
	if !w.cfg.DropParts {
		f.parts = append(f.parts, p.Bytes)
	}
	f.size += len(p.Bytes)
	f.partIdx++
	f.partSeq++
	f.partStart = end
	if w.cfg.OnPart != nil {
		w.cfg.OnPart(p)
	}
}

// closeFragment flushes the last part and emits the fragment, ending at end
// (leader clock).
func (w *Writer) closeFragment(end int64) {
	f := w.frag
	if f == nil {
		return
	}
	w.flushPart(end)
	w.frag = nil
	if f.size == 0 {
		return
	}
	size := f.size
	frag := &Fragment{
		Session:       w.cfg.Session,
		Index:         f.index,
		Init:          f.init,
		Parts:         f.parts,
		Size:          size,
		ProducerStart: f.producer,
		ServerStart:   f.server,
		Duration:      time.Duration((end - f.startDTS) * int64(time.Second) / w.leader.clock),
		Keyframe:      f.keyframe,
		Discontinuity: f.discont,
		Samples:       map[int]int{},
	}
	for _, t := range w.tracks {
		frag.Samples[t.id] = t.count
	}
	w.lastEnd = frag.ProducerStart.Add(frag.Duration)
	if w.cfg.OnFragment != nil {
		w.cfg.OnFragment(frag)
	}
}

// LastEnd is the producer time at which the last emitted fragment ended.
func (w *Writer) LastEnd() time.Time { return w.lastEnd }

// cloneCodec copies a codec so that in-band parameter updates never change
// the caller's value.
func cloneCodec(c mp4.Codec) mp4.Codec {
	switch c := c.(type) {
	case *mp4.CodecH264:
		v := *c
		return &v
	case *mp4.CodecH265:
		v := *c
		return &v
	case *mp4.CodecAV1:
		v := *c
		return &v
	case *mp4.CodecVP9:
		v := *c
		return &v
	case *mp4.CodecMPEG4Audio:
		v := *c
		return &v
	case *mp4.CodecOpus:
		v := *c
		return &v
	case *mp4.CodecLPCM:
		v := *c
		return &v
	}
	return c
}
