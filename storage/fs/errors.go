package fs

import (
	"errors"
	"io/fs"
	"syscall"
)

// notExist reports whether err means that the path names nothing: it is
// missing, or one of its parents is a file.
func notExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}
