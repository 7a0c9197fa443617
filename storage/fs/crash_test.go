package fs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/fs"
)

// crashEnv names the directory a child process writes into before it is
// killed; see TestCrashDuringPut.
const crashEnv = "SLUICE_FS_CRASH_DIR"

// TestCrashDuringPut kills (SIGKILL) a process in the middle of a Put that
// overwrites one object and creates another, then reopens the directory: the
// old object is intact, the new one absent, and no temporary file remains.
func TestCrashDuringPut(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir) // never returns
	}
	dir := t.TempDir()
	b := open(t, dir)
	old := bytes.Repeat([]byte("old"), 1000)
	if err := b.Put(t.Context(), "cam/old", bytes.NewReader(old), int64(len(old))); err != nil {
		t.Fatal(err)
	}
	b.Close()

	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCrashDuringPut$")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The child prints "writing" once both Puts have written 1 MiB.
	ready := make(chan string, 1)
	go func() {
		p := make([]byte, 64)
		n, _ := io.ReadAtLeast(out, p, len("writing"))
		ready <- string(p[:n])
	}()
	select {
	case s := <-ready:
		if !strings.Contains(s, "writing") {
			t.Fatalf("child said %q", s)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("child did not start writing")
	}
	temps, _ := filepath.Glob(filepath.Join(dir, "cam", "~sluice-*.tmp"))
	if len(temps) != 2 {
		t.Fatalf("temporary files during the Puts: %q, want 2", temps)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	b = open(t, dir)
	wantFiles(t, dir, "cam", "cam/old")
	r, err := b.Get(t.Context(), "cam/old")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, _ := io.ReadAll(r); !bytes.Equal(got, old) {
		t.Fatalf("old object after the crash: %d bytes, want %d", len(got), len(old))
	}
	if _, err := b.Attributes(t.Context(), "cam/new"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("new object after the crash: %v, want ErrNotFound", err)
	}
}

// crashChild overwrites cam/old and creates cam/new from readers that stall
// after 1 MiB, says so on stdout, and waits to be killed.
func crashChild(dir string) {
	b, err := fs.Open(dir)
	if err != nil {
		os.Exit(3)
	}
	stalled := make(chan struct{}, 2)
	for _, key := range []string{"cam/old", "cam/new"} {
		go b.Put(context.Background(), key, &stallingReader{n: 1 << 20, stalled: stalled}, 4<<20)
	}
	<-stalled
	<-stalled
	os.Stdout.WriteString("writing\n")
	time.Sleep(time.Hour)
	os.Exit(4)
}

// stallingReader yields n zero bytes, then signals and blocks forever.
type stallingReader struct {
	n       int
	stalled chan<- struct{}
}

func (s *stallingReader) Read(p []byte) (int, error) {
	if s.n == 0 {
		s.stalled <- struct{}{}
		time.Sleep(time.Hour)
	}
	n := min(len(p), s.n)
	clear(p[:n])
	s.n -= n
	return n, nil
}
