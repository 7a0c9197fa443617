package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/ingest/relay"
	"github.com/sluice-dev/sluice/spool"
	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/video"
)

// session is one publishing session: the writer on the front end's
// goroutine, and an archiver goroutine that stores and indexes closed
// fragments in order.
type session struct {
	r      *Recorder
	stream string
	info   fragments.Stream
	id     string
	src    Source
	since  time.Time
	tracks []fragments.TrackInfo

	mu     sync.Mutex // guards w and the counters below
	w      *fragments.Writer
	closed bool
	frags  int
	bytes  int64
	last   time.Time
	drops  int

	video     int               // the first video track (-1 without), as the relay's
	openParts []*fragments.Part // the open fragment's parts (guarded by mu), without their bytes when spilled
	sw        *spool.Writer     // the open fragment's spool file (guarded by mu), with a Spool
	swFrag    int               // its fragment's index
	queue     chan archiveJob
	done      chan struct{} // closed when the archiver has finished
	prev      chan struct{} // the previous session's done, or nil
	state     *streamState  // guarded by r.mu
	pack      pack          // the archiver's
	closeOnce sync.Once
	pub       *relay.Publisher // relay: live viewers; nil without a relay
	own       *ownership       // with an Owner: the stream's claim and index fence
	ended     chan struct{}    // closed by Close
}

// Write implements Session.
func (s *session) Write(u fragments.Unit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.pub.Write(u) // relay: live viewers first, never blocks
		_ = s.w.Write(u)
	}
}

// SetKeyframeRequester lets a front end whose source can be asked for a
// keyframe (WHIP: a PLI) do so when a live viewer needs one; see
// relay.Publisher.SetKeyframeRequester. Without a relay it does nothing.
func (s *session) SetKeyframeRequester(fn func()) { s.pub.SetKeyframeRequester(fn) }

// GOP implements relay.GOPSource: a new live viewer starts with the video
// units from the open fragment's last keyframe on, read back from its
// parts (from the spool when spilled) and from the writer, while no unit
// is written. On an error the viewer waits for the next keyframe.
func (s *session) GOP(fn func(units []fragments.Unit)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var units []fragments.Unit
	if !s.closed {
		var err error
		if units, err = s.w.GOP(s.video, s.openParts); err != nil {
			s.r.log.Warn("relay: the group of pictures for a new viewer could not be read back; it waits for the next keyframe", "stream", s.stream, "err", err)
			units = nil
		}
	}
	fn(units)
}

// keepPart notes a part of the open fragment for GOP, without its bytes
// when they are spilled (they are read back from the spool). Called under
// s.mu.
func (s *session) keepPart(p *fragments.Part) {
	if len(s.openParts) > 0 && s.openParts[0].Fragment != p.Fragment {
		clear(s.openParts)
		s.openParts = s.openParts[:0]
	}
	if p.Spill != nil {
		c := *p
		c.Bytes = nil
		p = &c
	}
	s.openParts = append(s.openParts, p)
}

// Ended returns a channel closed when the session has ended: the front end
// closed it, or the recorder did because this node no longer owns the
// stream (the front end then drops its publisher).
func (s *session) Ended() <-chan struct{} { return s.ended }

// Close implements Session.
func (s *session) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.w.Close()
		if s.sw != nil { // parts of a fragment that never closed
			s.sw.Abort()
			s.sw = nil
		}
		s.openParts = nil
		s.mu.Unlock()
		close(s.queue)
		s.pub.Close() // relay: live viewers learn that the publisher went away
		r := s.r
		r.mu.Lock()
		if r.active[s.stream] == s {
			delete(r.active, s.stream)
		}
		r.mu.Unlock()
		r.hub.Unpublish(s.stream, s.id)
		r.log.Info("session ended", "stream", s.stream, "session", s.id, "fragments", s.frags, "bytes", s.bytes)
		close(s.ended)
	})
}

// archiveJob is a closed fragment on its way to the archive: with a spool,
// its metadata (no bytes) and its spool file; without, the fragment.
type archiveJob struct {
	f *fragments.Fragment
	w *spool.Writer
}

