package s3

import (
	"context"
	"io"
)

// ctxReader fails with ctx's error once ctx is done, checked before every
// Read of r. The SDK aborts response bodies on cancellation too, but bytes
// already buffered would still be served; this makes the contract exact.
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

// readCloser joins a reader with the Close of the body under it.
type readCloser struct {
	io.Reader
	io.Closer
}
