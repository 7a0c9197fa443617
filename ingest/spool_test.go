package ingest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/ingest"
	"github.com/sluice-dev/sluice/ingest/relay"
	"github.com/sluice-dev/sluice/spool"
	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
)

// downBucket fails every Put while down.
type downBucket struct {
	storage.Bucket
	down atomic.Bool
}

func (b *downBucket) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if b.down.Load() {
		return errors.New("bucket unreachable (test)")
	}
	return b.Bucket.Put(ctx, key, r, size)
}

// logLines collects log messages.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.lines = append(l.lines, string(p))
	l.mu.Unlock()
	return len(p), nil
}

func (l *logLines) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

type spoolRig struct {
	lib    *fragments.Library
	bucket *downBucket
	hub    *fragments.Hub
	dir    string
	sp     *spool.Spool
	rec    *ingest.Recorder
	log    *logLines
	locs   *spool.Locations
	pack   time.Duration // RecorderConfig.ObjectDuration
	relay  *relay.Relay
}

func newSpoolRig(t *testing.T, maxBytes int64) *spoolRig {
	t.Helper()
	c := streamstest.Open(t, fragments.CoreConfig(streams.Config{}))
	b, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := &spoolRig{lib: fragments.NewLibrary(c, fragments.LibraryConfig{}), bucket: &downBucket{Bucket: b}, hub: fragments.NewHub(0),
		dir: t.TempDir(), log: &logLines{}, relay: relay.New()}
	kv, err := c.KeyValue(bg, "spool_locations", "test")
	if err != nil {
		t.Fatal(err)
	}
	if r.locs, err = spool.OpenLocations(bg, spool.LocationsConfig{KV: kv, Node: "node-1"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.locs.Close)
	r.start(t, maxBytes)
	return r
}

// start opens the spool and a recorder over it (again after stop).
func (r *spoolRig) start(t *testing.T, maxBytes int64) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(r.log, nil))
	sp, err := spool.Open(spool.Config{Dir: r.dir, MaxBytes: maxBytes, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	r.sp = sp
	r.rec = ingest.NewRecorder(r.lib, r.bucket, r.hub, ingest.RecorderConfig{AutoCreate: true, Spool: sp, Locations: r.locs, ObjectDuration: r.pack, Relay: r.relay, Logger: log})
	rec := r.rec
	t.Cleanup(func() { rec.Close(bg) })
}

func (r *spoolRig) fragments(t *testing.T, stream string, n int) []fragments.Info {
	t.Helper()
	var out []fragments.Info
	streamstest.Eventually(t, 10*time.Second, func() error {
		out = out[:0]
		if err := r.lib.Fragments(bg, stream, fragments.Selector{}, func(in fragments.Info) bool { out = append(out, in); return true }); err != nil {
			return err
		}
		if len(out) != n {
			return fmt.Errorf("%d fragments indexed, want %d", len(out), n)
		}
		return nil
	})
	return out
}

func readAll(t *testing.T, b storage.BucketReader, key string) []byte {
	t.Helper()
	rc, err := b.Get(bg, key)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// While the bucket is down, fragments are indexed at once and read from
// the spool (they decode); nothing is lost; one log line says the bucket
// fails, one that it recovered; then everything is uploaded, byte for
// byte, and the spool is empty.
func TestSpoolRidesOutBucketOutage(t *testing.T) {
	r := newSpoolRig(t, 1<<30)
	r.bucket.down.Store(true)
	s, err := r.rec.Open(bg, "cam", ingest.Source{Kind: "test"}, fragmentstest.Tracks(t))
	if err != nil {
		t.Fatal(err)
	}
	fragmentstest.Feed(t, time.Now(), false, s.Write) // 4 s: 2 fragments
	streamstest.Eventually(t, 10*time.Second, func() error {
		if st := r.rec.Active(); len(st) != 1 || !st[0].ArchiveDelayed || st[0].Spooled == 0 {
			return fmt.Errorf("status while the bucket is down: %+v", st)
		}
		return nil
	})
	s.Close()
	frags := r.fragments(t, "cam", 2)
	over := r.sp.Over(r.bucket)
	var media [][]byte
	for _, f := range frags {
		if _, err := r.bucket.Bucket.Attributes(bg, f.Key); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("%s is in the bucket while it is down: %v", f.Key, err)
		}
		media = append(media, readAll(t, over, f.Key))
	}
	p := fragmentstest.FFprobe(t, append([][]byte{readAll(t, over, frags[0].InitKey)}, media...)...)
	if p.Packets["video"] != 100 || p.Packets["audio"] == 0 {
		t.Fatalf("the spooled fragments decode as %+v, want 100 video frames and audio", p)
	}
	st := r.rec.ArchiveStats()
	if !st.Failing || st.SpoolObjects != 3 || st.SpoolBytes == 0 {
		t.Fatalf("archive stats while down: %+v", st)
	}

	r.bucket.down.Store(false)
	streamstest.Eventually(t, 30*time.Second, func() error {
		if n := r.rec.ArchiveStats().SpoolObjects; n != 0 {
			return fmt.Errorf("%d objects still spooled", n)
		}
		return nil
	})
	for i, f := range frags {
		if got := readAll(t, r.bucket, f.Key); !bytes.Equal(got, media[i]) {
			t.Fatalf("%s uploaded as %d bytes, spooled %d", f.Key, len(got), len(media[i]))
		}
	}
	if a, b := r.log.count("archive bucket failing"), r.log.count("archive bucket recovered"); a != 1 || b != 1 {
		t.Fatalf("%d failing and %d recovered log lines, want one each", a, b)
	}
	if st := r.rec.ArchiveStats(); st.Failing || st.SpoolObjects != 0 || st.Uploaded != 3 || st.UploadFailures == 0 {
		t.Fatalf("archive stats after: %+v", st)
	}
	// The init segment stays in the spool after its upload (fragments
	// waiting there need it while the bucket is down); nothing else does.
	if es := r.sp.Entries(); len(es) != 1 || !es[0].Init {
		t.Fatalf("left in the spool: %+v", es)
	}
}

// A restart with a non-empty spool: indexed fragments are uploaded; a
// fragment committed but never indexed, and a torn file, are dropped.
func TestSpoolRecoveryAfterRestart(t *testing.T) {
	r := newSpoolRig(t, 1<<30)
	r.bucket.down.Store(true)
	s, err := r.rec.Open(bg, "cam", ingest.Source{Kind: "test"}, fragmentstest.Tracks(t))
	if err != nil {
		t.Fatal(err)
	}
	fragmentstest.Feed(t, time.Now(), false, s.Write)
	s.Close()
	frags := r.fragments(t, "cam", 2)
	r.rec.Close(bg)
	for _, f := range frags {
		if loc, ok := r.locs.Where(f.Key); !ok || loc.Node != "node-1" || loc.Dropped {
			t.Fatalf("the location map has %s at %+v %v, want node-1's spool", f.Key, loc, ok)
		}
	}

	// What a crash leaves besides: a fragment spooled but not indexed,
	// and the open fragment's file.
	info, err := r.lib.Describe(bg, "cam")
	if err != nil {
		t.Fatal(err)
	}
	lostKey := fragments.MediaPrefix(info) + "fragments/never-indexed.m4s"
	w, err := r.sp.Create("crashed-000009")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("0123456789"))
	if _, err := w.Commit(lostKey, "cam", []byte(`{"producer":"`+time.Now().UTC().Format(time.RFC3339Nano)+`"}`)); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(r.dir, "crashed-000010.data"), []byte{0, 0, 0, 16, 'm', 'o', 'o', 'f'}, 0o600)
	if err := r.locs.Spooled(bg, lostKey, time.Hour); err != nil { // located, then the crash came before the index
		t.Fatal(err)
	}
	// And an indexed fragment the map says this spool holds, which it
	// lost (a disk replaced): marked dropped at the start.
	goneKey := fragments.MediaPrefix(info) + "fragments/gone-with-the-disk.m4s"
	if err := r.locs.Spooled(bg, goneKey, time.Hour); err != nil {
		t.Fatal(err)
	}

	r.bucket.down.Store(false)
	r.start(t, 1<<30)
	streamstest.Eventually(t, 30*time.Second, func() error {
		if n, torn := r.rec.ArchiveStats().SpoolObjects, len(r.sp.Torn()); n != 0 || torn != 0 {
			return fmt.Errorf("%d objects still spooled, %d torn", n, torn)
		}
		return nil
	})
	for _, f := range frags {
		if _, err := r.bucket.Attributes(bg, f.Key); err != nil {
			t.Fatalf("indexed fragment %s not uploaded after the restart: %v", f.Key, err)
		}
	}
	if _, err := r.bucket.Attributes(bg, lostKey); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a fragment never indexed was uploaded: %v", err)
	}
	if r.log.count("spooled but never indexed") != 1 || r.log.count("being recorded when the process stopped") != 1 {
		t.Fatalf("the drops were not both logged:\n%s", strings.Join(r.log.lines, ""))
	}
	for _, f := range frags {
		if loc, ok := r.locs.Where(f.Key); ok {
			t.Fatalf("uploaded %s is still in the location map at %+v", f.Key, loc)
		}
	}
	if loc, ok := r.locs.Where(lostKey); ok {
		t.Fatalf("the never indexed fragment is in the location map at %+v", loc)
	}
	if loc, ok := r.locs.Where(goneKey); !ok || !loc.Dropped || r.log.count("the spool was lost") != 1 {
		t.Fatalf("a fragment lost with the spool is at %+v %v in the location map:\n%s", loc, ok, strings.Join(r.log.lines, ""))
	}
}

