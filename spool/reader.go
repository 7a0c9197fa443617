package spool

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/sluice-dev/sluice/storage"
)

// Over returns a reader of b that serves the objects waiting in the spool
// from the spool: what playback reads while their upload is pending.
// List lists b alone.
func (s *Spool) Over(b storage.BucketReader) storage.BucketReader { return over{s, b} }

type over struct {
	s *Spool
	b storage.BucketReader
}

// spooled opens key's spool file, if it waits in the spool. An entry
// removed between the lookup and the open (uploaded meanwhile) is read
// from the bucket.
func (o over) spooled(key string) (*os.File, *Entry, bool) {
	e, ok := o.s.Get(key)
	if !ok {
		return nil, nil, false
	}
	f, err := o.s.open(e)
	if err != nil {
		return nil, nil, false
	}
	return f, e, true
}

func (o over) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if f, _, ok := o.spooled(key); ok {
		return f, nil
	}
	return o.b.Get(ctx, key)
}

func (o over) GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	if off < 0 || length < -1 {
		return nil, errors.New("spool: bad range")
	}
	f, _, ok := o.spooled(key)
	if !ok {
		// A packed fragment waits as a piece of its object: the range is
		// the piece, from its first byte.
		if f, _, ok := o.spooled(storage.PieceName(key, off)); ok {
			return limited(f, length), nil
		}
		return o.b.GetRange(ctx, key, off, length)
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return limited(f, length), nil
}

// limited reads length bytes of f from where it is (all of it for -1).
func limited(f *os.File, length int64) io.ReadCloser {
	if length < 0 {
		return f
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, length), f}
}

func (o over) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	return o.b.List(ctx, prefix, fn)
}

func (o over) Attributes(ctx context.Context, key string) (storage.ObjectInfo, error) {
	if e, ok := o.s.Get(key); ok {
		return storage.ObjectInfo{Key: key, Size: e.Size, LastModified: e.Created.In(time.Local)}, nil
	}
	return o.b.Attributes(ctx, key)
}
