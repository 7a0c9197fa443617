package webrtc_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/sluice-dev/sluice/fragments/fragmentstest"
)

// opusSilence is one 20 ms Opus packet (CELT, silence).
var opusSilence = []byte{0xf8, 0xff, 0xfe}

// publisher is a pion WHIP client sending video frames (by default
// H.264, the test media) and Opus silence in real time.
type publisher struct {
	pc           *webrtc.PeerConnection
	video, audio *webrtc.TrackLocalStaticSample
	frames       [][]byte // one per 40 ms
	resp         response
	stop         chan struct{}
	wg           sync.WaitGroup
	sentFrames   atomic.Int32
}

// h264Frames returns the test media as Annex-B frames, 25 fps.
func h264Frames(t *testing.T) [][]byte {
	var out [][]byte
	for _, au := range fragmentstest.Video(t) {
		out = append(out, annexB(au))
	}
	return out
}

// newPublisher negotiates with url; withVideo/withAudio choose the tracks.
func newPublisher(t *testing.T, api *webrtc.API, url string, withVideo, withAudio bool) *publisher {
	t.Helper()
	return newPublisherOf(t, api, url, webrtc.MimeTypeH264, h264Frames(t), withVideo, withAudio)
}

// newPublisherOf publishes frames of codec mime.
func newPublisherOf(t *testing.T, api *webrtc.API, url, mime string, frames [][]byte, withVideo, withAudio bool) *publisher {
	t.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	p := &publisher{pc: pc, stop: make(chan struct{}), frames: frames}
	if withVideo {
		p.video, _ = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: mime}, "video", "pub")
		if _, err := pc.AddTransceiverFromTrack(p.video, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
	}
	if withAudio {
		p.audio, _ = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio", "pub")
		if _, err := pc.AddTransceiverFromTrack(p.audio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
	}
	p.resp = negotiate(t, pc, url)
	return p
}

// send streams the test video (rounds times, 25 fps) and Opus silence in
// real time, in the background.
func (p *publisher) send(t *testing.T, rounds int) {
	video := p.frames
	if p.video != nil {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			tick := time.NewTicker(40 * time.Millisecond)
			defer tick.Stop()
			for i := 0; i < rounds*len(video); i++ {
				_ = p.video.WriteSample(media.Sample{Data: video[i%len(video)], Duration: 40 * time.Millisecond})
				p.sentFrames.Add(1)
				select {
				case <-tick.C:
				case <-p.stop:
					return
				}
			}
		}()
	}
	if p.audio != nil {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for i := 0; i < rounds*len(video)*2; i++ {
				_ = p.audio.WriteSample(media.Sample{Data: opusSilence, Duration: 20 * time.Millisecond})
				select {
				case <-tick.C:
				case <-p.stop:
					return
				}
			}
		}()
	}
}

// wait waits until everything was sent.
func (p *publisher) wait() { p.wg.Wait() }

// close stops sending and closes the peer connection.
func (p *publisher) close() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	p.wg.Wait()
	_ = p.pc.Close()
}

// viewer is a pion WHEP client that reassembles H.264 access units.
type viewer struct {
	pc        *webrtc.PeerConnection
	resp      response
	mu        sync.Mutex
	aus       [][][]byte // received H.264 access units
	pictures  int        // received video pictures (marker bits), any codec
	videoPT   uint8
	videoMime string
	audio     int // audio packets
	joined    time.Time
	first     time.Duration // POST to the first complete access unit
	wg        sync.WaitGroup
}

func newViewer(t *testing.T, api *webrtc.API, url string) *viewer {
	t.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	v := &viewer{pc: pc}
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		v.wg.Add(1)
		defer v.wg.Done()
		if tr.Kind() == webrtc.RTPCodecTypeAudio {
			for {
				if _, _, err := tr.ReadRTP(); err != nil {
					return
				}
				v.mu.Lock()
				v.audio++
				v.mu.Unlock()
			}
		}
		var dep codecs.H264Packet
		dep.IsAVC = true
		var cur []byte
		h264 := tr.Codec().MimeType == webrtc.MimeTypeH264
		v.mu.Lock()
		v.videoMime = tr.Codec().MimeType
		v.mu.Unlock()
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			if h264 {
				v.onVideo(&dep, pkt, &cur)
			}
			if pkt.Marker {
				v.mu.Lock()
				if v.pictures == 0 && !h264 {
					v.first = time.Since(v.joined)
				}
				v.pictures++
				v.mu.Unlock()
			}
		}
	})
	v.joined = time.Now()
	v.resp = negotiate(t, pc, url)
	return v
}

func (v *viewer) onVideo(dep *codecs.H264Packet, pkt *rtp.Packet, cur *[]byte) {
	b, err := dep.Unmarshal(pkt.Payload)
	if err != nil {
		return
	}
	*cur = append(*cur, b...)
	if !pkt.Marker {
		return
	}
	var au [][]byte
	for rest := *cur; len(rest) >= 4; {
		n := int(rest[0])<<24 | int(rest[1])<<16 | int(rest[2])<<8 | int(rest[3])
		if n > len(rest)-4 {
			break
		}
		au = append(au, rest[4:4+n])
		rest = rest[4+n:]
	}
	*cur = nil
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.aus) == 0 {
		v.first = time.Since(v.joined)
	}
	v.aus = append(v.aus, au)
	v.videoPT = pkt.PayloadType
}

func (v *viewer) frames() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.pictures
}

func (v *viewer) close() {
	_ = v.pc.Close()
	v.wg.Wait()
}

// naluTypes lists the NAL unit types of an access unit.
func naluTypes(au [][]byte) []h264.NALUType {
	out := make([]h264.NALUType, len(au))
	for i, n := range au {
		out[i] = h264.NALUType(n[0] & 0x1f)
	}
	return out
}
