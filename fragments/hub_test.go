package fragments

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/spool"
)

// TestHubSpilledParts: a spilled part of a stream nobody reads is not
// held in memory but read back from its spill; once the stream is read,
// the next parts are held; a part whose spill is gone is no longer held
// for readers, and an indexed fragment's parts are forgotten.
func TestHubSpilledParts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frag.data")
	data := bytes.Repeat([]byte("0123456789"), 100)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	h := NewHub(0)
	init := &Init{ID: "i"}
	part := func(j int) *Part {
		return &Part{Session: "s", Fragment: 0, Index: j, Init: init, Bytes: data[j*100 : (j+1)*100],
			Spill: &Spill{R: spool.FileAt(path), Off: int64(j * 100), N: 100}, Duration: 200 * time.Millisecond, Independent: j == 0}
	}
	h.AddPart("cam", part(0))
	h.AddPart("cam", part(1))
	if n := h.Bytes(); n != 0 {
		t.Fatalf("the hub holds %d bytes of an unread stream's spilled parts", n)
	}
	v := h.View("cam") // the stream is read from now on
	for j, p := range v.Fragments[0].Parts {
		if p.Bytes != nil {
			t.Fatalf("part %d held in memory before the stream was read", j)
		}
		b, err := p.Data()
		if err != nil || !bytes.Equal(b, data[j*100:(j+1)*100]) {
			t.Fatalf("part %d read back: %q, %v", j, b, err)
		}
	}
	h.AddPart("cam", part(2))
	if n := h.Bytes(); n != 100 {
		t.Fatalf("the hub holds %d bytes after a part of a read stream, want 100", n)
	}
	// A part without a spill is always held.
	h.AddPart("other", &Part{Session: "s", Init: init, Bytes: data[:7]})
	if n := h.Bytes(); n != 107 {
		t.Fatalf("the hub holds %d bytes, want 107", n)
	}
	// The spill file is gone (uploaded and removed): not held any more.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	p := h.View("cam").Fragments[0].Parts[0]
	if _, err := p.Data(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("reading a part whose spill is gone: %v", err)
	}
	h.CloseFragment("cam", &Fragment{Session: "s", Index: 0, Init: init, Duration: 600 * time.Millisecond})
	h.Indexed("cam", "s", 0, "n")
	h.CloseFragment("cam", &Fragment{Session: "s", Index: 1, Init: init, Duration: 2 * time.Second})
	h.Indexed("cam", "s", 1, "m")
	for j, p := range h.View("cam").Fragments[0].Parts {
		if p.Held() {
			t.Fatalf("part %d of an archived fragment beyond WatchedBytes is still held", j)
		}
	}
}
