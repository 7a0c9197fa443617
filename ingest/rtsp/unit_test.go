package rtsp

import (
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/pion/rtp"

	"github.com/sluice-dev/sluice/fragments"
)

var streamNames = []struct {
	path string
	ok   bool
}{
	{"/cam1", true},
	{"/Front-Door_2.hd", true},
	{"/" + strings.Repeat("x", 256), true},
	{"/" + strings.Repeat("x", 257), false},
	{"/", false},
	{"", false},
	{"/a/b", false},
	{"/a b", false},
	{"/caf\u00e9", false},
	{"/.", false},
	{"/..", false},
	{"/...", true},
	{"/a%2Fb", false},
	{"/a\x00", false},
}

func TestStreamName(t *testing.T) {
	t.Parallel()
	for _, tc := range streamNames {
		name, err := streamName(tc.path)
		if (err == nil) != tc.ok {
			t.Errorf("%q: %v", tc.path, err)
		}
		if err == nil && name != strings.TrimPrefix(tc.path, "/") {
			t.Errorf("%q: name %q", tc.path, name)
		}
	}
}

func FuzzStreamName(f *testing.F) {
	for _, tc := range streamNames {
		f.Add(tc.path)
	}
	f.Fuzz(func(t *testing.T, path string) {
		name, err := streamName(path)
		if err != nil {
			return
		}
		if len(name) == 0 || len(name) > 256 || name == "." || name == ".." {
			t.Fatalf("accepted %q", name)
		}
		for _, r := range name {
			if !strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", r) {
				t.Fatalf("accepted %q", name)
			}
		}
	})
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	b := newBackoff(time.Second, 10*time.Second)
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, d := range want {
		got := b.delay()
		if got < d/2 || got > d {
			t.Errorf("delay %d: %v, want in [%v, %v]", i, got, d/2, d)
		}
	}
	b.reset()
	if got := b.delay(); got > time.Second {
		t.Errorf("after reset: %v", got)
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ url, redacted, pass string }{
		{"rtsp://admin:secret@192.0.2.1:554/stream1", "rtsp://admin@192.0.2.1:554/stream1", "secret"},
		{"rtsp://admin:p%40ss%20word@host/x", "rtsp://admin@host/x", "p@ss word"},
		{"rtsp://host/x", "rtsp://host/x", ""},
		{"rtsp://onlyuser@host/x", "rtsp://onlyuser@host/x", ""},
		{"rtsps://u:%25%25@host/x", "rtsps://u@host/x", "%%"},
	} {
		u, err := base.ParseURL(tc.url)
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		if got := redactURL(u); got != tc.redacted {
			t.Errorf("redactURL(%s) = %s, want %s", tc.url, got, tc.redacted)
		}
		s := newSecrets(u)
		if tc.pass == "" {
			if len(s) != 0 {
				t.Errorf("%s: secrets %q", tc.url, s)
			}
			continue
		}
		text := s.scrub("failed: " + tc.url + " " + tc.pass + " " + u.String())
		if strings.Contains(text, tc.pass) || strings.Contains(text, strings.SplitN(strings.SplitN(tc.url, "@", 2)[0], ":", 3)[2]) {
			t.Errorf("%s: scrubbed text %q still has the password", tc.url, text)
		}
	}
}

// TestRedactURL: what GET /api/v1/cameras and the logs show of a camera
// URL, and what error texts are scrubbed of.
func TestRedactURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url, want string
		hidden    []string
	}{
		{"rtsp://192.0.2.1/live?password=hunter22", "rtsp://192.0.2.1/live?password=xxxxx", []string{"hunter22"}},
		{"rtsp://a:b1b2b3@h/x?channel=1&PassWd=s%20p&Token=t0k3n&x-amz-signature=abcd&sig=ffff&AuthKey=k&pwd=p1", "rtsp://a@h/x?channel=1&PassWd=xxxxx&Token=xxxxx&x-amz-signature=xxxxx&sig=xxxxx&AuthKey=xxxxx&pwd=xxxxx",
			[]string{"b1b2b3", "s p", "s%20p", "t0k3n", "abcd", "ffff"}},
		{"rtsp://h/x?user=admin&credential=c9&secret=s9&api_key=k9&flag", "rtsp://h/x?user=admin&credential=xxxxx&secret=xxxxx&api_key=xxxxx&flag", []string{"c9", "s9", "k9"}},
		{"rtsp://h/x?channel=1", "rtsp://h/x?channel=1", nil},
		{"rtsp://h/x?%70assword=q1q1", "rtsp://h/x?%70assword=xxxxx", []string{"q1q1"}},
		{"rtsp://[::1", "(unparseable URL)", nil},
	} {
		got := RedactURL(tc.url)
		if got != tc.want {
			t.Errorf("RedactURL(%s) = %s, want %s", tc.url, got, tc.want)
		}
		u, err := base.ParseURL(tc.url)
		if err != nil {
			continue
		}
		text := newSecrets(u).scrub("failed: " + tc.url)
		for _, h := range tc.hidden {
			if strings.Contains(got, h) || strings.Contains(text, h) {
				t.Errorf("%s: %q shows in %q or %q", tc.url, h, got, text)
			}
		}
	}
}

// TestH264MarkerlessTiming feeds an H.264 stream whose packets never set
// the marker bit (some cameras): each access unit ends when the next one
// starts, and keeps its own timestamp.
func TestH264MarkerlessTiming(t *testing.T) {
	t.Parallel()
	f := &format.H264{PayloadTyp: 96, PacketizationMode: 1}
	media := &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{f}}
	tr := mapFormat(f)
	tr.media = media
	sess := &fakeSession{units: make([][]fragments.Unit, 1), done: make(chan struct{})}
	fd, err := newFeed([]*track{tr}, rtpClock{}, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	fd.start(sess)
	for i := range 5 {
		nalu := []byte{0x41, byte(i)}
		if i == 0 {
			nalu[0] = 0x65
		}
		fd.packet(tr, &rtp.Packet{Header: rtp.Header{PayloadType: 96, SequenceNumber: uint16(i), Timestamp: uint32(1000 + i*3000)}, Payload: nalu})
	}
	units, _ := sess.snapshot()
	if len(units[0]) != 4 {
		t.Fatalf("%d units", len(units[0]))
	}
	for i, u := range units[0] {
		if u.PTS != int64(1000+i*3000) || u.Data[0][1] != byte(i) {
			t.Errorf("unit %d: PTS %d, data %v", i, u.PTS, u.Data)
		}
	}
	if st := fd.close(); st.Units != 4 || st.Packets != 5 {
		t.Errorf("stats %+v", st)
	}
	fd.close()
	if _, closes := sess.snapshot(); closes != 1 {
		t.Errorf("%d closes", closes)
	}
}

// rtpClock uses RTP timestamps as PTS, and has no NTP.
type rtpClock struct{}

func (rtpClock) PacketPTS2(_ *description.Media, pkt *rtp.Packet) (int64, bool) {
	return int64(pkt.Timestamp), true
}

func (rtpClock) PacketNTP(*description.Media, *rtp.Packet) (time.Time, bool) {
	return time.Time{}, false
}