// onPart runs on the writer's goroutine (under s.mu): the part goes to the
// live edge and, with a spool, is appended to its fragment's spool file.
func (s *session) onPart(p *fragments.Part) {
	sp := s.r.cfg.Spool
	if sp == nil {
		s.keepPart(p)
		s.r.hub.AddPart(s.stream, p)
		return
	}
	defer func() {
		s.keepPart(p)
		s.r.hub.AddPart(s.stream, p)
	}()
	if s.sw != nil && s.swFrag != p.Fragment {
		s.sw.Abort() // a fragment that never closed (cannot happen: the writer closes each)
		s.sw = nil
	}
	if s.sw == nil {
		w, err := sp.Create(fmt.Sprintf("%s-%06d", s.id, p.Fragment))
		if err != nil {
			s.r.log.Error("spool: cannot create a fragment's file; the fragment will not be archived", "stream", s.stream, "err", err)
			return
		}
		s.sw, s.swFrag = w, p.Fragment
		head, _ := json.Marshal(salvageHead{Stream: s.stream, Key: s.fragmentKey(p.Start, p.Fragment), InitKey: s.initKey(p.Init.ID),
			Session: s.id, Index: p.Fragment, Producer: p.Start, Server: time.Now(), Discontinuity: p.Fragment == 0, Tracks: p.Init.Tracks})
		if err := w.SetHead(head); err != nil {
			s.r.log.Warn("spool: the fragment's head was not written (a crash now loses the whole fragment)", "stream", s.stream, "err", err)
		}
	}
	off := s.sw.Size()
	if _, err := s.sw.Write(p.Bytes); err == nil { // an error (spool full, disk) is kept by the Writer and reported at commit
		spilled := *p
		spilled.Spill = &fragments.Spill{R: s.sw.At(), Off: off, N: len(p.Bytes)}
		p = &spilled // the hub need not hold its bytes
	}
}

// onFragment runs on the writer's goroutine (under s.mu): it publishes the
// fragment to the live edge and queues it for storage without blocking.
func (s *session) onFragment(f *fragments.Fragment) {
	s.r.hub.CloseFragment(s.stream, f)
	s.frags++
	s.bytes += int64(f.Size)
	s.last = f.ProducerStart
	s.r.mu.Lock()
	s.state.lastEnd = f.ProducerStart.Add(f.Duration)
	s.r.mu.Unlock()
	job := archiveJob{f: f}
	if s.r.cfg.Spool != nil {
		meta := *f
		meta.Parts = nil // the bytes are in the spool file (and in the hub for live viewers)
		job = archiveJob{f: &meta, w: s.sw}
		if s.swFrag != f.Index {
			job.w = nil
		}
		s.sw = nil
	}
	select {
	case s.queue <- job:
	default:
		if job.w != nil {
			job.w.Abort()
		}
		s.drops++
		s.r.log.Error("archive queue full: fragment dropped (storage too slow)", "stream", s.stream, "session", s.id, "fragment", f.Index)
	}
}

func (s *session) status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Status{Stream: s.stream, Session: s.id, Source: s.src, Since: s.since, Tracks: s.tracks,
		Fragments: s.frags, Bytes: s.bytes, LastFragment: s.last, Dropped: s.drops}
}

