package awswire

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// EpochTime is a timestamp member of the AWS JSON and CBOR protocols.
//
// On JSON (the models leave timestampFormat unset) it is epoch seconds as
// a number: the Go SDK writes and reads a float with a millisecond
// fraction (1700000000.123), AWS CLI v2 writes whole seconds and reads
// either. Sluice writes milliseconds, nudged so that readers that truncate
// get them back (see wireSeconds), and reads any number, rounded to the
// millisecond.
//
// On CBOR it is tag 1 over integer epoch milliseconds, as the AWS Java SDK
// writes it; it reads tag 1 or a bare number, in seconds or (above
// msThreshold) milliseconds.
type EpochTime time.Time

// Time is t as a time.Time.
func (t EpochTime) Time() time.Time { return time.Time(t) }

// MaxEpochSeconds bounds accepted JSON timestamps to the years 1684 to
// 2255: inside what time.Time.UnixNano represents, and far wider than any
// record's or fragment's time.
const MaxEpochSeconds = 9e9

// msThreshold separates seconds from milliseconds in CBOR input: 1e11
// seconds is in the year 5138, 1e11 milliseconds in 1973.
const msThreshold = 1e11

// MarshalJSON writes epoch seconds with a millisecond fraction.
func (t EpochTime) MarshalJSON() ([]byte, error) { return t.AppendJSON(nil), nil }

// AppendJSON appends t as MarshalJSON writes it (for hand-written
// encoders).
func (t EpochTime) AppendJSON(b []byte) []byte {
	return strconv.AppendFloat(b, wireSeconds(time.Time(t).UnixMilli()), 'f', -1, 64)
}

// wireSeconds returns ms as seconds, nudged so that readers that truncate
// get ms back. The Go SDK multiplies the seconds by 1000 in float64
// precision and truncates toward zero, so the nearest double to, say,
// 1700000000.123 (which lies just below it) would read as ...122 ms. The
// next double away from zero is still within a microsecond, so readers
// that round are not affected.
func wireSeconds(ms int64) float64 {
	f := float64(ms) / 1000
	for range 4 {
		if int64(math.Trunc(f*1000)) == ms {
			break
		}
		f = math.Nextafter(f, math.Copysign(math.Inf(1), f))
	}
	return f
}

// UnmarshalJSON reads a number of epoch seconds; null leaves t unchanged.
func (t *EpochTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) == 0 || b[0] != '-' && (b[0] < '0' || b[0] > '9') {
		return fmt.Errorf("a timestamp must be a JSON number of epoch seconds, got %.40s", b)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.Abs(f) > MaxEpochSeconds {
		return fmt.Errorf("timestamp %.40s is not a number of epoch seconds between -%g and %g", b, MaxEpochSeconds, MaxEpochSeconds)
	}
	*t = EpochTime(time.UnixMilli(int64(math.Round(f * 1000))).UTC())
	return nil
}

// MarshalCBOR writes tag 1 over epoch milliseconds.
func (t EpochTime) MarshalCBOR() ([]byte, error) {
	return cbor.Marshal(cbor.Tag{Number: 1, Content: time.Time(t).UnixMilli()})
}

// UnmarshalCBOR reads tag 1 or a bare number, in seconds or milliseconds;
// null leaves t unchanged.
func (t *EpochTime) UnmarshalCBOR(b []byte) error {
	if len(b) > 0 && b[0] == 0xf6 { // null
		return nil
	}
	content := b
	if len(b) > 0 && b[0]>>5 == 6 { // a tag
		var raw cbor.RawTag
		if err := cbor.Unmarshal(b, &raw); err != nil {
			return err
		}
		if raw.Number != 1 {
			return errors.New("timestamp must be CBOR tag 1")
		}
		content = raw.Content
	}
	var v any
	if err := cbor.Unmarshal(content, &v); err != nil {
		return err
	}
	var f float64
	switch n := v.(type) {
	case uint64:
		f = float64(n)
	case int64:
		f = float64(n)
	case float64:
		f = n
	default:
		return errors.New("timestamp must be a number")
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e16 {
		return errors.New("timestamp out of range")
	}
	if math.Abs(f) > msThreshold {
		*t = EpochTime(time.UnixMilli(int64(math.Round(f))).UTC())
	} else {
		*t = EpochTime(time.UnixMilli(int64(math.Round(f * 1000))).UTC())
	}
	return nil
}
