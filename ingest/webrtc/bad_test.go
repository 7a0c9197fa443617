package webrtc_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/ingest"
	ingestwebrtc "github.com/sluice-dev/sluice/ingest/webrtc"
)

// vp8Only is a client API that offers VP8 video only (and Opus).
func vp8Only(m *webrtc.MediaEngine) {
	_ = m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96}, webrtc.RTPCodecTypeVideo)
}

// TestBadRequests: bad offers, unknown sessions and streams get clear 4xx
// answers, and the server stays healthy: a good session works after.
func TestBadRequests(t *testing.T) {
	r := newRig(t, ingestwebrtc.Config{ConnectTimeout: time.Second})
	whip := urlOf(r, "whip", "cam")
	cases := []struct {
		name, url, ctype, body string
		status                 int
		say                    string
	}{
		{"garbage", whip, "application/sdp", "hello, world", 400, "not an SDP offer"},
		{"content type", whip, "text/plain", "v=0", 415, "application/sdp"},
		{"no media", whip, "application/sdp", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", 422, "no audio or video"},
		{"bad name", urlOf(r, "whip", "a%20b"), "application/sdp", "v=0", 400, "stream name"},
		{"whep no media", urlOf(r, "whep", "cam"), "application/sdp", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", 422, "no audio or video"},
	}
	for _, c := range cases {
		resp := post(t, c.url, c.ctype, c.body)
		if resp.status != c.status || !strings.Contains(resp.body, c.say) {
			t.Errorf("%s: %d %q, want %d saying %q", c.name, resp.status, resp.body, c.status, c.say)
		}
	}

	// VP8 only: refused, naming what is supported.
	api := clientAPI(t, vp8Only)
	pc, _ := api.NewPeerConnection(webrtc.Configuration{})
	track, _ := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "v", "s")
	_, _ = pc.AddTrack(track)
	resp := negotiate(t, pc, whip)
	_ = pc.Close()
	if resp.status != 422 || !strings.Contains(resp.body, "VP8") || !strings.Contains(resp.body, "H264") || !strings.Contains(resp.body, "Opus") {
		t.Errorf("VP8-only offer: %d %q", resp.status, resp.body)
	}

	// Unknown sessions and streams.
	if code, _ := do(t, http.MethodDelete, r.http.URL+"/whip/cam/0123456789abcdef", "", ""); code != 404 {
		t.Errorf("DELETE of an unknown session: %d", code)
	}
	good := clientAPI(t, nil)
	v := newViewer(t, good, urlOf(r, "whep", "nosuch"))
	v.close()
	if v.resp.status != 404 || !strings.Contains(v.resp.body, "no stream named nosuch") {
		t.Errorf("WHEP of an unknown stream: %d %q", v.resp.status, v.resp.body)
	}
	if _, err := r.lib.Create(bg, fragments.StreamSpec{Name: "idle", RetentionHours: 1}); err != nil {
		t.Fatal(err)
	}
	v = newViewer(t, good, urlOf(r, "whep", "idle"))
	v.close()
	if v.resp.status != 409 || !strings.Contains(v.resp.body, "not live") {
		t.Errorf("WHEP of a stream nobody publishes: %d %q", v.resp.status, v.resp.body)
	}

	// A client that never connects is dropped after ConnectTimeout.
	ghost, _ := good.NewPeerConnection(webrtc.Configuration{})
	gt, _ := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "a", "s")
	_, _ = ghost.AddTrack(gt)
	offer, _ := ghost.CreateOffer(nil)
	_ = ghost.SetLocalDescription(offer)
	_ = ghost.Close() // the answer is never applied
	g := post(t, urlOf(r, "whip", "ghost"), "application/sdp", offer.SDP)
	if g.status != 201 {
		t.Fatalf("ghost offer: %d %q", g.status, g.body)
	}
	waitFor(t, 5*time.Second, "the unconnected session to be dropped", func() bool { n, _ := r.srv.Sessions(); return n == 0 })
	if code, _ := do(t, http.MethodDelete, r.http.URL+g.location, "", ""); code != 404 {
		t.Errorf("DELETE of a dropped session: %d", code)
	}

	// Still healthy: an audio-only publisher and a viewer work.
	pub := newPublisher(t, good, urlOf(r, "whip", "radio"), false, true)
	if pub.resp.status != 201 {
		t.Fatalf("audio-only publisher: %d %q", pub.resp.status, pub.resp.body)
	}
	defer pub.close()
	waitConnected(t, pub.pc)
	pub.send(t, 1)
	waitFor(t, 5*time.Second, "the stream to be live", func() bool { return r.rel.Live("radio") })

	// PATCH: trickle candidates are taken, ICE restarts and stale ETags not.
	loc := r.http.URL + pub.resp.location
	frag := "a=ice-ufrag:" + sdpValue(pub.pc.LocalDescription().SDP, "ice-ufrag") + "\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n"
	if code, body := patch(t, loc, pub.resp.etag, frag); code != 204 {
		t.Errorf("trickle PATCH: %d %q", code, body)
	}
	if code, _ := patch(t, loc, pub.resp.etag, "a=ice-ufrag:other\r\na=ice-pwd:secretsecretsecretsecret\r\n"); code != 422 {
		t.Errorf("ICE restart PATCH: %d, want 422", code)
	}
	if code, _ := patch(t, loc, `"stale"`, frag); code != 412 {
		t.Errorf("PATCH with a stale ETag: %d, want 412", code)
	}

	v = newViewer(t, good, urlOf(r, "whep", "radio"))
	defer v.close()
	if v.resp.status != 201 {
		t.Fatalf("viewer: %d %q", v.resp.status, v.resp.body)
	}
	waitFor(t, 5*time.Second, "audio at the viewer", func() bool { v.mu.Lock(); defer v.mu.Unlock(); return v.audio > 10 })
	if strings.Contains(v.resp.body, "m=video 9") && strings.Contains(v.resp.body, "a=sendonly\r\na=msid") {
		t.Logf("answer: %s", v.resp.body)
	}
}

func patch(t *testing.T, url, etag, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPatch, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/trickle-ice-sdpfrag")
	req.Header.Set("If-Match", etag)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b := new(strings.Builder)
	_, _ = io.Copy(b, resp.Body)
	return resp.StatusCode, b.String()
}

// sdpValue returns the first "a=key:value" value of an SDP text.
func sdpValue(s, key string) string {
	for _, line := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "a="+key+":"); ok {
			return v
		}
	}
	return ""
}

// elsewhere is an ingest.Owner for which another node records every
// stream.
type elsewhere struct{}

func (elsewhere) Claim(_ context.Context, stream string) (ingest.Ownership, error) {
	return nil, &ingest.OwnedElsewhereError{Stream: stream, Node: "node1"}
}

// TestWHIPToStreamRecordedElsewhere: a WHIP publish of a stream that
// another node of the cluster records is refused with 409, naming the
// node, and nothing is recorded here.
func TestWHIPToStreamRecordedElsewhere(t *testing.T) {
	r := newRigWith(t, ingestwebrtc.Config{}, elsewhere{})
	p := newPublisher(t, clientAPI(t, nil), urlOf(r, "whip", "cam"), true, true)
	defer p.close()
	if p.resp.status != http.StatusConflict || !strings.Contains(p.resp.body, "stream cam is being recorded by node node1") {
		t.Fatalf("WHIP to a stream recorded elsewhere: %d %q", p.resp.status, p.resp.body)
	}
	if r.rel.Live("cam") {
		t.Fatal("the refused publisher is live here")
	}
}