// archive stores and indexes the session's fragments in order: object
// first, then the index record, so that the index never points at a
// missing object.
func (s *session) archive() {
	defer s.r.wg.Done()
	defer close(s.done)
	defer s.r.release(s.own) // once every fragment is indexed
	if s.prev != nil {
		<-s.prev // index after the previous session of the stream
	}
	inits := map[string]time.Time{} // init ID -> last written
	dropped := 0
	for job := range s.queue {
		f := job.f
		if s.own != nil && s.own.lost() {
			job.abort()
			dropped++ // not ours to index any more
			continue
		}
		retention := s.retentionHours()
		if retention == 0 {
			job.abort()
			continue // live only: nothing is archived
		}
		initKey := s.initKey(f.Init.ID)
		if t, ok := inits[f.Init.ID]; !ok || time.Since(t) > video.InitTouchEvery {
			if err := s.storeInit(initKey, f.Init); err != nil {
				s.r.log.Error("storing init segment; fragment not archived", "stream", s.stream, "key", initKey, "err", err)
				job.abort()
				continue
			}
			inits[f.Init.ID] = time.Now()
		}
		key := s.fragmentKey(f.ProducerStart, f.Index)
		info := fragments.Info{
			Key: key, InitKey: initKey, ProducerTime: f.ProducerStart, ServerTime: f.ServerStart,
			Duration: f.Duration, Size: int64(f.Size), Keyframe: f.Keyframe, Discontinuity: f.Discontinuity,
			Session: s.id, SessionIndex: f.Index, Samples: f.Samples, Tracks: f.Init.Tracks,
		}
		if s.r.cfg.Spool != nil {
			s.archiveSpooled(job, key, info, retention)
			continue
		}
		if err := s.putFragment(key, f); err != nil {
			s.r.log.Error("storing fragment; not archived", "stream", s.stream, "key", key, "err", err)
			continue
		}
		number, err := s.index(info)
		if err != nil {
			s.r.log.Error("indexing fragment; its object is an orphan the sweeper will remove", "stream", s.stream, "key", key, "err", err)
			continue
		}
		s.r.hub.Indexed(s.stream, s.id, f.Index, number)
	}
	s.endPack()
	if dropped > 0 {
		s.r.log.Warn("fragments dropped: the recording ownership was lost", "stream", s.stream, "session", s.id, "fragments", dropped)
	}
}

// fragmentKey is the bucket key of the session's fragment index, starting
// at producer time start.
func (s *session) fragmentKey(start time.Time, index int) string {
	return fmt.Sprintf("%sfragments/%013d-%s-%06d.m4s", fragments.MediaPrefix(s.info), start.UnixMilli(), s.id, index)
}

// initKey is the bucket key of an init segment of the stream.
func (s *session) initKey(id string) string {
	return fragments.MediaPrefix(s.info) + "init/" + id + ".mp4"
}

func (j archiveJob) abort() {
	if j.w != nil {
		j.w.Abort()
	}
}

// archiveSpooled archives a fragment through the spool: its file is
// synced and committed, the fragment indexed at once (readers find its
// bytes in the spool), and its upload queued.
//
// With RecorderConfig.ObjectDuration, consecutive fragments of the session
// are packed into one object (named after its first fragment) until they
// last that long: each waits in the spool as a piece of it
// (storage.PieceName) and is indexed with the object's key and its offset
// in it; the object is uploaded once the pack is complete (or the session
// ended).
func (s *session) archiveSpooled(job archiveJob, key string, info fragments.Info, retentionHours int) {
	sp := s.r.cfg.Spool
	if job.w == nil {
		s.countDrop()
		s.r.log.Error("fragment not archived: it has no spool file", "stream", s.stream, "key", key)
		return
	}
	name, m := key, spoolMeta{Producer: info.ProducerTime}
	if s.r.cfg.ObjectDuration > 0 {
		if s.pack.key == "" {
			s.pack = pack{key: key}
		}
		info.Key, info.Packed, info.Offset = s.pack.key, true, s.pack.off
		name, m.Pack = storage.PieceName(s.pack.key, s.pack.off), s.pack.key
	}
	meta, _ := json.Marshal(m)
	e, err := job.w.Commit(name, s.stream, meta)
	if err != nil {
		s.countDrop()
		s.r.log.Error("fragment not archived: spooling failed", "stream", s.stream, "key", name, "err", err)
		return
	}
	s.r.up.located(name, retentionHours)
	number, err := s.index(info)
	if err != nil {
		sp.Remove(e)
		s.r.up.unlocate(name)
		s.r.log.Error("indexing fragment failed; not archived", "stream", s.stream, "key", name, "err", err)
		return
	}
	s.r.hub.Indexed(s.stream, s.id, info.SessionIndex, number)
	m.Number = number
	meta, _ = json.Marshal(m)
	if err := sp.SetMeta(e, meta); err != nil {
		s.r.log.Warn("spool: recording the index number failed (a restart looks it up)", "key", name, "err", err)
	}
	if m.Pack == "" {
		s.r.up.enqueue(e)
		return
	}
	s.pack.off += info.Size
	s.pack.dur += info.Duration
	if s.pack.dur >= s.r.cfg.ObjectDuration {
		s.endPack()
	}
}

// pack is the object a session is packing fragments into.
type pack struct {
	key string        // the object's key: its first fragment's
	off int64         // where the next fragment goes
	dur time.Duration // of the fragments in it
}

