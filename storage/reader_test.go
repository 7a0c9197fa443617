package storage_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/sluice-dev/sluice/storage"
)

func TestAppendAll(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 1000)
	for _, size := range []int64{-1, 0, 1, 9999, 10000, 10001, 1 << 40} {
		for name, r := range map[string]io.Reader{
			"whole reads": bytes.NewReader(data),
			"byte reads":  iotest.OneByteReader(bytes.NewReader(data)),
			"data+EOF":    iotest.DataErrReader(bytes.NewReader(data)),
		} {
			got, err := storage.AppendAll(nil, r, size)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("size %d, %s: %d bytes, %v", size, name, len(got), err)
			}
		}
	}
	boom := errors.New("boom")
	got, err := storage.AppendAll(nil, io.MultiReader(bytes.NewReader(data[:10]), iotest.ErrReader(boom)), 100)
	if !errors.Is(err, boom) || string(got) != string(data[:10]) {
		t.Errorf("failing reader: %q, %v", got, err)
	}
	if allocs := testing.AllocsPerRun(10, func() { _, _ = storage.AppendAll(nil, bytes.NewReader(data), int64(len(data))) }); allocs > 2 && !raceEnabled {
		t.Errorf("%v allocations reading an object of known size", allocs)
	}
	got, err = storage.AppendAll([]byte("head:"), bytes.NewReader(data), int64(len(data)))
	if err != nil || string(got) != "head:"+string(data) {
		t.Errorf("appending: %d bytes, %v", len(got), err)
	}
	buf := make([]byte, 0, 2*len(data))
	if allocs := testing.AllocsPerRun(10, func() { buf, _ = storage.AppendAll(buf[:0], bytes.NewReader(data), int64(len(data))) }); allocs > 1 && !raceEnabled {
		t.Errorf("%v allocations reading into a buffer large enough", allocs)
	}
}
