package auth

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxStreamNameLen is the longest stream name: Kinesis and Kinesis Video
// Streams both allow 256 characters.
const MaxStreamNameLen = 256

// ErrStreamName is wrapped by every error of ValidStreamName.
var ErrStreamName = errors.New("invalid stream name")

// ValidStreamName rejects names that could reach outside their stream when
// used in a storage key, a file path, a log line or a URL: empty or longer
// than MaxStreamNameLen bytes, not UTF-8, "." or "..", or containing '/',
// '\', NUL, any control or format character (newlines, bidi overrides,
// zero-width characters) or white space other than U+0020. It is a
// superset of the AWS APIs' own rule ([a-zA-Z0-9_.-]+): names that rule
// allows pass; a door with a stricter rule applies it too.
func ValidStreamName(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: empty", ErrStreamName)
	case len(s) > MaxStreamNameLen:
		return fmt.Errorf("%w: longer than %d bytes", ErrStreamName, MaxStreamNameLen)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: not UTF-8", ErrStreamName)
	case s == "." || s == "..":
		return fmt.Errorf("%w: %q is a path element", ErrStreamName, s)
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("%w: leading or trailing white space", ErrStreamName)
	}
	for _, r := range s {
		switch {
		case r == '/' || r == '\\':
			return fmt.Errorf("%w: contains %q", ErrStreamName, r)
		case r == ' ':
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), unicode.IsSpace(r),
			r == utf8.RuneError, unicode.Is(unicode.Co, r), unicode.Is(unicode.Cs, r):
			return fmt.Errorf("%w: contains the character U+%04X", ErrStreamName, r)
		}
	}
	return nil
}
