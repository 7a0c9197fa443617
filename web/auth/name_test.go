package auth

import (
	"errors"
	"strings"
	"testing"
)

// streamNameCases drive the validator test and seed its fuzz test.
var streamNameCases = []struct {
	name string
	ok   bool
}{
	{"cam1", true},
	{"front-door_2.hd", true},
	{strings.Repeat("a", 256), true},
	{"caméra", true},
	{"with space", true},
	{"", false},
	{strings.Repeat("a", 257), false},
	{".", false},
	{"..", false},
	{"../etc/passwd", false},
	{"a/b", false},
	{`a\b`, false},
	{"..\\..\\x", false},
	{"a\x00b", false},
	{"line\nbreak", false},
	{"tab\there", false},
	{"esc\x1b[31m", false},
	{"del\x7f", false},
	{"rtl\u202eevil", false},
	{"zero\u200bwidth", false},
	{" lead", false},
	{"trail ", false},
	{"bad\xffutf8", false},
	{"%2e%2e", true}, // literal percent signs: no decoding happens here
}

func TestValidStreamName(t *testing.T) {
	for _, c := range streamNameCases {
		err := ValidStreamName(c.name)
		if (err == nil) != c.ok {
			t.Errorf("%q: ok=%v, err=%v", c.name, c.ok, err)
		}
		if err != nil && !errors.Is(err, ErrStreamName) {
			t.Errorf("%q: %v does not wrap ErrStreamName", c.name, err)
		}
	}
}