// endPack hands the session's pack, if it has one, to the uploader.
func (s *session) endPack() {
	if s.pack.key != "" {
		s.r.up.packDone(s.pack.key)
		s.pack = pack{}
	}
}

func (s *session) countDrop() {
	s.mu.Lock()
	s.drops++
	s.mu.Unlock()
}

// storeInit stores an init segment: through the spool (uploaded before
// the fragments queued after it), or at once.
func (s *session) storeInit(key string, in *fragments.Init) error {
	sp := s.r.cfg.Spool
	if sp == nil {
		return s.put(key, in.Bytes)
	}
	e, err := sp.Put(fmt.Sprintf("%s-init-%s-%d", s.id, in.ID, time.Now().UnixNano()), key, s.stream, in.Bytes, true, nil)
	if err != nil {
		return err
	}
	s.r.up.enqueue(e)
	return nil
}

func (s *session) retentionHours() int {
	info, err := s.r.lib.Describe(s.r.ctx, s.stream)
	if err != nil {
		return s.info.RetentionHours
	}
	return info.RetentionHours
}

// put stores an object, retrying with backoff for up to about a minute.
func (s *session) put(key string, b []byte) error {
	return retry(s.r, func() error {
		return s.r.bucket.Put(s.r.ctx, key, bytes.NewReader(b), int64(len(b)))
	})
}

// putFragment stores a fragment's parts as one object, without copying them.
func (s *session) putFragment(key string, f *fragments.Fragment) error {
	return retry(s.r, func() error {
		return s.r.bucket.Put(s.r.ctx, key, f.Reader(), int64(f.Size))
	})
}

func (s *session) index(in fragments.Info) (string, error) {
	if s.own != nil {
		return s.fencedIndex(in)
	}
	var number string
	err := retry(s.r, func() error {
		n, err := s.r.lib.Append(s.r.ctx, s.stream, in)
		number = n
		return err
	})
	return number, err
}

// errStopRetry wraps the errors that retry gives up on at once.
var errStopRetry = errors.New("not retried")

// fencedIndex indexes in under the stream's fence: only if the index's
// last record is the one this node last wrote (or found when it claimed
// the stream). When another record came first, its token decides: a lower
// one is a stray write of a previous owner that was paused past its claim
// (we continue after it); an equal or higher one means another node owns
// the stream now, and this session stops.
func (s *session) fencedIndex(in fragments.Info) (string, error) {
	o := s.own
	var number string
	err := retry(s.r, func() error {
		if o.lost() {
			return fmt.Errorf("%w: the recording ownership was lost", errStopRetry)
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		n, seq, err := s.r.lib.AppendFenced(s.r.ctx, s.stream, in, fragments.Fence{LastSeq: o.lastSeq, Token: o.claim.Token()})
		if err == nil {
			number, o.lastSeq = n, seq
			return nil
		}
		if !errors.Is(err, streams.ErrFenced) {
			return err
		}
		last, ok, lerr := s.r.lib.Last(s.r.ctx, s.stream)
		if lerr != nil {
			return lerr
		}
		if !ok || last.Token < o.claim.Token() {
			seq, _ := streams.SequenceMessage(last.Number)
			if !ok { // past retention already
				if seq, lerr = s.r.lib.LastSeq(s.r.ctx, s.stream); lerr != nil {
					return lerr
				}
			}
			s.r.log.Warn("index: a previous owner indexed after our claim; continuing after its record", "stream", s.stream, "its_token", last.Token, "our_token", o.claim.Token(), "fragment", last.Number)
			o.lastSeq = seq
			return err // and try again
		}
		o.fenced.Store(true)
		go s.Close() // another node records the stream now
		return fmt.Errorf("%w: index fenced: fragment %s has token %d, ours is %d: %w", errStopRetry, last.Number, last.Token, o.claim.Token(), err)
	})
	return number, err
}

func retry(r *Recorder, fn func() error) error {
	var err error
	wait := 100 * time.Millisecond
	for attempt := 0; attempt < 8; attempt++ {
		if err = fn(); err == nil || r.ctx.Err() != nil || errors.Is(err, errStopRetry) {
			return err
		}
		select {
		case <-r.ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 15*time.Second)
	}
	return err
}
