package spool

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrFull: the spool is at MaxBytes and nothing in it can be dropped.
var ErrFull = errors.New("spool: full")

// Config configures a Spool.
type Config struct {
	// Dir is the spool directory (created if missing). Required.
	Dir string
	// MaxBytes caps the bytes spooled. Default: a quarter of the free
	// space of Dir's file system when the spool opens, at least 64 MiB.
	MaxBytes int64
	// OnDrop is called (without locks) for each committed entry dropped
	// to make room.
	OnDrop func(*Entry)
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Entry is one committed object waiting for its upload.
type Entry struct {
	Key    string `json:"key"`    // its bucket key
	Stream string `json:"stream"` // the stream it belongs to
	Size   int64  `json:"size"`
	Init   bool   `json:"init,omitempty"` // an init segment: never dropped
	// Uploaded marks an entry kept after its upload (MarkUploaded): an
	// init segment the entries still waiting need.
	Uploaded bool            `json:"uploaded,omitempty"`
	Meta     json.RawMessage `json:"meta,omitempty"` // the caller's
	Created  time.Time       `json:"created"`

	name      string
	uploading bool // guarded by Spool.mu
}

// File names the entry's spool file (unique: an entry committed again
// under the same key has another).
func (e *Entry) File() string { return e.name }

// Spool is a directory of objects on their way to the bucket. Safe for
// concurrent use.
type Spool struct {
	dir    string
	max    int64
	onDrop atomic.Pointer[func(*Entry)]
	log    *slog.Logger

	mu      sync.Mutex
	entries map[string]*Entry // committed, by key
	bytes   int64             // committed and open
	dropped int64
	torn    []Torn
}

// Torn is a data file without a meta file: the fragment being written
// when the process stopped, cut to its last whole top-level box.
type Torn struct {
	Name string
	Path string
	Size int64 // after the cut
	Cut  int64 // bytes removed (a part written in half)
	// Head is what the writer said of the file when it began
	// (Writer.SetHead), nil if it said nothing or it was lost.
	Head []byte
}

// Open opens (or creates) the spool in cfg.Dir and recovers what it
// holds: committed entries (Entries), and data files without a meta file
// (Torn).
func Open(cfg Config) (*Spool, error) {
	if cfg.Dir == "" {
		return nil, errors.New("spool: Config.Dir is required")
	}
	if cfg.MaxBytes < 0 {
		return nil, errors.New("spool: Config.MaxBytes must not be negative")
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if cfg.MaxBytes == 0 {
		var st syscall.Statfs_t
		if err := syscall.Statfs(cfg.Dir, &st); err != nil {
			return nil, fmt.Errorf("spool: free space of %s: %w", cfg.Dir, err)
		}
		cfg.MaxBytes = max(int64(st.Bavail)*st.Bsize/4, 64<<20)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Spool{dir: cfg.Dir, max: cfg.MaxBytes, log: cfg.Logger.With("component", "spool"), entries: map[string]*Entry{}}
	if cfg.OnDrop != nil {
		s.SetOnDrop(cfg.OnDrop)
	}
	if err := s.recover(); err != nil {
		return nil, err
	}
	return s, nil
}

// SetOnDrop replaces Config.OnDrop.
func (s *Spool) SetOnDrop(fn func(*Entry)) { s.onDrop.Store(&fn) }

// MaxBytes is the spool's cap.
func (s *Spool) MaxBytes() int64 { return s.max }

func (s *Spool) path(name, ext string) string { return filepath.Join(s.dir, name+ext) }

// recover reads the directory: meta files with their data are entries;
// data files alone are torn; meta files alone and temporary files are
// removed.
func (s *Spool) recover() error {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	data := map[string]bool{}
	var metas, sides []string
	for _, de := range des {
		n := de.Name()
		switch {
		case strings.HasSuffix(n, ".data"):
			data[strings.TrimSuffix(n, ".data")] = true
		case strings.HasSuffix(n, ".meta"):
			metas = append(metas, strings.TrimSuffix(n, ".meta"))
		case strings.HasSuffix(n, ".extra"), strings.HasSuffix(n, ".head"): // read with their data file; removed with it
			sides = append(sides, n)
		default:
			_ = os.Remove(filepath.Join(s.dir, n)) // a meta file being written
		}
	}
	// A side file written while its entry was removed (dropped for room
	// as its number was recorded) has no data file: it goes.
	for _, n := range sides {
		if !data[strings.TrimSuffix(strings.TrimSuffix(n, ".extra"), ".head")] {
			_ = os.Remove(filepath.Join(s.dir, n))
		}
	}
	for _, name := range metas {
		e, err := s.readMeta(name)
		if err == nil && data[name] {
			var fi os.FileInfo
			if fi, err = os.Stat(s.path(name, ".data")); err == nil && fi.Size() != e.Size {
				err = fmt.Errorf("data file of %d bytes, meta says %d", fi.Size(), e.Size)
			}
		} else if err == nil {
			err = errors.New("no data file")
		}
		delete(data, name)
		if err != nil {
			s.log.Error("spool: unreadable entry removed", "name", name, "err", err)
			s.removeFiles(name)
			continue
		}
		var x extra
		if b, err := os.ReadFile(s.path(name, ".extra")); err == nil && json.Unmarshal(b, &x) == nil {
			e.Uploaded = e.Uploaded || x.Uploaded
			if x.Meta != nil {
				e.Meta = x.Meta
			}
		}
		s.entries[e.Key] = e
		s.bytes += e.Size
	}
	for name := range data {
		t, err := cutTorn(s.path(name, ".data"))
		if err != nil {
			s.log.Error("spool: unreadable data file removed", "name", name, "err", err)
			_ = os.Remove(s.path(name, ".data"))
			continue
		}
		t.Name = name
		t.Head, _ = os.ReadFile(s.path(name, ".head"))
		s.torn = append(s.torn, t)
		s.bytes += t.Size
	}
	sort.Slice(s.torn, func(i, j int) bool { return s.torn[i].Name < s.torn[j].Name })
	return nil
}

func (s *Spool) readMeta(name string) (*Entry, error) {
	b, err := os.ReadFile(s.path(name, ".meta"))
	if err != nil {
		return nil, err
	}
	e := &Entry{}
	if err := json.Unmarshal(b, e); err != nil {
		return nil, err
	}
	if e.Key == "" {
		return nil, errors.New("meta without a key")
	}
	e.name = name
	return e, nil
}

// cutTorn truncates a data file to its last whole top-level ISO BMFF box.
func cutTorn(path string) (Torn, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return Torn{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Torn{}, err
	}
	var whole int64
	var hdr [16]byte
	for whole < fi.Size() {
		if _, err := f.ReadAt(hdr[:8], whole); err != nil {
			break
		}
		size := int64(uint32(hdr[0])<<24 | uint32(hdr[1])<<16 | uint32(hdr[2])<<8 | uint32(hdr[3]))
		if size == 1 { // 64-bit size
			if _, err := f.ReadAt(hdr[8:16], whole+8); err != nil {
				break
			}
			size = 0
			for _, c := range hdr[8:16] {
				size = size<<8 | int64(c)
			}
		}
		if size < 8 || whole+size > fi.Size() {
			break
		}
		whole += size
	}
	// A part is a moof and its mdat: a moof without its mdat is cut too.
	if whole > 0 {
		whole = lastPairEnd(f, whole)
	}
	if whole != fi.Size() {
		if err := f.Truncate(whole); err != nil {
			return Torn{}, err
		}
		if err := f.Sync(); err != nil {
			return Torn{}, err
		}
	}
	return Torn{Path: path, Size: whole, Cut: fi.Size() - whole}, nil
}

// lastPairEnd returns the end of the last whole box that is not a moof
// left without its mdat, within the first n bytes of f.
func lastPairEnd(f *os.File, n int64) int64 {
	var off, end int64
	var hdr [8]byte
	var pendingMoof bool
	for off < n {
		if _, err := f.ReadAt(hdr[:], off); err != nil {
			break
		}
		size := int64(uint32(hdr[0])<<24 | uint32(hdr[1])<<16 | uint32(hdr[2])<<8 | uint32(hdr[3]))
		if size == 1 {
			var big [8]byte
			if _, err := f.ReadAt(big[:], off+8); err != nil {
				break
			}
			size = 0
			for _, c := range big {
				size = size<<8 | int64(c)
			}
		}
		if size < 8 {
			break
		}
		switch string(hdr[4:8]) {
		case "moof":
			pendingMoof = true
		default:
			pendingMoof = false
			end = off + size
		}
		off += size
	}
	if !pendingMoof {
		return n
	}
	return end
}

// Torn returns the data files found without a meta file when the spool
// opened (cut to their last whole part), for the caller to salvage or
// Discard.
func (s *Spool) Torn() []Torn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Torn(nil), s.torn...)
}

// Discard removes a torn data file.
func (s *Spool) Discard(t Torn) {
	s.mu.Lock()
	for i, x := range s.torn {
		if x.Name == t.Name {
			s.torn = append(s.torn[:i], s.torn[i+1:]...)
			s.bytes -= x.Size
			break
		}
	}
	s.mu.Unlock()
	_ = os.Remove(t.Path)
	_ = os.Remove(s.path(t.Name, ".head"))
}

// Adopt commits a torn file, as it was cut, as the entry of key: what a
// caller salvages of the fragment a crash interrupted. The file is synced
// first.
func (s *Spool) Adopt(t Torn, key, stream string, meta []byte) (*Entry, error) {
	s.mu.Lock()
	i := slices.IndexFunc(s.torn, func(x Torn) bool { return x.Name == t.Name })
	s.mu.Unlock()
	if i < 0 {
		return nil, fmt.Errorf("spool: %s is not torn", t.Name)
	}
	f, err := os.OpenFile(t.Path, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	e := &Entry{Key: key, Stream: stream, Size: t.Size, Meta: meta, Created: time.Now().UTC(), name: t.Name}
	if err := s.writeMeta(e); err != nil {
		return nil, err
	}
	_ = os.Remove(s.path(t.Name, ".head"))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.torn = slices.DeleteFunc(s.torn, func(x Torn) bool { return x.Name == t.Name })
	if old := s.entries[key]; old != nil { // cannot be: keys are unique per fragment
		s.bytes -= old.Size
		defer s.removeFiles(old.name)
	}
	s.entries[key] = e
	c := *e
	return &c, nil
}

// Entries returns the committed entries, oldest first: copies, as the
// spool has them now (an entry is named to the other methods by its key
// and file, so a copy does).
func (s *Spool) Entries() []*Entry {
	s.mu.Lock()
	out := make([]*Entry, 0, len(s.entries))
	for _, e := range s.entries {
		c := *e
		out = append(out, &c)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].name < out[j].name
	})
	return out
}

