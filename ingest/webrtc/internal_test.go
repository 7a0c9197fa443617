package webrtc

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func TestReorder(t *testing.T) {
	t0 := time.Unix(0, 0)
	r := reorder{maxWait: 100 * time.Millisecond}
	seqs := func(ps []*rtp.Packet) []uint16 {
		var out []uint16
		for _, p := range ps {
			out = append(out, p.SequenceNumber)
		}
		return out
	}
	pkt := func(s uint16) *rtp.Packet { return &rtp.Packet{Header: rtp.Header{SequenceNumber: s}} }
	steps := []struct {
		seq  uint16
		at   time.Duration
		out  []uint16
		lost bool
	}{
		{65534, 0, []uint16{65534}, false},
		{65535, 1, []uint16{65535}, false},
		{1, 2, nil, false},                 // 0 is missing: held
		{0, 3, []uint16{0, 1}, false},      // retransmitted in time
		{0, 4, nil, false},                 // duplicate
		{4, 5, nil, false},                 // 2, 3 missing
		{5, 50, nil, false},                // still waiting
		{6, 120, []uint16{4, 5, 6}, true},  // gave up on 2, 3
		{3, 121, nil, false},               // too late
		{7, 122, []uint16{7}, false},       // in order again
		{2000, 123, []uint16{2000}, true},  // a jump: a new sequence
		{2001, 124, []uint16{2001}, false}, // and on
	}
	for i, s := range steps {
		out, lost := r.push(pkt(s.seq), t0.Add(s.at*time.Millisecond))
		if got := seqs(out); fmt.Sprint(got) != fmt.Sprint(s.out) || lost != s.lost {
			t.Fatalf("step %d (seq %d): out %v lost %v, want %v %v", i, s.seq, got, lost, s.out, s.lost)
		}
	}
}

func TestTimelineAlignsBySenderReports(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tl := newTimeline([]int{90000, 48000})
	// Video's first packet arrives at t0, audio's 30 ms later; by the
	// sender reports the audio was captured 10 ms before the video.
	tl.anchor(0, 1000, t0)
	tl.anchor(1, 5000, t0.Add(30*time.Millisecond))
	if tl.align(t0.Add(time.Second)) {
		t.Fatal("aligned before the sender reports, before alignWait")
	}
	ntp := func(tm time.Time) uint64 {
		secs := uint64(tm.Unix() + 2208988800)
		frac := uint64(tm.Nanosecond()) << 32 / 1e9
		return secs<<32 | frac
	}
	tl.senderReport(0, 1000+90000, ntp(t0.Add(time.Second)))                      // video ts 1000 = t0
	tl.senderReport(1, 5000+48000, ntp(t0.Add(-10*time.Millisecond+time.Second))) // audio ts 5000 = t0-10ms
	if !tl.align(t0.Add(2 * time.Second)) {
		t.Fatal("not aligned with both sender reports")
	}
	vp, vntp := tl.unit(0, 1000)
	ap, _ := tl.unit(1, 5000)
	if ap != 0 || vp != 900 { // audio first; video 10 ms (900 ticks) later
		t.Fatalf("PTS video %d audio %d, want 900 and 0", vp, ap)
	}
	if d := vntp.Sub(t0); d < -time.Millisecond || d > time.Millisecond {
		t.Fatalf("video NTP %v, want %v", vntp, t0)
	}
	if bySR, skew := tl.how(); !bySR || skew < -41*time.Millisecond || skew > -39*time.Millisecond {
		t.Fatalf("by SR %v, arrival error %v, want -40ms", bySR, skew)
	}
	// Without sender reports: by arrival, after alignWait.
	tl = newTimeline([]int{90000, 48000})
	tl.anchor(0, 0, t0)
	tl.anchor(1, 0, t0.Add(30*time.Millisecond))
	if !tl.align(t0.Add(alignWait)) {
		t.Fatal("not aligned after alignWait")
	}
	if ap, _ := tl.unit(1, 960); ap != 30*48+960 {
		t.Fatalf("audio PTS %d, want %d", ap, 30*48+960)
	}
	// RTP timestamps wrap.
	tl = newTimeline([]int{90000})
	tl.anchor(0, 0xffffff00, t0)
	if !tl.align(t0) {
		t.Fatal("one track is aligned at once")
	}
	if p, _ := tl.unit(0, 0x100); p != 0x200 {
		t.Fatalf("PTS after wrapping %d, want 512", p)
	}
}

