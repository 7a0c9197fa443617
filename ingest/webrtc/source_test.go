package webrtc_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/ingest"
	ingestwebrtc "github.com/sluice-dev/sluice/ingest/webrtc"
)

// TestViewRTSPSource watches streams recorded from another front end (as
// RTSP does: units written to a recording session): H.264 with AAC (the
// AAC is not sent, never an error) across a publisher restart, and
// H.264 with G.711 (sent as PCMU).
func TestViewRTSPSource(t *testing.T) {
	r := newRig(t, ingestwebrtc.Config{})
	api := clientAPI(t, nil)
	feed := func(stream string, tracks []fragments.Track) chan struct{} {
		s, err := r.rec.Open(bg, stream, ingest.Source{Kind: "rtsp-push"}, tracks)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			fragmentstest.Feed(t, time.Now(), true, func(u fragments.Unit) {
				if _, lpcm := tracks[1].Codec.(*mp4.CodecLPCM); lpcm && u.Track == 1 {
					// G.711 becomes LPCM: 1024 AAC samples at 48 kHz ~ 170 samples at 8 kHz
					u = fragments.Unit{Track: 1, PTS: u.PTS / 6, Arrival: u.Arrival, Data: [][]byte{make([]byte, 2*170)}}
				}
				s.Write(u)
			})
			s.Close()
		}()
		return done
	}

	first := feed("cam", fragmentstest.Tracks(t))
	waitFor(t, 5*time.Second, "live", func() bool { return r.rel.Live("cam") })
	time.Sleep(600 * time.Millisecond)
	v := newViewer(t, api, urlOf(r, "whep", "cam"))
	defer v.close()
	if v.resp.status != 201 {
		t.Fatalf("WHEP: %d %q", v.resp.status, v.resp.body)
	}
	if audio := mediaSection(v.resp.body, "audio"); strings.Contains(audio, "a=sendonly") {
		t.Fatalf("the answer sends audio (the stream's audio is AAC):\n%s", audio)
	}
	waitFor(t, 5*time.Second, "20 pictures", func() bool { return v.frames() >= 20 })
	v.mu.Lock()
	types := naluTypes(v.aus[0])
	key := h264.IsRandomAccess(v.aus[0])
	v.mu.Unlock()
	if len(types) < 3 || types[0] != h264.NALUTypeSPS || types[1] != h264.NALUTypePPS || !key {
		t.Fatalf("first access unit: %v", types)
	}
	<-first
	before := v.frames()
	// The publisher comes back: the viewer goes on.
	second := feed("cam", fragmentstest.Tracks(t))
	phone := []fragments.Track{{Codec: &mp4.CodecH264{}, ClockRate: 90000}, {Codec: &mp4.CodecLPCM{BitDepth: 16, SampleRate: 8000, ChannelCount: 1}, ClockRate: 8000}}
	third := feed("phone", phone)
	waitFor(t, 5*time.Second, "live", func() bool { return r.rel.Live("phone") })
	pv := newViewer(t, api, urlOf(r, "whep", "phone"))
	defer pv.close()
	waitFor(t, 6*time.Second, "pictures of the second session", func() bool { return v.frames() >= before+50 })
	<-second
	v.mu.Lock()
	audio := v.audio
	v.mu.Unlock()
	if audio != 0 {
		t.Fatalf("viewer got %d audio packets from an AAC stream", audio)
	}

	// G.711 (LPCM in the relay) is sent as PCMU.
	if pv.resp.status != 201 || !strings.Contains(mediaSection(pv.resp.body, "audio"), "PCMU/8000") {
		t.Fatalf("WHEP of G.711: %d\n%s", pv.resp.status, pv.resp.body)
	}
	waitFor(t, 5*time.Second, "PCMU at the viewer", func() bool { pv.mu.Lock(); defer pv.mu.Unlock(); return pv.audio > 20 })
	<-third
}

// mediaSection returns the m= section of kind of an SDP.
func mediaSection(sdp, kind string) string {
	for _, sec := range strings.Split(sdp, "m=")[1:] {
		if strings.HasPrefix(sec, kind) {
			return "m=" + sec
		}
	}
	return ""
}

// TestBFramesRefused: a stream whose video has B-frames (pictures out of
// presentation order) is not sent to browsers, which would show its
// keyframes only; the refusal says so.
func TestBFramesRefused(t *testing.T) {
	r := newRig(t, ingestwebrtc.Config{})
	s, err := r.rec.Open(bg, "cam", ingest.Source{Kind: "rtsp-push"}, []fragments.Track{{Codec: &mp4.CodecH264{}, ClockRate: 90000}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	video := fragmentstest.Video(t)
	now := time.Now()
	for i, pts := range []int64{0, 3 * 3600, 3600, 2 * 3600} { // I P B B
		s.Write(fragments.Unit{Track: 0, PTS: pts, Arrival: now, Data: video[i]})
	}
	v := newViewer(t, clientAPI(t, nil), urlOf(r, "whep", "cam"))
	v.close()
	if v.resp.status != 422 || !strings.Contains(v.resp.body, "B-frames") {
		t.Fatalf("WHEP of a stream with B-frames: %d %q", v.resp.status, v.resp.body)
	}
}
