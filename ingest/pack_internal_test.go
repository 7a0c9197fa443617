package ingest

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// A pack's object reads as its pieces at their offsets, zeros between
// them, by ReadAt at any range and by Read after a Seek.
func TestPackReader(t *testing.T) {
	dir := t.TempDir()
	file := func(name string, b []byte) *os.File {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	a, c := bytes.Repeat([]byte("a"), 1000), bytes.Repeat([]byte("c"), 700)
	var r packReader
	r.add(0, int64(len(a)), file("a", a))
	r.add(1500, int64(len(c)), file("c", c)) // the piece at 1000 was dropped
	want := append(append(append([]byte{}, a...), make([]byte, 500)...), c...)
	if r.size != int64(len(want)) {
		t.Fatalf("size %d, want %d", r.size, len(want))
	}
	got, err := io.ReadAll(&r)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Read: %d bytes, %v", len(got), err)
	}
	for _, rg := range [][2]int{{0, 10}, {995, 10}, {1200, 400}, {1499, 2}, {2190, 10}, {2200, 1}, {0, 2200}} {
		p := make([]byte, rg[1])
		n, err := r.ReadAt(p, int64(rg[0]))
		end := min(rg[0]+rg[1], len(want))
		if !bytes.Equal(p[:n], want[rg[0]:end]) || (end < rg[0]+rg[1]) != (err == io.EOF) {
			t.Fatalf("ReadAt(%d, %d): %d bytes, %v", rg[0], rg[1], n, err)
		}
	}
	if _, err := r.Seek(-100, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(&r); !bytes.Equal(got, c[600:]) {
		t.Fatalf("after Seek: %q", got)
	}
}