// Get returns (a copy of) the committed entry of key.
func (s *Spool) Get(key string) (*Entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[key]
	if !ok {
		return nil, false
	}
	c := *e
	return &c, true
}

// current returns the stored entry e names. Called with s.mu held.
func (s *Spool) current(e *Entry) *Entry {
	if cur := s.entries[e.Key]; cur != nil && cur.name == e.name {
		return cur
	}
	return nil
}

// Bytes is what the spool holds now, committed and being written.
func (s *Spool) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// Len is the number of committed entries.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// Dropped is the number of entries dropped to make room since Open.
func (s *Spool) Dropped() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Open opens an entry's bytes for reading.
func (s *Spool) open(e *Entry) (*os.File, error) { return os.Open(s.path(e.name, ".data")) }

// OpenEntry opens a committed entry's bytes; the caller closes the file.
func (s *Spool) OpenEntry(e *Entry) (*os.File, error) { return s.open(e) }

// Uploading marks an entry as being uploaded (it is not dropped to make
// room) or not; false when the entry is gone.
func (s *Spool) Uploading(e *Entry, on bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.current(e)
	if cur == nil {
		return false
	}
	cur.uploading = on
	return true
}

// Remove removes a committed entry (uploaded, or no longer wanted).
func (s *Spool) Remove(e *Entry) {
	s.mu.Lock()
	if cur := s.current(e); cur != nil {
		delete(s.entries, e.Key)
		s.bytes -= cur.Size
	}
	s.mu.Unlock()
	s.removeFiles(e.name)
}

