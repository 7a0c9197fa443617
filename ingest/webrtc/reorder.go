package webrtc

import (
	"time"

	"github.com/pion/rtp"
)

// reorderSize bounds the packets held while one is missing.
const reorderSize = 512

// reorder puts the RTP packets of one track back in sequence order. A
// packet in sequence goes out at once (no added latency); packets after a
// gap are held until the missing one arrives (pion's NACK interceptor
// asks the sender to retransmit it) or maxWait passes, when the gap is
// skipped and reported as a loss.
type reorder struct {
	maxWait  time.Duration
	next     uint16
	started  bool
	held     [reorderSize]*rtp.Packet
	count    int
	gapSince time.Time
}

// push takes one packet and returns the packets that are now in order;
// lost reports that packets were given up on before them.
func (r *reorder) push(p *rtp.Packet, now time.Time) (out []*rtp.Packet, lost bool) {
	if !r.started {
		r.started, r.next = true, p.SequenceNumber
	}
	d := int16(p.SequenceNumber - r.next)
	switch {
	case d < 0:
		return nil, false // late or duplicate
	case int(d) >= reorderSize:
		r.flush()
		r.next, lost = p.SequenceNumber, true // a long loss or a new sequence
	}
	slot := &r.held[p.SequenceNumber%reorderSize]
	if *slot == nil {
		*slot = p
		r.count++
	}
	out = r.drain(nil)
	if r.count == 0 {
		r.gapSince = time.Time{}
		return out, lost
	}
	if r.gapSince.IsZero() {
		r.gapSince = now
	}
	if now.Sub(r.gapSince) >= r.maxWait || r.count > reorderSize/2 {
		for r.held[r.next%reorderSize] == nil {
			r.next++
		}
		lost = true
		out = r.drain(out)
		r.gapSince = time.Time{}
		if r.count > 0 {
			r.gapSince = now
		}
	}
	return out, lost
}

func (r *reorder) drain(out []*rtp.Packet) []*rtp.Packet {
	for {
		slot := &r.held[r.next%reorderSize]
		if *slot == nil {
			return out
		}
		out = append(out, *slot)
		*slot = nil
		r.count--
		r.next++
	}
}

func (r *reorder) flush() {
	clear(r.held[:])
	r.count = 0
	r.gapSince = time.Time{}
}
