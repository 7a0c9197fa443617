package storage

import (
	"context"
	"io"
	"slices"
)

// ContextReader returns a reader of r that fails with ctx's error once ctx
// is done, checked before every Read, so that providers honour
// cancellation exactly even when bytes are already buffered.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }

// ContextReadCloser is ContextReader with the Close of c, for the readers
// Get and GetRange return.
func ContextReadCloser(ctx context.Context, r io.Reader, c io.Closer) io.ReadCloser {
	return struct {
		io.Reader
		io.Closer
	}{ctxReader{ctx, r}, c}
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// AppendAll appends what r holds, read to its end, to dst, and returns
// the extended slice, as append does. size is the number of bytes r holds
// when the caller knows it (an object's size, from an index): dst then
// grows once, to fit them. A size of 0 or less, or a wrong one, costs
// only the growth io.ReadAll would do; sizes above 1 GiB are taken as
// unknown. On an error, the bytes read so far are appended.
func AppendAll(dst []byte, r io.Reader, size int64) ([]byte, error) {
	if size <= 0 || size > 1<<30 {
		size = 512
	}
	dst = slices.Grow(dst, int(size)+1) // room for the read that meets EOF
	for {
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
	}
}