// Waiting is what waits for its upload (entries not Uploaded).
type Waiting struct {
	Objects   int
	Oldest    time.Time      // zero when none
	PerStream map[string]int // objects by stream
}

// Waiting counts the entries waiting for their upload, in one pass.
func (s *Spool) Waiting() Waiting {
	w := Waiting{PerStream: map[string]int{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.entries {
		if e.Uploaded {
			continue
		}
		w.Objects++
		w.PerStream[e.Stream]++
		if w.Oldest.IsZero() || e.Created.Before(w.Oldest) {
			w.Oldest = e.Created
		}
	}
	return w
}

// MarkUploaded records that an entry kept in the spool has been
// uploaded. Not synced: if a crash loses the mark, the next start uploads
// the entry again.
func (s *Spool) MarkUploaded(e *Entry) error {
	return s.update(e, func(c *Entry) { c.Uploaded = true })
}

// SetMeta replaces a committed entry's caller metadata. Not synced: a
// crash may leave the previous metadata (callers must cope: the recorder
// looks a lost fragment number up in the index).
func (s *Spool) SetMeta(e *Entry, meta []byte) error {
	return s.update(e, func(c *Entry) { c.Meta = meta })
}

// extra is what changes of a committed entry after its commit, kept in a
// side file (".extra") beside its meta file: written without a sync, so
// that a crash can lose it but never the meta file, which Commit synced.
type extra struct {
	Uploaded bool            `json:"uploaded,omitempty"`
	Meta     json.RawMessage `json:"meta,omitempty"`
}

// update applies change to the committed entry e names and rewrites its
// side file.
func (s *Spool) update(e *Entry, change func(*Entry)) error {
	s.mu.Lock()
	cur := s.current(e)
	if cur == nil {
		s.mu.Unlock()
		return fmt.Errorf("spool: %s is gone", e.Key)
	}
	c := *cur
	change(&c)
	s.mu.Unlock()
	b, _ := json.Marshal(extra{Uploaded: c.Uploaded, Meta: c.Meta})
	tmp := s.path(e.name, ".extra-tmp")
	err := os.WriteFile(tmp, b, 0o600)
	if err == nil {
		err = os.Rename(tmp, s.path(e.name, ".extra"))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("spool: %w", err)
	}
	s.mu.Lock()
	if cur := s.current(e); cur != nil {
		change(cur)
	}
	s.mu.Unlock()
	return nil
}

// removeFiles removes an entry's files: its meta file first (without it
// the data is torn, not an entry), its side file, its data.
func (s *Spool) removeFiles(name string) {
	_ = os.Remove(s.path(name, ".meta"))
	_ = os.Remove(s.path(name, ".extra"))
	_ = os.Remove(s.path(name, ".data"))
}

// writeMeta writes e's meta file atomically and durably.
func (s *Spool) writeMeta(e *Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	tmp := s.path(e.name, ".meta-tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.path(e.name, ".meta"))
	}
	if err == nil {
		err = s.syncDir()
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

func (s *Spool) syncDir() error {
	d, err := os.Open(s.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// reserve makes room for n more bytes, dropping entries if needed.
func (s *Spool) reserve(n int64) error {
	var dropped []*Entry
	s.mu.Lock()
	if s.bytes+n > s.max {
		var droppable int64
		for _, e := range s.entries {
			if !e.Init && !e.uploading {
				droppable += e.Size
			}
		}
		if s.bytes-droppable+n > s.max {
			s.mu.Unlock()
			return ErrFull // dropping everything would not do: drop nothing
		}
	}
	for s.bytes+n > s.max {
		e := s.victim()
		if e == nil {
			s.mu.Unlock()
			s.reportDrops(dropped)
			return ErrFull
		}
		delete(s.entries, e.Key)
		s.bytes -= e.Size
		s.dropped++
		dropped = append(dropped, e)
	}
	s.bytes += n
	s.mu.Unlock()
	s.reportDrops(dropped)
	return nil
}

func (s *Spool) reportDrops(es []*Entry) {
	for _, e := range es {
		s.removeFiles(e.name)
		s.log.Warn("spool full: fragment dropped before its upload", "stream", e.Stream, "key", e.Key, "bytes", e.Size)
		if fn := s.onDrop.Load(); fn != nil {
			(*fn)(e)
		}
	}
}

// victim is the oldest droppable entry of the stream with the most bytes
// spooled. Called with s.mu held.
func (s *Spool) victim() *Entry {
	per := map[string]int64{}
	for _, e := range s.entries {
		if !e.Init && !e.uploading {
			per[e.Stream] += e.Size
		}
	}
	var stream string
	var most int64 = -1
	for st, b := range per {
		if b > most || b == most && st < stream {
			stream, most = st, b
		}
	}
	var v *Entry
	for _, e := range s.entries {
		if e.Stream != stream || e.Init || e.uploading {
			continue
		}
		if v == nil || e.Created.Before(v.Created) || e.Created.Equal(v.Created) && e.name < v.name {
			v = e
		}
	}
	return v
}

// release returns n reserved bytes.
func (s *Spool) release(n int64) {
	s.mu.Lock()
	s.bytes -= n
	s.mu.Unlock()
}

// Writer appends one object's bytes to a new spool file. Not safe for
// concurrent use.
type Writer struct {
	s    *Spool
	name string
	f    *os.File
	n    int64
	err  error
	init bool
}

// Create starts a spool file named name (unique: the caller's, e.g. a
// session and fragment index; [A-Za-z0-9._-]).
func (s *Spool) Create(name string) (*Writer, error) {
	if name == "" || strings.ContainsAny(name, "/\\") || strings.HasPrefix(name, ".") {
		return nil, fmt.Errorf("spool: bad name %q", name)
	}
	f, err := os.OpenFile(s.path(name, ".data"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	return &Writer{s: s, name: name, f: f}, nil
}

// Write appends p (no sync). After a failure (ErrFull, a disk error)
// every further Write fails with it.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if err := w.s.reserve(int64(len(p))); err != nil {
		w.err = err
		return 0, err
	}
	n, err := w.f.Write(p)
	w.n += int64(n)
	if n < len(p) {
		w.s.release(int64(len(p) - n))
	}
	if err != nil {
		w.err = fmt.Errorf("spool: %w", err)
		return n, w.err
	}
	return n, nil
}

// At reads the writer's file back (its entry's, once committed) by
// path: each read opens it, so that nothing is kept open; reads fail with
// fs.ErrNotExist once the entry is removed.
func (w *Writer) At() io.ReaderAt { return FileAt(w.s.path(w.name, ".data")) }

// FileAt reads the file at its path, opening it for each read.
type FileAt string

func (p FileAt) ReadAt(b []byte, off int64) (int, error) {
	f, err := os.Open(string(p))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return f.ReadAt(b, off)
}

// Size is what was written.
func (w *Writer) Size() int64 { return w.n }

// SetHead keeps head beside the file until it is committed or aborted:
// what the caller needs to salvage the file if the process stops before
// the commit (Torn.Head). Not synced, like the parts before the commit.
func (w *Writer) SetHead(head []byte) error {
	if err := os.WriteFile(w.s.path(w.name, ".head"), head, 0o600); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// Commit syncs the file and commits it as the entry of key.
func (w *Writer) Commit(key, stream string, meta []byte) (*Entry, error) {
	if w.err != nil {
		w.Abort()
		return nil, w.err
	}
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	if err != nil {
		w.Abort()
		return nil, fmt.Errorf("spool: %w", err)
	}
	e := &Entry{Key: key, Stream: stream, Size: w.n, Init: w.init, Meta: meta, Created: time.Now().UTC(), name: w.name}
	if err := w.s.writeMeta(e); err != nil {
		w.Abort()
		return nil, err
	}
	_ = os.Remove(w.s.path(w.name, ".head"))
	w.s.mu.Lock()
	if old := w.s.entries[key]; old != nil { // the same key again: the newer replaces it
		w.s.bytes -= old.Size
		defer func() {
			w.s.removeFiles(old.name)
		}()
	}
	w.s.entries[key] = e
	c := *e
	w.s.mu.Unlock()
	return &c, nil
}

// Abort removes the file (a fragment that will not be archived).
func (w *Writer) Abort() {
	if w.f != nil {
		_ = w.f.Close()
		w.f = nil
	}
	w.s.release(w.n)
	w.n = 0
	_ = os.Remove(w.s.path(w.name, ".data"))
	_ = os.Remove(w.s.path(w.name, ".head"))
}

// Put spools a whole object at once (an init segment: init true).
func (s *Spool) Put(name, key, stream string, data []byte, init bool, meta []byte) (*Entry, error) {
	w, err := s.Create(name)
	if err != nil {
		return nil, err
	}
	w.init = init
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return nil, err
	}
	return w.Commit(key, stream, meta)
}

// ReadAll returns a committed entry's bytes.
func (s *Spool) ReadAll(e *Entry) ([]byte, error) {
	f, err := s.open(e)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
