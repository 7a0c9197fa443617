package kvs

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"time"
)

// epochTime is a timestamp member. Both API models leave timestampFormat
// unset, so REST-JSON sends epoch seconds as a JSON number: the Go SDK
// writes and reads a float with a millisecond fraction (1700000000.123);
// AWS CLI v2 (botocore) writes whole seconds and reads either. Sluice
// writes milliseconds and reads any number, rounded to the millisecond.
type epochTime time.Time

// maxEpochSeconds bounds accepted timestamps to the years 1684 to 2255:
// inside what time.Time.UnixNano represents, and far wider than any
// fragment's time.
const maxEpochSeconds = 9e9

func (t epochTime) Time() time.Time { return time.Time(t) }

func (t epochTime) MarshalJSON() ([]byte, error) {
	return appendEpoch(nil, t), nil
}

// appendEpoch appends t as epoch seconds with a millisecond fraction.
func appendEpoch(b []byte, t epochTime) []byte {
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

func (t *epochTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) == 0 || b[0] != '-' && (b[0] < '0' || b[0] > '9') {
		return fmt.Errorf("a timestamp must be a JSON number of epoch seconds, got %.40s", b)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.Abs(f) > maxEpochSeconds {
		return fmt.Errorf("timestamp %.40s is not a number of epoch seconds between -%g and %g", b, maxEpochSeconds, maxEpochSeconds)
	}
	*t = epochTime(time.UnixMilli(int64(math.Round(f * 1000))).UTC())
	return nil
}
