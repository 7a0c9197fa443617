package fs

import (
	"context"
	"io"
)

// ctxReader fails with ctx's error once ctx is done, checked before every
// Read of r.
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

// readCloser joins a reader with the Close of the file under it.
type readCloser struct {
	io.Reader
	io.Closer
}