// A spool too small for an outage drops the oldest fragments, counted in
// the recording's status and logged, and stays within its bound. The
// media comes in real time, as far as the spool can tell: each fragment
// is archived before the next one closes.
func TestSpoolFullDropsOldest(t *testing.T) {
	r := newSpoolRig(t, 200<<10)
	r.bucket.down.Store(true)
	s, err := r.rec.Open(bg, "cam", ingest.Source{Kind: "test"}, fragmentstest.Tracks(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f := fragmentstest.NewFeeder(t, time.Now(), s.Write)
	f.Frames(50)
	for i := range 8 { // 2 s a round: fragment i closes
		f.Frames(50)
		streamstest.Eventually(t, 5*time.Second, func() error {
			for _, lf := range r.hub.View("cam").Fragments {
				if lf.Index == i && lf.Number != "" {
					return nil
				}
			}
			return fmt.Errorf("fragment %d not indexed yet", i)
		})
		if b := r.sp.Bytes(); b > 200<<10 {
			t.Fatalf("the spool holds %d bytes, past its %d", b, 200<<10)
		}
	}
	st := r.rec.Active()
	if len(st) != 1 || st[0].Dropped == 0 || st[0].Dropped != int(r.sp.Dropped()) || r.log.count("spool full: fragment dropped") != st[0].Dropped {
		t.Fatalf("status %+v, %d dropped by the spool:\n%s", st, r.sp.Dropped(), strings.Join(r.log.lines, ""))
	}
	// The oldest went: what is left is the newest fragments (and the init).
	es := r.sp.Entries()
	if len(es) < 2 || !strings.Contains(es[len(es)-1].Key, "-000007.m4s") {
		t.Fatalf("left in the spool: %d entries, newest %s", len(es), es[len(es)-1].Key)
	}
	for _, e := range es {
		if strings.Contains(e.Key, "-000000.m4s") {
			t.Fatalf("the oldest fragment is still spooled, newer ones were dropped")
		}
	}
	// The location map says which were dropped, and where the rest wait.
	streamstest.Eventually(t, 5*time.Second, func() error {
		dropped, spooled := 0, 0
		err := r.lib.Fragments(bg, "cam", fragments.Selector{}, func(in fragments.Info) bool {
			if loc, ok := r.locs.Where(in.Key); ok && loc.Dropped {
				dropped++
			} else if ok {
				spooled++
			}
			return true
		})
		if err != nil {
			return err
		}
		if dropped != st[0].Dropped || spooled == 0 {
			return fmt.Errorf("the location map has %d dropped, %d spooled; %d were dropped", dropped, spooled, st[0].Dropped)
		}
		return nil
	})
}

// A crash in the middle of a fragment: its spool file (parts appended, no
// commit) and head are what the disk holds at the next start; the
// fragment is salvaged up to its last whole part: indexed with the
// duration and samples its parts hold, and uploaded.
func TestSpoolSalvagesTheOpenFragment(t *testing.T) {
	r := newSpoolRig(t, 1<<30)
	s, err := r.rec.Open(bg, "cam", ingest.Source{Kind: "test"}, fragmentstest.Tracks(t))
	if err != nil {
		t.Fatal(err)
	}
	f := fragmentstest.NewFeeder(t, time.Now(), s.Write)
	f.Frames(60) // fragment 0 (2 s) closes at the keyframe of frame 50
	r.fragments(t, "cam", 1)
	var parts int
	var open string
	for _, lf := range r.hub.View("cam").Fragments {
		if lf.Closed == nil {
			parts, open = len(lf.Parts), fmt.Sprintf("%s-%06d", lf.Session, lf.Index)
		}
	}
	if parts < 1 {
		t.Fatalf("fragment 1 has %d parts written", parts)
	}
	// What a crash leaves of the open fragment: its spool file and head,
	// copied as they are now (the rest of the spool is being uploaded).
	crashed := t.TempDir()
	for _, ext := range []string{".data", ".head"} {
		b, err := os.ReadFile(filepath.Join(r.dir, open+ext))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(crashed, open+ext), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The process that crashed never indexed fragment 1: here the
	// recorder closes it, with retention 0 so that it is not archived.
	info, err := r.lib.Describe(bg, "cam")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.lib.UpdateRetention(bg, "cam", info.Version, -info.RetentionHours); err != nil {
		t.Fatal(err)
	}
	s.Close()
	r.rec.Close(bg)
	info, _ = r.lib.Describe(bg, "cam")
	if err := r.lib.UpdateRetention(bg, "cam", info.Version, 24); err != nil {
		t.Fatal(err)
	}
	r.fragments(t, "cam", 1)
	r.dir = crashed
	r.start(t, 1<<30)
	frags := r.fragments(t, "cam", 2)
	got := frags[1]
	if got.SessionIndex != 1 || !got.Keyframe || got.Duration <= 0 || got.Duration > time.Second || got.Samples[1] == 0 {
		t.Fatalf("salvaged fragment: %+v", got)
	}
	streamstest.Eventually(t, 10*time.Second, func() error {
		if n := r.rec.ArchiveStats().SpoolObjects; n != 0 {
			return fmt.Errorf("%d objects still spooled", n)
		}
		return nil
	})
	if b := readAll(t, r.bucket, got.Key); int64(len(b)) != got.Size {
		t.Fatalf("salvaged fragment uploaded with %d bytes, indexed with %d", len(b), got.Size)
	}
	if r.log.count("salvaged up to its last whole part") != 1 {
		t.Fatalf("the salvage was not logged:\n%s", strings.Join(r.log.lines, ""))
	}
	t.Logf("salvaged: %v of %d parts, %d bytes, samples %v", got.Duration, parts, got.Size, got.Samples)
}

// Packed objects: with ObjectDuration 6 s, 2-s fragments go three to an
// object; each is indexed at once with the object's key and its offset,
// read from the spool as a piece until the object is uploaded, then with
// a range read of the object; the bucket holds one object per pack.
func TestSpoolPacksFragments(t *testing.T) {
	r := newSpoolRig(t, 1<<30)
	r.rec.Close(bg)
	r.pack = 6 * time.Second
	r.start(t, 1<<30)
	r.bucket.down.Store(true) // the pieces wait in the spool meanwhile
	s, err := r.rec.Open(bg, "cam", ingest.Source{Kind: "test"}, fragmentstest.Tracks(t))
	if err != nil {
		t.Fatal(err)
	}
	f := fragmentstest.NewFeeder(t, time.Now(), s.Write)
	f.Frames(50*7 + 1) // 7 fragments of 2 s close as the 8th begins
	frags := r.fragments(t, "cam", 7)
	reader := r.sp.Over(r.bucket)
	read := func(in fragments.Info) []byte {
		rc, err := reader.GetRange(bg, in.Key, in.Offset, in.Size)
		if err != nil {
			t.Fatalf("fragment %d at %s+%d: %v", in.SessionIndex, in.Key, in.Offset, err)
		}
		defer rc.Close()
		b, _ := io.ReadAll(rc)
		if int64(len(b)) != in.Size || !bytes.Equal(b[4:8], []byte("moof")) {
			t.Fatalf("fragment %d: %d bytes (%q), want %d starting with a moof", in.SessionIndex, len(b), b[4:8], in.Size)
		}
		return b
	}
	spooled := map[int][]byte{}
	for i, in := range frags {
		if !in.Packed || in.Key != frags[i/3*3].Key || (i%3 == 0) != (in.Offset == 0) {
			t.Fatalf("fragment %d: packed %v into %s at %d", i, in.Packed, in.Key, in.Offset)
		}
		spooled[i] = read(in)
	}
	closed := time.Now().Add(-20 * time.Millisecond) // file times come from the kernel's coarse clock, up to a tick (<= 10 ms) behind
	s.Close()
	r.bucket.down.Store(false)
	streamstest.Eventually(t, 20*time.Second, func() error {
		if n := r.rec.ArchiveStats().SpoolObjects; n != 0 {
			return fmt.Errorf("%d pieces still spooled", n)
		}
		return nil
	})
	frags = r.fragments(t, "cam", 8)
	objects := 0
	err = r.bucket.List(bg, "video/", func(o storage.ObjectInfo) error {
		if strings.Contains(o.Key, "/fragments/") {
			objects++
		}
		return nil
	})
	if err != nil || objects != 3 {
		t.Fatalf("%d fragment objects in the bucket for 8 fragments, want 3 (%v)", objects, err)
	}
	for i, in := range frags[:7] {
		if b := read(in); !bytes.Equal(b, spooled[i]) {
			t.Fatalf("fragment %d read from its object differs from what the spool served", i)
		}
		// Retention goes by the object's time (video.Sweeper): it is
		// written once its last fragment closed.
		oi, err := r.bucket.Attributes(bg, in.Key)
		if err != nil || oi.LastModified.Before(closed) {
			t.Fatalf("fragment %d: its object was written at %v, before its fragments closed (%v; %v)", i, oi.LastModified, closed, err)
		}
	}
}

// A crash after a pack's upload, while its pieces were being removed,
// leaves some in the spool: at the next start the object in the bucket is
// kept (not replaced by one made of the pieces left, zeros elsewhere) and
// the pieces are removed.
func TestSpoolPackUploadedBeforeACrash(t *testing.T) {
	r := newSpoolRig(t, 1<<30)
	r.rec.Close(bg)
	r.pack = 6 * time.Second
	r.start(t, 1<<30)
	s, err := r.rec.Open(bg, "cam", ingest.Source{Kind: "test"}, fragmentstest.Tracks(t))
	if err != nil {
		t.Fatal(err)
	}
	fragmentstest.NewFeeder(t, time.Now(), s.Write).Frames(50*3 + 1) // one pack of three fragments
	s.Close()
	streamstest.Eventually(t, 10*time.Second, func() error {
		if n := r.rec.ArchiveStats().SpoolObjects; n != 0 {
			return fmt.Errorf("%d pieces still spooled", n)
		}
		return nil
	})
	frags := r.fragments(t, "cam", 4)
	object := readAll(t, r.bucket, frags[0].Key)
	r.rec.Close(bg)
	// What the crash left: the pack's last piece.
	last := frags[2]
	if !last.Packed || last.Key != frags[0].Key || last.Offset == 0 {
		t.Fatalf("fragment 2 is not the third piece of the first pack: %+v", last)
	}
	w, err := r.sp.Create("left-000002")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(object[last.Offset : last.Offset+last.Size])
	meta := fmt.Sprintf(`{"producer":%q,"number":%q,"pack":%q}`, last.ProducerTime.Format(time.RFC3339Nano), last.Number, last.Key)
	if _, err := w.Commit(storage.PieceName(last.Key, last.Offset), "cam", []byte(meta)); err != nil {
		t.Fatal(err)
	}
	// And a piece uploaded and removed whose location entry outlived the
	// crash: settled at the start as uploaded (its pack's object exists).
	mid := storage.PieceName(frags[1].Key, frags[1].Offset)
	if err := r.locs.Spooled(bg, mid, time.Hour); err != nil {
		t.Fatal(err)
	}
	r.start(t, 1<<30)
	streamstest.Eventually(t, 10*time.Second, func() error {
		if _, ok := r.sp.Get(storage.PieceName(last.Key, last.Offset)); ok {
			return fmt.Errorf("the piece left is still spooled")
		}
		return nil
	})
	if got := readAll(t, r.bucket, last.Key); !bytes.Equal(got, object) {
		t.Fatalf("the pack's object was replaced: %d bytes, was %d", len(got), len(object))
	}
	streamstest.Eventually(t, 5*time.Second, func() error {
		if loc, ok := r.locs.Where(mid); ok {
			return fmt.Errorf("the uploaded piece is still in the location map at %+v", loc)
		}
		return nil
	})
}

// With a spool, the open fragment's parts of a stream nobody reads are
// not held in memory (neither by the hub nor by the fragment writer):
// the first reader reads them back from the spool file, byte for byte,
// and the parts after that read are held for it.
func TestSpoolSpillsUnreadParts(t *testing.T) {
	r := newSpoolRig(t, 1<<30)
	s, err := r.rec.Open(bg, "cam", ingest.Source{Kind: "test"}, fragmentstest.Tracks(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f := fragmentstest.NewFeeder(t, time.Now(), s.Write)
	f.Frames(60) // fragment 0 (2 s) closes at the keyframe of frame 50
	r.fragments(t, "cam", 1)
	if n := r.hub.Bytes(); n != 0 {
		t.Fatalf("the hub holds %d bytes of a stream nobody reads", n)
	}
	var open *fragments.LiveFragment
	for _, lf := range r.hub.View("cam").Fragments {
		if lf.Closed == nil {
			open = lf
		}
	}
	if open == nil || len(open.Parts) == 0 {
		t.Fatal("no open fragment with parts")
	}
	var read []byte
	for _, p := range open.Parts {
		b, err := p.Data()
		if err != nil {
			t.Fatal(err)
		}
		read = append(read, b...)
	}
	file, err := os.ReadFile(filepath.Join(r.dir, fmt.Sprintf("%s-%06d.data", open.Session, open.Index)))
	if err != nil || !bytes.Equal(read, file) {
		t.Fatalf("the spilled parts read back as %d bytes, the spool file holds %d (%v)", len(read), len(file), err)
	}
	f.Frames(10)
	if n := r.hub.Bytes(); n == 0 {
		t.Fatal("the parts written after a read are not held")
	}
}

// A live viewer who arrives mid-fragment starts with the group of
// pictures read back from the recording (spilled parts, and the units not
// yet in a part): from the last keyframe, exactly the units written since,
// while the relay caches nothing; then live units follow without a gap.
func TestRelayStartsFromTheRecording(t *testing.T) {
	r := newSpoolRig(t, 1<<30)
	s, err := r.rec.Open(bg, "cam", ingest.Source{Kind: "test"}, fragmentstest.Tracks(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var since []fragments.Unit // video units since the last keyframe
	f := fragmentstest.NewFeeder(t, time.Now(), func(u fragments.Unit) {
		if u.Track == 0 {
			if h264.IsRandomAccess(u.Data) {
				since = since[:0]
			}
			since = append(since, u)
		}
		s.Write(u)
	})
	for _, n := range []int{37, 1, 13, 21} { // keyframes every 25 frames; 2-s fragments; 200-ms parts
		f.Frames(n)
		sub, err := r.relay.Subscribe("cam")
		if err != nil {
			t.Fatal(err)
		}
		var got []relay.Event
		for len(got) < len(since) {
			ctx, cancel := context.WithTimeout(bg, time.Second)
			ev, err := sub.Next(ctx)
			cancel()
			if err != nil {
				t.Fatalf("after %d frames: %d of %d cached units: %v", f.Count(), len(got), len(since), err)
			}
			got = append(got, ev)
		}
		for i, ev := range got {
			if !ev.Cached || ev.Key != (i == 0) || ev.Unit.PTS != since[i].PTS {
				t.Fatalf("after %d frames, event %d: cached %v key %v PTS %d, want PTS %d", f.Count(), i, ev.Cached, ev.Key, ev.Unit.PTS, since[i].PTS)
			}
		}
		if !h264.IsRandomAccess(got[0].Unit.Data) {
			t.Fatalf("after %d frames: the first unit is not a keyframe", f.Count())
		}
		if n := r.relay.CachedBytes(); n != 0 {
			t.Fatalf("the relay caches %d bytes of a recorded stream", n)
		}
		f.Frames(1)
		ctx, cancel := context.WithTimeout(bg, time.Second)
		for {
			ev, err := sub.Next(ctx)
			if err != nil {
				t.Fatalf("the next live unit: %v", err)
			}
			if ev.Unit.Track == 0 {
				if ev.Cached || ev.Unit.PTS != since[len(since)-1].PTS {
					t.Fatalf("the next live unit: cached %v PTS %d, want %d", ev.Cached, ev.Unit.PTS, since[len(since)-1].PTS)
				}
				break
			}
		}
		cancel()
		sub.Close()
	}
}
