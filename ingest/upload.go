package ingest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/spool"
	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/streams"
)

// spoolMeta is what the recorder keeps with a spooled fragment: enough to
// find its index record after a restart.
type spoolMeta struct {
	Producer time.Time `json:"producer"`
	Number   string    `json:"number,omitempty"` // set once indexed
	// Pack is the key of the object the fragment is packed into (the
	// entry is a piece of it), "" when it is an object of its own.
	Pack string `json:"pack,omitempty"`
}

// residentInits is how many uploaded init segments of a stream stay in
// the spool (spool.Entry.Uploaded), so that the fragments waiting there
// can be played while the bucket is down.
const residentInits = 2

// uploadWorkers is how many uploads run at once.
const uploadWorkers = 4

// uploader moves spooled objects to the bucket, oldest first, retrying
// each until the bucket takes it (backoff up to maxUploadWait), and keeps
// the bucket's health: one log line when it starts failing, one when it
// recovers. Its goroutines are the Recorder's (Close stops them; what is
// left waits in the spool for the next start).
type uploader struct {
	r  *Recorder
	sp *spool.Spool

	mu       sync.Mutex
	queue    []*spool.Entry
	queued   map[string]bool // by spool file
	wake     chan struct{}
	failing  bool
	downAt   time.Time
	failures int64
	uploaded int64
	drops    map[string]int // stream -> entries dropped from the spool
	marks    []*spool.Entry // dropped entries not yet marked in the location map
	markWake chan struct{}
}

// maxUploadWait caps the backoff between attempts of an upload: the
// delay between the bucket's return and the uploads resuming.
const maxUploadWait = 5 * time.Second

func newUploader(r *Recorder, sp *spool.Spool) *uploader {
	u := &uploader{r: r, sp: sp, queued: map[string]bool{}, wake: make(chan struct{}, 1), drops: map[string]int{}, markWake: make(chan struct{}, 1)}
	sp.SetOnDrop(u.dropped)
	return u
}

// start recovers what the spool held at open, then uploads.
func (u *uploader) start() {
	u.r.upWG.Add(1)
	go func() {
		defer u.r.upWG.Done()
		u.recover(u.r.ctx)
		var wg sync.WaitGroup
		wg.Go(u.markDrops)
		for range uploadWorkers {
			wg.Go(u.work)
		}
		wg.Wait()
	}()
}

// recover queues the entries left by the previous run: init segments and
// indexed fragments are uploaded; a fragment committed but not indexed
// (the process stopped in between) is looked up in the index and dropped
// when it is not there; torn files (the fragments open when it stopped)
// are dropped, logged.
func (u *uploader) recover(ctx context.Context) {
	for _, t := range u.sp.Torn() {
		u.salvage(ctx, t)
	}
	n := 0
	streams := map[string]bool{}
	packs := map[string]bool{}
	for _, e := range u.sp.Entries() {
		if e.Init {
			streams[e.Stream] = true
			if !e.Uploaded {
				u.enqueue(e)
				n++
			}
			continue
		}
		var m spoolMeta
		_ = json.Unmarshal(e.Meta, &m)
		if m.Pack != "" {
			// The session packing it is gone: the pack is as complete as
			// it will be.
			if m.Number == "" {
				if number, err := u.findIndexed(ctx, e, m.Producer); err != nil || number == "" {
					u.r.log.Warn("spool: a packed fragment spooled but not found in the index is dropped", "stream", e.Stream, "key", e.Key, "err", err)
					u.unlocate(e.Key)
					u.sp.Remove(e)
					continue
				}
			}
			if !packs[m.Pack] {
				packs[m.Pack] = true
				n++
			}
			continue
		}
		if m.Number == "" {
			number, err := u.findIndexed(ctx, e, m.Producer)
			if err != nil {
				u.r.log.Error("spool: looking up a spooled fragment in the index; kept for the next start", "key", e.Key, "err", err)
				continue
			}
			if number == "" {
				u.r.log.Warn("spool: a fragment spooled but never indexed (the process stopped in between) is dropped", "stream", e.Stream, "key", e.Key)
				u.unlocate(e.Key)
				u.sp.Remove(e)
				continue
			}
		}
		u.enqueue(e)
		n++
	}
	for st := range streams {
		u.pruneInits(st)
	}
	for p := range packs {
		u.packDone(p)
	}
	u.reconcile(ctx)
	if n > 0 {
		u.r.log.Info("spool: uploading what the previous run left", "objects", n, "bytes", u.sp.Bytes())
	}
}

