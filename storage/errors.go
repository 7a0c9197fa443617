package storage

import "errors"

// ErrNotFound is wrapped by the error of Get, GetRange and Attributes when
// the key names no object. Delete never returns it. Test with errors.Is.
var ErrNotFound = errors.New("storage: object not found")

// ErrInvalidKey is wrapped by the error of every Bucket method given a key
// that ValidKey rejects (or, for List, a prefix that ValidPrefix rejects).
// Such calls fail before the provider's backend is touched.
var ErrInvalidKey = errors.New("storage: invalid key")

// ErrClosed is wrapped by the error of every Bucket method called after
// Close.
var ErrClosed = errors.New("storage: bucket closed")
