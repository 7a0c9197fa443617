package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/sluice-dev/sluice/storage"
)

// putBuffered uploads r, read into memory up to one part at a time. size
// is -1 or the exact count r must yield.
func (b *Bucket) putBuffered(ctx context.Context, key string, r io.Reader, size, partSize int64) error {
	src := storage.ContextReader(ctx, r)
	hint := partSize + 1
	if size >= 0 {
		// One byte more than announced, to notice a longer body.
		src = io.LimitReader(src, size+1)
		hint = min(hint, size+1)
	}
	data, err := readUpTo(src, partSize+1, hint)
	if err != nil {
		return fmt.Errorf("s3: put %q: reading: %w", key, err)
	}
	if n := int64(len(data)); n <= partSize {
		if size >= 0 && n != size {
			return fmt.Errorf("s3: put %q: %w", key, sizeError(size, n))
		}
		return b.putObject(ctx, key, bytes.NewReader(data), n)
	}
	// data is the first part and one byte of the second: upload from its
	// array, the extra byte first.
	return b.putMultipart(ctx, key, &bufferParts{
		buf:  data[:partSize],
		have: int(partSize),
		src:  io.MultiReader(bytes.NewReader(data[partSize:]), src),
		size: size,
	})
}

// readUpTo reads r until EOF or limit bytes, starting with a buffer of hint
// bytes and doubling it, so that small objects take little memory and large
// ones at most limit (rounded up to an allocation size class).
func readUpTo(r io.Reader, limit, hint int64) ([]byte, error) {
	buf := make([]byte, 0, max(min(hint, limit), 512))
	for int64(len(buf)) < limit {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(limit, 2*int64(cap(buf))))-len(buf))
		}
		n, err := r.Read(buf[len(buf):min(int64(cap(buf)), limit)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// bufferParts reads the parts from src into buf, one after the other, and
// checks their total against size (-1 or the exact count; src is limited
// to size+1 bytes).
type bufferParts struct {
	buf   []byte // a part's room; its first have bytes are read already
	have  int
	src   io.Reader
	size  int64
	total int64 // bytes yielded so far
	done  bool  // src is at its end
}

func (p *bufferParts) next() (io.ReadSeeker, int64, error) {
	if p.done {
		return nil, 0, io.EOF
	}
	n, err := io.ReadFull(p.src, p.buf[p.have:])
	n += p.have
	p.have = 0
	switch err {
	case nil:
	case io.EOF, io.ErrUnexpectedEOF:
		p.done = true
	default:
		return nil, 0, fmt.Errorf("reading: %w", err)
	}
	p.total += int64(n)
	if p.size >= 0 && (p.total > p.size || p.done && p.total != p.size) {
		return nil, 0, sizeError(p.size, p.total)
	}
	if n == 0 {
		return nil, 0, io.EOF
	}
	return bytes.NewReader(p.buf[:n]), int64(n), nil
}
