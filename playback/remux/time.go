package remux

import "time"

// rescale converts t from timescale from to timescale to, rounding down,
// without overflowing for absolute wall-clock times (t/from whole units
// are converted apart from the remainder).
func rescale(t, from, to int64) int64 {
	q, r := t/from, t%from
	if r < 0 {
		q, r = q-1, r+from
	}
	return q*to + r*to/from
}

// ns converts ticks of a timescale to nanoseconds.
func ns(t, timescale int64) int64 { return rescale(t, timescale, int64(time.Second)) }

// ticks converts nanoseconds to ticks of a timescale, rounded to nearest.
func ticks(ns, timescale int64) int64 {
	return rescale(ns+int64(time.Second)/(2*timescale), int64(time.Second), timescale)
}