// salvageHead is what a fragment's spool file needs, beside its parts, to
// be indexed after a crash interrupted its writing (spool.Writer.SetHead).
type salvageHead struct {
	Stream        string                `json:"stream"`
	Key           string                `json:"key"`
	InitKey       string                `json:"init"`
	Session       string                `json:"session"`
	Index         int                   `json:"index"`
	Producer      time.Time             `json:"producer"`
	Server        time.Time             `json:"server"` // when its first part closed
	Discontinuity bool                  `json:"discontinuity,omitempty"`
	Tracks        []fragments.TrackInfo `json:"tracks"`
}

// salvage indexes and queues the fragment a crash interrupted, as its
// spool file was cut (to its last whole part): all that is lost is the
// part being written (and, after a power loss, what the disk had not
// written). It is dropped, logged, when it cannot be: no head, no whole
// part, its stream gone, or the index already holds later media (another
// node recorded the stream since; an older record must not come after it).
func (u *uploader) salvage(ctx context.Context, t spool.Torn) {
	drop := func(why string, err error) {
		u.r.log.Warn("spool: the fragment being recorded when the process stopped is dropped: "+why, "file", t.Name, "bytes", t.Size, "cut", t.Cut, "err", err)
		u.sp.Discard(t)
	}
	var h salvageHead
	if t.Head == nil || json.Unmarshal(t.Head, &h) != nil || h.Key == "" {
		drop("it has no head", nil)
		return
	}
	if t.Size == 0 {
		drop("no whole part", nil)
		return
	}
	data, err := os.ReadFile(t.Path)
	if err != nil {
		drop("unreadable", err)
		return
	}
	sv, err := fragments.Salvage(data, h.Tracks)
	if err != nil {
		drop("its parts do not read", err)
		return
	}
	info, err := u.r.lib.Describe(ctx, h.Stream)
	if err != nil || !strings.HasPrefix(h.Key, fragments.MediaPrefix(info)) {
		drop("its stream is gone", err)
		return
	}
	if last, ok, err := u.r.lib.Last(ctx, h.Stream); err != nil {
		u.r.log.Error("spool: reading the index to salvage a fragment; kept for the next start", "file", t.Name, "err", err)
		return
	} else if ok && !last.ProducerTime.Before(h.Producer) {
		drop("the index already holds media from its start on", nil)
		return
	}
	meta, _ := json.Marshal(spoolMeta{Producer: h.Producer})
	e, err := u.sp.Adopt(t, h.Key, h.Stream, meta)
	if err != nil {
		drop("it could not be committed", err)
		return
	}
	in := fragments.Info{Key: h.Key, InitKey: h.InitKey, ProducerTime: h.Producer, ServerTime: h.Server,
		Duration: sv.Duration, Size: t.Size, Keyframe: sv.Keyframe, Discontinuity: h.Discontinuity,
		Session: h.Session, SessionIndex: h.Index, Samples: sv.Samples, Tracks: h.Tracks}
	u.located(h.Key, info.RetentionHours)
	number, err := u.r.lib.Append(ctx, h.Stream, in)
	if err != nil {
		u.unlocate(h.Key)
		u.sp.Remove(e)
		u.r.log.Error("spool: indexing a salvaged fragment failed; dropped", "stream", h.Stream, "key", h.Key, "err", err)
		return
	}
	meta, _ = json.Marshal(spoolMeta{Producer: h.Producer, Number: number})
	_ = u.sp.SetMeta(e, meta)
	u.r.log.Info("spool: the fragment being recorded when the process stopped is salvaged up to its last whole part",
		"stream", h.Stream, "key", h.Key, "duration", sv.Duration.Round(time.Millisecond), "bytes", t.Size, "cut", t.Cut)
}

