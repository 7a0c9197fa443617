package webrtc

import (
	"sync"
	"time"
)

// alignWait bounds how long a session with several tracks waits, at its
// start, for a sender report of each track to align them.
const alignWait = 3 * time.Second

// timeline gives the tracks of one WHIP session one time base for
// fragments.Unit.PTS. Each track's PTS counts its RTP timestamps (in its
// clock rate) from its first packet. Where that first packet is placed
// is decided once, at the start: by the tracks' sender reports (RTCP SR,
// the browser's wall clock for an RTP time; browsers send the first ones
// within 0.5 s for video and 2.5 s for audio) when every track has sent
// one within alignWait, else by each first packet's arrival after the
// session's first packet (the RTSP path's alignment). Until then the
// session holds its units (alignment is pending). The sender reports also
// give Unit.NTP, the producer time of fragments.
type timeline struct {
	mu      sync.Mutex
	start   time.Time // arrival of the session's first packet
	tracks  []trackTime
	aligned bool
	bySR    bool          // aligned by sender reports
	skew    time.Duration // by SR: how far off arrival placed the last track against the first
}

type trackTime struct {
	clock   int64
	started bool
	base    int64 // PTS of the first packet
	first   int64 // extended RTP timestamp of the first packet
	last    uint32
	ext     int64 // extended RTP timestamp of last
	hasSR   bool
	srRTP   int64 // extended
	srNTP   time.Time
}

func newTimeline(clocks []int) *timeline {
	t := &timeline{tracks: make([]trackTime, len(clocks))}
	for i, c := range clocks {
		t.tracks[i].clock = int64(c)
	}
	return t
}

// anchor places track i's first packet; later calls do nothing.
func (t *timeline) anchor(i int, ts uint32, arrival time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tr := &t.tracks[i]
	if tr.started {
		return
	}
	if t.start.IsZero() {
		t.start = arrival
	}
	tr.started = true
	tr.last, tr.ext, tr.first = ts, int64(ts), int64(ts)
	tr.base = int64(arrival.Sub(t.start)) * tr.clock / int64(time.Second)
}

// align reports whether the tracks' placement is decided, deciding it
// when it can: by sender reports once every track has one, by arrival
// (as anchored) after alignWait or with one track.
func (t *timeline) align(now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.aligned {
		return true
	}
	all := true
	for i := range t.tracks {
		all = all && t.tracks[i].started && t.tracks[i].hasSR
	}
	switch {
	case len(t.tracks) == 1 || (!all && now.Sub(t.start) < alignWait):
		t.aligned = len(t.tracks) == 1
	case all:
		// Place each first packet at its producer time after the
		// earliest one.
		producer := make([]time.Time, len(t.tracks))
		ref := time.Time{}
		for i := range t.tracks {
			tr := &t.tracks[i]
			producer[i] = tr.srNTP.Add(time.Duration((tr.first - tr.srRTP) * int64(time.Second) / tr.clock))
			if ref.IsZero() || producer[i].Before(ref) {
				ref = producer[i]
			}
		}
		// For the log: how far off placing by arrival would have been.
		last := len(t.tracks) - 1
		placed := func(tr *trackTime) time.Duration { return time.Duration(tr.base * int64(time.Second) / tr.clock) }
		byArrival := placed(&t.tracks[last]) - placed(&t.tracks[0])
		t.skew = producer[last].Sub(producer[0]) - byArrival
		for i := range t.tracks {
			t.tracks[i].base = int64(producer[i].Sub(ref)) * t.tracks[i].clock / int64(time.Second)
		}
		t.aligned, t.bySR = true, true
	default:
		t.aligned = true // by arrival, as anchored
	}
	return t.aligned
}

// unit returns the PTS and the producer wall clock (zero before a sender
// report) of an access unit of track i with RTP timestamp ts, which must
// come after its anchor.
func (t *timeline) unit(i int, ts uint32) (pts int64, ntp time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tr := &t.tracks[i]
	ext := tr.extend(ts)
	if tr.hasSR {
		ntp = tr.srNTP.Add(time.Duration((ext - tr.srRTP) * int64(time.Second) / tr.clock))
	}
	return tr.base + ext - tr.first, ntp
}

// senderReport records an RTCP sender report of track i.
func (t *timeline) senderReport(i int, rtpTime uint32, ntpTime uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tr := &t.tracks[i]
	if !tr.started {
		return
	}
	// Extend relative to the last packet without moving it.
	tr.srRTP = tr.ext + int64(int32(rtpTime-tr.last))
	tr.srNTP = ntpToTime(ntpTime)
	tr.hasSR = true
}

// extend unwraps a 32-bit RTP timestamp near the last one seen.
func (tr *trackTime) extend(ts uint32) int64 {
	ext := tr.ext + int64(int32(ts-tr.last))
	if ext > tr.ext {
		tr.ext, tr.last = ext, ts
	}
	return ext
}

// ntpToTime converts a 64-bit NTP timestamp (RFC 5905) to a time.
func ntpToTime(v uint64) time.Time {
	const ntpToUnix = 2208988800
	secs := int64(v>>32) - ntpToUnix
	nanos := int64((v & 0xffffffff) * 1e9 >> 32)
	return time.Unix(secs, nanos)
}

// how reports how the tracks were aligned, for the log.
func (t *timeline) how() (bySR bool, skew time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.bySR, t.skew
}
