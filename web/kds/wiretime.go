package kds

import (
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// epochTime is a timestamp member. On JSON it is epoch seconds as a number
// with a millisecond fraction (1700000000.123); on CBOR it is tag 1 over
// integer epoch milliseconds, as the AWS Java SDK writes and reads it.
type epochTime time.Time

// msThreshold separates seconds from milliseconds in CBOR input: 1e11
// seconds is in the year 5138, 1e11 milliseconds in 1973.
const msThreshold = 1e11

func (t epochTime) time() time.Time { return time.Time(t) }

func newEpochTime(t time.Time) epochTime { return epochTime(t) }

func (t epochTime) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	neg := ms < 0
	if neg {
		ms = -ms
	}
	b := make([]byte, 0, 24)
	if neg {
		b = append(b, '-')
	}
	b = strconv.AppendInt(b, ms/1000, 10)
	if frac := ms % 1000; frac != 0 {
		b = append(b, '.')
		b = append(b, byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	}
	return b, nil
}

var errBadTimestamp = errors.New("timestamp must be a number of epoch seconds")

func (t *epochTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) == 0 || !(b[0] == '-' || b[0] >= '0' && b[0] <= '9') {
		return errBadTimestamp
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.Abs(f) > 1e13 {
		return errBadTimestamp
	}
	*t = epochTime(time.UnixMilli(int64(math.Round(f * 1000))))
	return nil
}

func (t epochTime) MarshalCBOR() ([]byte, error) {
	return cbor.Marshal(cbor.Tag{Number: 1, Content: time.Time(t).UnixMilli()})
}

func (t *epochTime) UnmarshalCBOR(b []byte) error {
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
		*t = epochTime(time.UnixMilli(int64(math.Round(f))))
	} else {
		*t = epochTime(time.UnixMilli(int64(math.Round(f * 1000))))
	}
	return nil
}