func TestICEServers(t *testing.T) {
	for _, c := range []struct {
		raw       string
		turn      bool
		url, user string
		bad       string
	}{
		{"stun:stun.example.org:3478", false, "stun:stun.example.org:3478", "", ""},
		{"turn:bob:s3cr%40t@turn.example.org:3478?transport=tcp", true, "turn:turn.example.org:3478?transport=tcp", "bob", ""},
		{"turns://bob:pw@turn.example.org:5349", true, "turns:turn.example.org:5349", "bob", ""},
		{"turn:turn.example.org", true, "", "", "need user:password@"},
		{"stun:bob:pw@host:1", false, "", "", "no credentials"},
		{"http://x", true, "", "", "must start with turn:"},
		{"turn:bob:topsecret@:bad:port", true, "", "", "bob:***@"},
	} {
		srv, err := parseICEServer(c.raw, c.turn)
		if c.bad != "" {
			if err == nil || !strings.Contains(err.Error(), c.bad) || strings.Contains(err.Error(), "topsecret") {
				t.Errorf("%s: error %v, want one saying %q without the password", c.raw, err, c.bad)
			}
			continue
		}
		if err != nil || srv.url != c.url || srv.username != c.user || strings.Contains(srv.String(), "s3cr") {
			t.Errorf("%s: %+v (%s) %v", c.raw, srv, srv, err)
		}
	}
}

// offerOf builds a minimal offer with one video section of codecs
// "pt name/clock fmtp".
func offerOf(kind, dir string, codecs ...string) string {
	var pts []string
	var attrs []string
	for _, c := range codecs {
		f := strings.SplitN(c, " ", 3)
		pts = append(pts, f[0])
		attrs = append(attrs, "a=rtpmap:"+f[0]+" "+f[1])
		if len(f) == 3 {
			attrs = append(attrs, "a=fmtp:"+f[0]+" "+f[2])
		}
	}
	return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=" + kind + " 9 UDP/TLS/RTP/SAVPF " + strings.Join(pts, " ") +
		"\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=" + dir + "\r\n" + strings.Join(attrs, "\r\n") + "\r\n"
}

func TestChooseIngest(t *testing.T) {
	for _, c := range []struct {
		name   string
		offer  string
		want   string // codec name, "" for none
		wantPT uint8
	}{
		{"browser default order: VP8 first, H264 preferred", offerOf("video", "sendonly", "96 VP8/90000", "98 VP9/90000 profile-id=0",
			"102 H264/90000 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f", "45 AV1/90000"), "H264", 102},
		{"publisher's first choice VP9", offerOf("video", "sendonly", "98 VP9/90000 profile-id=0", "96 VP8/90000",
			"102 H264/90000 packetization-mode=1;profile-level-id=42e01f"), "VP9", 98},
		{"AV1 over VP9", offerOf("video", "sendonly", "96 VP8/90000", "98 VP9/90000", "45 AV1/90000"), "AV1", 45},
		{"H264 packetization-mode 0 only", offerOf("video", "sendonly", "104 H264/90000 packetization-mode=0;profile-level-id=42001f"), "", 0},
		{"VP8 only", offerOf("video", "sendonly", "96 VP8/90000", "97 rtx/90000 apt=96"), "", 0},
		{"opus", offerOf("audio", "sendonly", "111 opus/48000/2", "0 PCMU/8000"), "opus", 111},
		{"PCMU only", offerOf("audio", "sendonly", "0 PCMU/8000"), "", 0},
	} {
		ms, err := parseOffer(c.offer)
		if err != nil || len(ms) != 1 {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, ok := chooseIngest(ms[0])
		if ok != (c.want != "") || ok && (got.name != c.want || got.pt != c.wantPT) {
			t.Errorf("%s: chose %+v %v, want %s %d", c.name, got, ok, c.want, c.wantPT)
		}
	}
}

func FuzzParseOffer(f *testing.F) {
	f.Add(offerOf("video", "sendonly", "96 VP8/90000", "102 H264/90000 packetization-mode=1;profile-level-id=42001f"))
	f.Add("v=0\r\n")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := parseOffer(s)
		if err != nil {
			return
		}
		_, _ = planWHIP(ms)
		for _, m := range ms {
			_, _ = chooseIngest(m)
		}
		_ = describeOffer(ms)
	})
}

func TestOutTimestamps(t *testing.T) {
	o := &outTrack{clock: 90000}
	var got []int64
	first := int64(0)
	for i, u := range []struct {
		pts    int64
		cached bool
	}{{0, true}, {3000, true}, {6000, true}, {9000, false}, {12000, false}} {
		ts := int64(o.timestamp(u.pts, u.cached))
		if i == 0 {
			first = ts
		}
		got = append(got, int64(uint32(ts-first)))
	}
	o.rebase = true // a new publishing session starting at PTS 0
	got = append(got, int64(uint32(int64(o.timestamp(0, false))-first)))
	// cached pictures one tick apart, live ones at their spacing, a new
	// session a picture (1/25 s) later
	if want := []int64{0, 1, 2, 3, 3003, 6603}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("RTP times %v, want %v", got, want)
	}
}
