package rtsp

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/pion/rtp"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/ingest"
)

// clock gives the timing of an incoming packet: gortsplib's ServerSession
// and Client both have these methods.
type clock interface {
	// PacketPTS2 returns the PTS in the track's clock rate, relative to
	// the common start of the session's tracks.
	PacketPTS2(medi *description.Media, pkt *rtp.Packet) (int64, bool)
	// PacketNTP returns the producer's wall clock from RTCP sender reports.
	PacketNTP(medi *description.Media, pkt *rtp.Packet) (time.Time, bool)
}

// feed writes the packets of one RTSP session to one ingest session. It
// serializes its callers (gortsplib may deliver the packets of different
// medias on different goroutines), so the ingest session sees one writer,
// and it closes the ingest session exactly once; writes after that are
// dropped.
type feed struct {
	clock clock
	log   *slog.Logger

	mu     sync.Mutex
	sess   ingest.Session
	deps   []depacketizer
	tracks []*track
	closed bool
	stats  feedStats
	last   time.Time // arrival of the newest packet
}

// lastPacket is when the newest packet arrived (zero before any).
func (f *feed) lastPacket() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// feedStats counts what a feed did, for logs and tests.
type feedStats struct {
	Packets      uint64 // RTP packets of recorded tracks
	Units        uint64 // access units written
	NoPTS        uint64 // packets skipped because their PTS is unknown
	DecodeErrors uint64 // undecodable packets (garbage, losses, truncation)
}

// newFeed prepares the depacketizers of the tracks. The ingest session is
// attached later with start, before any packet can arrive.
func newFeed(tracks []*track, c clock, log *slog.Logger) (*feed, error) {
	f := &feed{clock: c, log: log, tracks: tracks, deps: make([]depacketizer, len(tracks))}
	for i, t := range tracks {
		d, err := t.newDep()
		if err != nil {
			return nil, fmt.Errorf("%s decoder: %w", t.format.Codec(), err)
		}
		f.deps[i] = d
	}
	return f, nil
}

// start attaches the ingest session that units go to.
func (f *feed) start(s ingest.Session) {
	f.mu.Lock()
	f.sess = s
	f.mu.Unlock()
}

// packet handles one RTP packet of track t. It never panics on input: a
// decoder panic is recovered and counted as a decode error.
func (f *feed) packet(t *track, pkt *rtp.Packet) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || f.sess == nil {
		return
	}
	f.stats.Packets++
	f.last = time.Now()
	defer func() {
		if r := recover(); r != nil {
			f.decodeError(t, fmt.Errorf("decoder panic: %v", r))
		}
	}()
	pts, ok := f.clock.PacketPTS2(t.media, pkt)
	if !ok {
		f.stats.NoPTS++
		return
	}
	arrival := time.Now()
	data, ts, err := f.deps[t.index].decode(pkt)
	if err != nil {
		if !errIncomplete(err) {
			f.decodeError(t, err)
		}
		return
	}
	if len(data) == 0 {
		return
	}
	u := fragments.Unit{
		Track:   t.index,
		PTS:     pts + int64(int32(ts-pkt.Timestamp)),
		Arrival: arrival,
		Data:    data,
	}
	probe := &rtp.Packet{Header: rtp.Header{PayloadType: pkt.PayloadType, Timestamp: ts}}
	if ntp, ok := f.clock.PacketNTP(t.media, probe); ok {
		u.NTP = ntp
	}
	f.sess.Write(u)
	f.stats.Units++
}

// decodeError counts a decode error and logs it at debug level.
func (f *feed) decodeError(t *track, err error) {
	f.stats.DecodeErrors++
	f.log.Debug("rtsp: undecodable packet", "track", t.index, "codec", t.format.Codec(),
		"errors", f.stats.DecodeErrors, "err", err)
}

// close closes the ingest session, once, and returns the counters.
func (f *feed) close() feedStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		if f.sess != nil {
			f.sess.Close()
		}
	}
	return f.stats
}

// snapshot returns the counters.
func (f *feed) snapshot() feedStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}
