package fragments

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/spool"
)

// TestHubSpilledParts: a spilled part of a stream nobody reads is not
// held in memory; when the stream is first read, its spilled parts are
// read back into memory (their spool file goes away soon after their
// fragment closes, while players still load them), and the next parts
// are held; a part whose file is already gone is no longer held; an
// indexed fragment's parts are forgotten.
func TestHubSpilledParts(t *testing.T) {
	dir := t.TempDir()
	data := bytes.Repeat([]byte("0123456789"), 100)
	for _, name := range []string{"cam.data", "gone.data"} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h := NewHub(0)
	init := &Init{ID: "i"}
	part := func(file string, j int) *Part {
		return &Part{Session: "s", Fragment: 0, Index: j, Init: init, Bytes: data[j*100 : (j+1)*100],
			Spill: &Spill{R: spool.FileAt(filepath.Join(dir, file)), Off: int64(j * 100), N: 100}, Duration: 200 * time.Millisecond, Independent: j == 0}
	}
	h.AddPart("cam", part("cam.data", 0))
	h.AddPart("cam", part("cam.data", 1))
	h.AddPart("gone", part("gone.data", 0))
	if n := h.Bytes(); n != 0 {
		t.Fatalf("the hub holds %d bytes of unread streams' spilled parts", n)
	}
	v := h.View("cam") // the stream is read from now on
	for j, p := range v.Fragments[0].Parts {
		if !bytes.Equal(p.Bytes, data[j*100:(j+1)*100]) {
			t.Fatalf("part %d not read back into memory at the first read: %q", j, p.Bytes)
		}
	}
	h.AddPart("cam", part("cam.data", 2))
	if n := h.Bytes(); n != 300 {
		t.Fatalf("the hub holds %d bytes of a read stream, want 300", n)
	}
	// A part without a spill is always held.
	h.AddPart("other", &Part{Session: "s", Init: init, Bytes: data[:7]})
	if n := h.Bytes(); n != 307 {
		t.Fatalf("the hub holds %d bytes, want 307", n)
	}
	// The spill file is gone before the first read (uploaded and removed).
	if err := os.Remove(filepath.Join(dir, "gone.data")); err != nil {
		t.Fatal(err)
	}
	if p := h.View("gone").Fragments[0].Parts[0]; p.Held() {
		t.Fatalf("a part whose spill is gone is held: %+v", p)
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
