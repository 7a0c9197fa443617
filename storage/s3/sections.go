package s3

import (
	"context"
	"fmt"
	"io"
)

// readerAtSeeker is a reader Put uploads from without a buffer.
type readerAtSeeker interface {
	io.ReaderAt
	io.Seeker
}

// putSections uploads the size bytes of r from off, its current offset, to
// its end, as io.SectionReaders over r, leaving r's offset at off.
func (b *Bucket) putSections(ctx context.Context, key string, r readerAtSeeker, off, size, partSize int64) error {
	end, err := r.Seek(0, io.SeekEnd)
	if err == nil {
		_, err = r.Seek(off, io.SeekStart)
	}
	if err != nil {
		return fmt.Errorf("s3: put %q: seeking: %w", key, err)
	}
	if n := max(end-off, 0); n != size {
		return fmt.Errorf("s3: put %q: %w", key, sizeError(size, n))
	}
	if size <= partSize {
		return b.putObject(ctx, key, io.NewSectionReader(r, off, size), size)
	}
	return b.putMultipart(ctx, key, &sectionParts{r: r, off: off, end: end, partSize: partSize})
}

// sectionParts cuts bytes [off, end) of r into parts of partSize bytes,
// the last one shorter, without copying them.
type sectionParts struct {
	r        io.ReaderAt
	off, end int64
	partSize int64
}

func (p *sectionParts) next() (io.ReadSeeker, int64, error) {
	if p.off >= p.end {
		return nil, 0, io.EOF
	}
	n := min(p.partSize, p.end-p.off)
	body := io.NewSectionReader(p.r, p.off, n)
	p.off += n
	return body, n, nil
}