// pruneInits removes the uploaded init segments of stream but the newest
// residentInits.
func (u *uploader) pruneInits(stream string) {
	var up []*spool.Entry
	for _, e := range u.sp.Entries() { // oldest first
		if e.Init && e.Stream == stream && e.Uploaded {
			up = append(up, e)
		}
	}
	for i := 0; i < len(up)-residentInits; i++ {
		u.sp.Remove(up[i])
	}
}

// findIndexed returns the number of e's index record, "" when it has none.
func (u *uploader) findIndexed(ctx context.Context, e *spool.Entry, producer time.Time) (string, error) {
	number := ""
	sel := fragments.Selector{Producer: true, Start: producer.Add(-time.Second), End: producer.Add(time.Second)}
	err := u.r.lib.Fragments(ctx, e.Stream, sel, func(in fragments.Info) bool {
		if in.Piece() == e.Key {
			number = in.Number
			return false
		}
		return true
	})
	if errors.Is(err, streams.ErrNotFound) {
		return "", nil
	}
	return number, err
}

func (u *uploader) enqueue(e *spool.Entry) {
	u.mu.Lock()
	if !u.queued[e.File()] {
		u.queued[e.File()] = true
		u.queue = append(u.queue, e)
	}
	u.mu.Unlock()
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// next takes the oldest queued entry, waiting for one until ctx ends.
func (u *uploader) next(ctx context.Context) (*spool.Entry, bool) {
	for {
		u.mu.Lock()
		if len(u.queue) > 0 {
			e := u.queue[0]
			u.queue = u.queue[1:]
			u.mu.Unlock()
			return e, true
		}
		u.mu.Unlock()
		select {
		case <-u.wake:
		case <-ctx.Done():
			return nil, false
		}
	}
}

func (u *uploader) work() {
	ctx := u.r.ctx
	wait := time.Second
	for {
		e, ok := u.next(ctx)
		if !ok {
			return
		}
		for {
			err := u.upload(ctx, e)
			if err == nil || ctx.Err() != nil {
				if err == nil {
					wait = time.Second
				}
				break
			}
			u.failed(err)
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			wait = min(2*wait, maxUploadWait)
		}
		u.mu.Lock()
		delete(u.queued, e.File())
		u.mu.Unlock()
		u.wakeMore()
	}
}

// wakeMore wakes another worker when work is left (one wake-up may have
// been taken by a worker that then found the queue empty).
func (u *uploader) wakeMore() {
	u.mu.Lock()
	more := len(u.queue) > 0
	u.mu.Unlock()
	if more {
		select {
		case u.wake <- struct{}{}:
		default:
		}
	}
}

// packDone queues the upload of a complete pack (one of its pieces
// stands for it in the queue).
func (u *uploader) packDone(key string) {
	if pieces := u.pieces(key); len(pieces) > 0 {
		u.enqueue(pieces[0])
	}
}

// pieces returns the pieces of the pack key that wait in the spool, by
// offset.
func (u *uploader) pieces(key string) []*spool.Entry {
	var out []*spool.Entry
	for _, e := range u.sp.Entries() {
		if k, _, ok := storage.SplitPiece(e.Key); ok && k == key {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *spool.Entry) int { return cmp.Compare(pieceOffset(a), pieceOffset(b)) })
	return out
}

func pieceOffset(e *spool.Entry) int64 {
	_, off, _ := storage.SplitPiece(e.Key)
	return off
}

// uploadPack stores the pieces of a pack as one object, each at its
// offset (a piece dropped from the spool leaves zeros: its index record
// says where, and the location map that it was dropped), then removes
// them from the spool.
func (u *uploader) uploadPack(ctx context.Context, key string) error {
	var pieces []*spool.Entry
	for _, e := range u.pieces(key) {
		if u.sp.Uploading(e, true) {
			pieces = append(pieces, e)
		}
	}
	if len(pieces) == 0 {
		return nil
	}
	release := func() {
		for _, e := range pieces {
			u.sp.Uploading(e, false)
		}
	}
	info, err := u.r.lib.Describe(ctx, pieces[0].Stream)
	if errors.Is(err, streams.ErrNotFound) || err == nil && !strings.HasPrefix(key, fragments.MediaPrefix(info)) {
		u.r.log.Info("spool: the stream was deleted; its spooled media is dropped", "stream", pieces[0].Stream, "key", key)
		for _, e := range pieces {
			u.unlocate(e.Key)
			u.sp.Remove(e)
		}
		return nil
	}
	if err != nil {
		release()
		return err
	}
	var obj packReader
	for _, e := range pieces {
		f, err := u.sp.OpenEntry(e)
		if err != nil {
			continue // gone from the disk: zeros
		}
		defer f.Close()
		obj.add(pieceOffset(e), e.Size, f)
	}
	// A crash after the object's upload, while its pieces were being
	// removed, leaves some of them: the object in the bucket already holds
	// them (and those removed), so it is kept as it is.
	if oi, err := u.r.bucket.Attributes(ctx, key); err == nil && oi.Size >= obj.size {
		u.r.log.Info("spool: the pack was uploaded before the process stopped; its pieces left are removed", "key", key, "pieces", len(pieces))
	} else if err := u.r.bucket.Put(ctx, key, &obj, obj.size); err != nil {
		release()
		return err
	}
	for _, e := range pieces {
		u.unlocate(e.Key)
		u.sp.Remove(e)
	}
	u.succeeded()
	return nil
}

// packReader reads the object a pack makes: its pieces' files at their
// offsets, zeros between them. It is an io.ReaderAt and io.Seeker, so the
// S3 bucket sends it in parts straight from the files (no part buffer).
type packReader struct {
	segs []packSegment
	size int64
	pos  int64
}

type packSegment struct {
	off, size int64
	f         *os.File // nil: zeros
}

// add appends a piece of size bytes at off (after the previous ones).
func (r *packReader) add(off, size int64, f *os.File) {
	if off > r.size {
		r.segs = append(r.segs, packSegment{off: r.size, size: off - r.size})
	}
	r.segs = append(r.segs, packSegment{off: max(off, r.size), size: size, f: f})
	r.size = max(off, r.size) + size
}

func (r *packReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("pack: negative offset")
	}
	n := 0
	i := sort.Search(len(r.segs), func(i int) bool { return r.segs[i].off+r.segs[i].size > off })
	for ; n < len(p) && i < len(r.segs); i++ {
		s := r.segs[i]
		at := off + int64(n) - s.off
		chunk := p[n:min(int64(len(p)), int64(n)+s.size-at)]
		if s.f == nil {
			clear(chunk)
		} else if m, err := s.f.ReadAt(chunk, at); m < len(chunk) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF // a piece shorter than its entry says
			}
			return n + m, err
		}
		n += len(chunk)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *packReader) Read(p []byte) (int, error) {
	n, err := r.ReadAt(p, r.pos)
	r.pos += int64(n)
	return n, err
}

