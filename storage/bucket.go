package storage

import (
	"context"
	"io"
	"time"
)

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	// Key is the object's key, as given to Put (without any provider prefix).
	Key string
	// Size is the object's length in bytes.
	Size int64
	// LastModified is when the object was last written, as the provider
	// records it (file mtime, S3 Last-Modified; second precision on S3).
	LastModified time.Time
}

// BucketReader is the read half of a [Bucket]. Its methods are safe for
// concurrent use.
type BucketReader interface {
	// Get opens the whole object for reading. The caller must close the
	// reader. A missing key returns an error wrapping ErrNotFound. Reads
	// fail once ctx is done.
	Get(ctx context.Context, key string) (io.ReadCloser, error)

	// GetRange opens length bytes of the object starting at byte off;
	// length -1 reads to the end. The range is clipped to the object: a
	// range that starts at or past the end reads nothing, without error.
	// off < 0 or length < -1 is an error. A missing key returns an error
	// wrapping ErrNotFound. The caller must close the reader.
	GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error)

	// List calls fn for every object whose key starts with prefix, in
	// lexical (byte) order of keys, descending into "directories": it is
	// recursive, there are no common prefixes. The prefix need not end at a
	// '/' ("cam/2024-" matches "cam/2024-05/x"); "" lists everything. A
	// prefix that no valid key can start with returns an error wrapping
	// ErrInvalidKey (see ValidPrefix). If fn returns an error, List stops and
	// returns that error unchanged. Objects written or deleted while List
	// runs may or may not be reported.
	List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error

	// Attributes returns the object's size and modification time. A missing
	// key returns an error wrapping ErrNotFound.
	Attributes(ctx context.Context, key string) (ObjectInfo, error)
}

// Bucket is an object store: a BucketReader that can also write. Its methods
// are safe for concurrent use.
type Bucket interface {
	BucketReader

	// Put stores the bytes of r under key, replacing any existing object.
	// size is the number of bytes r yields, or -1 when unknown; when it is
	// known and r yields a different count, Put fails. Put is atomic: until
	// it returns nil, readers see the previous object (or none); if it
	// fails, is cancelled, or the process dies, the previous state remains.
	// Once it returns nil the object is durable as far as the provider can
	// promise (fs: fsynced file and directory; S3: acknowledged by the
	// service).
	Put(ctx context.Context, key string, r io.Reader, size int64) error

	// Delete removes the object. Deleting a missing key returns nil.
	Delete(ctx context.Context, key string) error

	// Close releases the bucket's resources. Afterwards every method returns
	// an error wrapping ErrClosed. Readers already returned by Get may fail.
	Close() error
}
