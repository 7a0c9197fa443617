package kvs

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// strShape is a string shape of the API models: its length bounds (in
// characters) and pattern. The pattern must match the whole value, as the
// models' Java validators do.
type strShape struct {
	min, max int
	pattern  string // as the model spells it, for messages; "" for none
	re       *regexp.Regexp
}

func newStrShape(min, max int, pattern string) strShape {
	s := strShape{min: min, max: max, pattern: pattern}
	if pattern != "" {
		s.re = regexp.MustCompile(`^(?:` + pattern + `)$`)
	}
	return s
}

// The string shapes of the Kinesis Video Streams models (2017-09-30) that
// this package checks. They are read-only.
var (
	shapeStreamName = newStrShape(1, 256, `[a-zA-Z0-9_.-]+`)
	shapeDeviceName = newStrShape(1, 128, `[a-zA-Z0-9_.-]+`)
	shapeMediaType  = newStrShape(1, 128, `[\w\-\.\+]+/[\w\-\.\+]+(,[\w\-\.\+]+/[\w\-\.\+]+)*`)
	shapeKMSKeyID   = newStrShape(1, 2048, `.+`)
	shapeARN        = newStrShape(1, 1024, `arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+`)
	shapeVersion    = newStrShape(1, 64, `[a-zA-Z0-9]+`)
	shapeTagKey     = newStrShape(1, 128, `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)
	shapeTagValue   = newStrShape(0, 256, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
	// NextToken of the control plane (ListStreams, ListTagsFor*).
	shapeListToken = newStrShape(0, 1024, `[a-zA-Z0-9+/=]*`)
	// NextToken of ListFragments (archived media model).
	shapeFragmentToken = newStrShape(1, 4096, `[a-zA-Z0-9+/]+={0,2}`)
)

// violations collects the failed model constraints of one request. Its
// error reads as AWS's request validation does:
//
//	1 validation error detected: Value 'a b' at 'streamName' failed to
//	satisfy constraint: Member must satisfy regular expression pattern:
//	[a-zA-Z0-9_.-]+
//
// Paths are member names in lower camel case, joined with '.'; list
// members are "<list>.<1-based index>.member".
type violations []string

func (v *violations) add(value any, path, constraint string) {
	shown := "null"
	if value != nil {
		shown = fmt.Sprintf("'%v'", value)
	}
	*v = append(*v, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", shown, path, constraint))
}

// required records a missing required member.
func (v *violations) required(path string, present bool) {
	if !present {
		v.add(nil, path, "Member must not be null")
	}
}

// str checks an optional string member against its shape.
func (v *violations) str(path string, s *string, shape strShape) {
	if s == nil {
		return
	}
	n := utf8.RuneCountInString(*s)
	if n < shape.min {
		v.add(*s, path, fmt.Sprintf("Member must have length greater than or equal to %d", shape.min))
	}
	if n > shape.max {
		v.add(*s, path, fmt.Sprintf("Member must have length less than or equal to %d", shape.max))
	}
	if shape.re != nil && !shape.re.MatchString(*s) {
		v.add(*s, path, "Member must satisfy regular expression pattern: "+shape.pattern)
	}
}

// reqStr checks a required string member.
func (v *violations) reqStr(path string, s *string, shape strShape) {
	v.required(path, s != nil)
	v.str(path, s, shape)
}

// num checks an optional integer member against its bounds.
func (v *violations) num(path string, n *int64, min, max int64) {
	if n == nil {
		return
	}
	if *n < min {
		v.add(*n, path, fmt.Sprintf("Member must have value greater than or equal to %d", min))
	}
	if *n > max {
		v.add(*n, path, fmt.Sprintf("Member must have value less than or equal to %d", max))
	}
}

// enum checks an optional enum member.
func (v *violations) enum(path string, s *string, values ...string) {
	if s != nil && !slices.Contains(values, *s) {
		v.add(*s, path, fmt.Sprintf("Member must satisfy enum value set: [%s]", strings.Join(values, ", ")))
	}
}

// count checks the length of a list or map member; max < 0 is no maximum.
func (v *violations) count(path string, value any, n, min, max int) {
	if n < min {
		v.add(value, path, fmt.Sprintf("Member must have length greater than or equal to %d", min))
	}
	if max >= 0 && n > max {
		v.add(value, path, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

// err returns the InvalidArgumentException for the violations, or nil.
func (v violations) err() error {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return newError(errInvalid, "1 validation error detected: %s", v[0])
	}
	return newError(errInvalid, "%d validation errors detected: %s", len(v), strings.Join(v, "; "))
}