func (r *packReader) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += r.pos
	case io.SeekEnd:
		off += r.size
	}
	if off < 0 {
		return 0, errors.New("pack: seek before the start")
	}
	r.pos = off
	return off, nil
}

// upload stores one entry and removes it from the spool; nil too when it
// is no longer wanted (dropped for room, or its stream deleted). A piece
// stands for its pack: the whole pack is stored.
func (u *uploader) upload(ctx context.Context, e *spool.Entry) error {
	if k, _, ok := storage.SplitPiece(e.Key); ok {
		return u.uploadPack(ctx, k)
	}
	if !u.sp.Uploading(e, true) {
		return nil // dropped to make room meanwhile
	}
	info, err := u.r.lib.Describe(ctx, e.Stream)
	if errors.Is(err, streams.ErrNotFound) || err == nil && !strings.HasPrefix(e.Key, fragments.MediaPrefix(info)) {
		u.r.log.Info("spool: the stream was deleted; its spooled media is dropped", "stream", e.Stream, "key", e.Key)
		u.unlocate(e.Key)
		u.sp.Remove(e)
		return nil
	}
	if err != nil {
		u.sp.Uploading(e, false)
		return err
	}
	f, err := u.sp.OpenEntry(e)
	if err != nil {
		u.sp.Remove(e)
		return nil // gone from the disk: nothing to upload
	}
	err = u.r.bucket.Put(ctx, e.Key, f, e.Size)
	f.Close()
	if err != nil {
		u.sp.Uploading(e, false)
		return err
	}
	if e.Init {
		// Kept: the fragments that use it may wait in the spool.
		if err := u.sp.MarkUploaded(e); err != nil {
			u.sp.Remove(e)
		} else {
			u.sp.Uploading(e, false)
			u.pruneInits(e.Stream)
		}
	} else {
		u.unlocate(e.Key) // the bucket has it: before the spool lets it go
		u.sp.Remove(e)
	}
	u.succeeded()
	return nil
}

