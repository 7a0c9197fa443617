package webrtc_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	ingestwebrtc "github.com/sluice-dev/sluice/ingest/webrtc"
)

// TestPublishAndView publishes H.264 and Opus with a pion WHIP client,
// watches with a pion WHEP client, and checks what the viewer got, what
// was archived, and that nothing leaked.
func TestPublishAndView(t *testing.T) {
	r := newRig(t, ingestwebrtc.Config{KeyframeInterval: time.Second})
	api := clientAPI(t, nil)

	pub := newPublisher(t, api, urlOf(r, "whip", "cam"), true, true)
	if pub.resp.status != http.StatusCreated || !strings.HasPrefix(pub.resp.location, "/whip/cam/") || pub.resp.etag == "" {
		t.Fatalf("WHIP: %d %q location %q etag %q", pub.resp.status, pub.resp.body, pub.resp.location, pub.resp.etag)
	}
	if strings.Contains(pub.resp.body, "VP8") || !strings.Contains(pub.resp.body, "H264") {
		t.Fatalf("WHIP answer does not choose H264 alone:\n%s", pub.resp.body)
	}
	waitConnected(t, pub.pc)
	pub.send(t, 2) // 8 s
	waitFor(t, 5*time.Second, "the stream to be live", func() bool { return r.rel.Live("cam") })
	time.Sleep(1500 * time.Millisecond) // join mid-GOP: the viewer starts from the cached keyframe

	v := newViewer(t, api, urlOf(r, "whep", "cam"))
	if v.resp.status != http.StatusCreated || !strings.HasPrefix(v.resp.location, "/whep/cam/") {
		t.Fatalf("WHEP: %d %q", v.resp.status, v.resp.body)
	}
	waitConnected(t, v.pc)
	waitFor(t, 5*time.Second, "30 frames at the viewer", func() bool { return v.frames() >= 30 })
	v.mu.Lock()
	first, pt, firstAfter, audio := v.aus[0], v.videoPT, v.first, v.audio
	v.mu.Unlock()
	types := naluTypes(first)
	if len(types) < 3 || types[0] != h264.NALUTypeSPS || types[1] != h264.NALUTypePPS || !h264.IsRandomAccess(first) {
		t.Fatalf("first access unit at the viewer has NAL units %v, want SPS, PPS, IDR", types)
	}
	if want := answeredPT(t, v.resp.body, "H264"); pt != want {
		t.Fatalf("viewer got payload type %d, the answer gave H264 %d", pt, want)
	}
	if audio == 0 {
		t.Fatal("viewer got no audio")
	}
	t.Logf("viewer: first picture %v after the POST, %d frames, %d audio packets", firstAfter, v.frames(), audio)

	// Both go away: the viewer with DELETE, the publisher by closing.
	if code, body := do(t, http.MethodDelete, r.http.URL+v.resp.location, "", ""); code != http.StatusOK {
		t.Fatalf("DELETE viewer: %d %s", code, body)
	}
	v.close()
	pub.wait()
	if code, _ := do(t, http.MethodDelete, r.http.URL+pub.resp.location, "", ""); code != http.StatusOK {
		t.Fatalf("DELETE publisher: %d", code)
	}
	pub.close()
	if whip, whep := r.srv.Sessions(); whip+whep != 0 {
		t.Fatalf("%d WHIP and %d WHEP sessions left", whip, whep)
	}
	noLeaks(t, muxWorker)
	mustEqualPorts(t, r.srv.Addr().(*net.UDPAddr).Port)

	// The recording: fragments of about 1 s (KeyframeInterval asks for
	// keyframes, the test media has one a second anyway) that ffprobe
	// decodes, 8 s in all.
	r.rec.Close(bg)
	var frags []fragments.Info
	if err := r.lib.Fragments(bg, "cam", fragments.Selector{}, func(in fragments.Info) bool { frags = append(frags, in); return true }); err != nil {
		t.Fatal(err)
	}
	var total time.Duration
	packets := 0
	for _, f := range frags {
		total += f.Duration
		init, media := read(t, r, f.InitKey), read(t, r, f.Key)
		p := fragmentstest.FFprobe(t, init, media)
		decodes(t, init, media)
		packets += p.Packets["video"]
		if p.Packets["audio"] == 0 {
			t.Errorf("fragment %s has no audio", f.Key)
		}
	}
	if len(frags) < 3 || total < 6*time.Second || total > 9*time.Second || packets < 150 {
		t.Fatalf("%d fragments, %v, %d video packets; want about 8 s and 200 packets", len(frags), total, packets)
	}
	r.srv.Close()
	noLeaks(t)
}

// answeredPT returns the payload type an SDP answer gives a codec.
func answeredPT(t *testing.T, sdp, codec string) uint8 {
	t.Helper()
	for _, line := range strings.Split(sdp, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "a=rtpmap:"); ok && strings.Contains(rest, " "+codec+"/") {
			var pt uint8
			for _, c := range rest {
				if c < '0' || c > '9' {
					break
				}
				pt = pt*10 + uint8(c-'0')
			}
			return pt
		}
	}
	t.Fatalf("no %s in the answer:\n%s", codec, sdp)
	return 0
}

func read(t *testing.T, r *rig, key string) []byte {
	t.Helper()
	rc, err := r.bucket.Get(bg, key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b
}
