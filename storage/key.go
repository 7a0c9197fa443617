package storage

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxKeyLen is the longest valid key, in bytes (S3's limit).
const MaxKeyLen = 1024

// ValidKey reports whether key may name an object, returning nil or an error
// wrapping ErrInvalidKey that says why.
//
// A key is a '/'-separated relative path of 1 to MaxKeyLen bytes. Each
// segment is non-empty, consists only of the ASCII characters [A-Za-z0-9._-],
// and is neither "." nor "..". So a key has no leading or trailing '/', no
// "//", no NUL, no backslash, and maps onto a file path that stays below a
// root directory on every operating system.
func ValidKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	if len(key) > MaxKeyLen {
		return fmt.Errorf("%w: %d bytes long, the limit is %d", ErrInvalidKey, len(key), MaxKeyLen)
	}
	for i, seg := range strings.Split(key, "/") {
		if err := validSegment(seg); err != nil {
			return fmt.Errorf("%w: %q: segment %d %v", ErrInvalidKey, key, i+1, err)
		}
	}
	return nil
}

// ValidPrefix reports whether some valid key starts with prefix, returning
// nil or an error wrapping ErrInvalidKey. The empty prefix is valid.
func ValidPrefix(prefix string) error {
	if prefix == "" || ValidKey(prefix) == nil {
		return nil
	}
	// If any valid key extends prefix, then prefix+"x" is valid too: "x"
	// either starts a new segment or lengthens the last one, and neither can
	// make a segment "." or "..".
	if ValidKey(prefix+"x") == nil {
		return nil
	}
	return fmt.Errorf("%w: prefix %q: no valid key starts with it", ErrInvalidKey, prefix)
}

// ValidSegment reports whether s is a valid key segment: a file or directory
// name that may appear in a key. Providers use it to ignore foreign entries.
func ValidSegment(s string) bool { return validSegment(s) == nil }

func validSegment(s string) error {
	switch s {
	case "":
		return fmt.Errorf("is empty")
	case ".", "..":
		return fmt.Errorf("is %q", s)
	}
	for i := 0; i < len(s); i++ {
		if !keyByte(s[i]) {
			return fmt.Errorf("has byte %q at %d; allowed are A-Z a-z 0-9 . _ -", s[i], i)
		}
	}
	return nil
}

func keyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}

// A piece is a byte range of an object that is read on its own (a
// fragment packed with others into one object). Its name, the object's key
// and the range's offset joined by '#', is not a key ('#' is not a key
// byte): the layers that hold pieces before their object exists (the
// spool) and the readers that ask for them use it.

// PieceName names the piece of object key that starts at byte off.
func PieceName(key string, off int64) string { return fmt.Sprintf("%s#%d", key, off) }

// SplitPiece returns the object key and offset of a piece name; ok is
// false for a plain key.
func SplitPiece(name string) (key string, off int64, ok bool) {
	i := strings.LastIndexByte(name, '#')
	if i < 0 {
		return name, 0, false
	}
	n, err := strconv.ParseInt(name[i+1:], 10, 64)
	if err != nil || n < 0 {
		return name, 0, false
	}
	return name[:i], n, true
}