func (u *uploader) failed(err error) {
	u.mu.Lock()
	u.failures++
	first := !u.failing
	if first {
		u.failing, u.downAt = true, time.Now()
	}
	u.mu.Unlock()
	if first {
		u.r.log.Error("archive bucket failing: fragments wait in the local spool and are retried", "err", err,
			"spooled_objects", u.sp.Waiting().Objects, "spooled_bytes", u.sp.Bytes())
	}
}

func (u *uploader) succeeded() {
	u.mu.Lock()
	u.uploaded++
	was, since := u.failing, u.downAt
	u.failing = false
	u.mu.Unlock()
	if was {
		u.r.log.Info("archive bucket recovered: uploading the spooled fragments", "failing_for", time.Since(since).Round(time.Second),
			"spooled_objects", u.sp.Waiting().Objects, "spooled_bytes", u.sp.Bytes())
	}
}

func (u *uploader) dropped(e *spool.Entry) {
	u.mu.Lock()
	u.drops[e.Stream]++
	if u.r.cfg.Locations != nil && !e.Init {
		u.marks = append(u.marks, e)
	}
	u.mu.Unlock()
	select {
	case u.markWake <- struct{}{}:
	default:
	}
}

// lostMarkHours is how long the location map says a fragment was
// dropped when its stream's retention is not known.
const lostMarkHours = 7 * 24

// locationTimeout bounds each write to the location map.
const locationTimeout = 5 * time.Second

// located records in the location map that key waits in this node's
// spool, for the stream's retention.
func (u *uploader) located(key string, retentionHours int) {
	l := u.r.cfg.Locations
	if l == nil {
		return
	}
	ctx, cancel := context.WithTimeout(u.r.ctx, locationTimeout)
	defer cancel()
	if err := l.Spooled(ctx, key, time.Duration(retentionHours)*time.Hour); err != nil {
		u.r.log.Warn("spool: recording where a fragment waits failed (other nodes find it by asking every spool)", "key", key, "err", err)
	}
}

// unlocate removes key from the location map: the bucket has it, or
// nobody wants it.
func (u *uploader) unlocate(key string) {
	l := u.r.cfg.Locations
	if l == nil {
		return
	}
	ctx, cancel := context.WithTimeout(u.r.ctx, locationTimeout)
	defer cancel()
	if err := l.Uploaded(ctx, key); err != nil {
		u.r.log.Warn("spool: removing an uploaded fragment from the location map failed (its entry expires with the retention)", "key", key, "err", err)
	}
}

// markDrops writes the drops to the location map, off the ingest path
// (entries are dropped while a part is appended), until the Recorder
// closes.
func (u *uploader) markDrops() {
	for {
		select {
		case <-u.r.ctx.Done():
			return
		case <-u.markWake:
		}
		u.mu.Lock()
		marks := u.marks
		u.marks = nil
		u.mu.Unlock()
		for _, e := range marks {
			u.markDropped(e.Stream, e.Key)
		}
	}
}

func (u *uploader) markDropped(stream, key string) {
	hours := lostMarkHours
	if info, err := u.r.lib.Describe(u.r.ctx, stream); stream != "" && err == nil {
		hours = info.RetentionHours
	}
	ctx, cancel := context.WithTimeout(u.r.ctx, locationTimeout)
	defer cancel()
	if err := u.r.cfg.Locations.Dropped(ctx, key, time.Duration(hours)*time.Hour); err != nil {
		u.r.log.Warn("spool: recording a dropped fragment in the location map failed (readers get a plain not found)", "key", key, "err", err)
	}
}

// reconcile, at start, settles what the location map says waits in this
// node's spool but the spool does not hold: uploaded (the map's entry
// outlived a crash), or lost with the spool (a disk replaced): marked
// dropped, logged.
func (u *uploader) reconcile(ctx context.Context) {
	l := u.r.cfg.Locations
	if l == nil {
		return
	}
	lost := 0
	for _, key := range l.Spooling(l.Node()) {
		if _, ok := u.sp.Get(key); ok {
			continue
		}
		object := key
		if k, _, ok := storage.SplitPiece(key); ok {
			object = k // a piece: its pack's object
		}
		if _, err := u.r.bucket.Attributes(ctx, object); err == nil {
			u.unlocate(key)
			continue
		} else if !errors.Is(err, storage.ErrNotFound) {
			continue // the bucket cannot say now: left as it is
		}
		u.markDropped("", key) // its stream is not known here: the default TTL
		lost++
	}
	if lost > 0 {
		u.r.log.Error("spool: indexed fragments this node's spool should hold are gone (the spool was lost); marked dropped", "fragments", lost)
	}
}

// ArchiveStats is the state of the archive path (with a spool).
type ArchiveStats struct {
	SpoolBytes     int64
	SpoolObjects   int
	SpoolMaxBytes  int64
	OldestSpooled  time.Duration // age of the oldest object waiting
	Failing        bool          // the bucket's last upload failed
	UploadFailures int64
	Uploaded       int64
	Dropped        int64 // dropped from the spool to make room
}

// ArchiveStats reports the spool and the uploads; zero without a spool.
func (r *Recorder) ArchiveStats() ArchiveStats {
	u := r.up
	if u == nil {
		return ArchiveStats{}
	}
	w := u.sp.Waiting()
	st := ArchiveStats{SpoolBytes: u.sp.Bytes(), SpoolMaxBytes: u.sp.MaxBytes(), Dropped: u.sp.Dropped(), SpoolObjects: w.Objects}
	if !w.Oldest.IsZero() {
		st.OldestSpooled = time.Since(w.Oldest)
	}
	u.mu.Lock()
	st.Failing, st.UploadFailures, st.Uploaded = u.failing, u.failures, u.uploaded
	u.mu.Unlock()
	return st
}

// spooledOf counts the objects of each stream waiting in the spool, and
// reports the drops and whether the bucket is failing.
func (u *uploader) spooledOf() (waiting map[string]int, drops map[string]int, failing bool) {
	waiting = u.sp.Waiting().PerStream
	u.mu.Lock()
	defer u.mu.Unlock()
	drops = make(map[string]int, len(u.drops))
	for k, v := range u.drops {
		drops[k] = v
	}
	return waiting, drops, u.failing
}
