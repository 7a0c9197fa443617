// Command whepload watches one stream with N WHEP viewers (pion) for a
// bounded time and reports what they received and the CPU the server
// used meanwhile (from /proc/<pid>/stat; a share of one core, 100% = one
// core busy), with its own CPU apart. Loopback endpoints only.
//
//	go run ./bench/whepload --url http://127.0.0.1:PORT --stream cam --viewers 10 \
//	    [--seconds 20] [--warmup 5] [--server-pid PID]
//
// Prints one JSON line. Exit 1 when it could not run, 3 when a viewer
// received no video.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

type viewer struct {
	pc       *webrtc.PeerConnection
	location string
	frames   atomic.Int64 // video pictures (marker bits)
	bytes    atomic.Int64
	first    atomic.Int64 // ns from POST to the first video packet
}

func main() {
	base := flag.String("url", "", "Sluice HTTP base URL (loopback)")
	stream := flag.String("stream", "cam", "stream to watch")
	n := flag.Int("viewers", 1, "viewers, 1 to 200")
	seconds := flag.Int("seconds", 20, "measurement window, 1 to 300 s")
	warmup := flag.Int("warmup", 5, "seconds after the viewers connected before measuring, 0 to 60")
	pid := flag.Int("server-pid", 0, "server process whose CPU to sample (0: none)")
	flag.Parse()
	u, err := url.Parse(*base)
	if err != nil || !(u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost") {
		fail("--url must be a loopback http URL")
	}
	if *n < 1 || *n > 200 || *seconds < 1 || *seconds > 300 || *warmup < 0 || *warmup > 60 {
		fail("--viewers 1..200, --seconds 1..300, --warmup 0..60")
	}
	api, err := newAPI()
	if err != nil {
		fail(err.Error())
	}
	viewers := make([]*viewer, *n)
	var wg sync.WaitGroup
	errs := make(chan error, *n)
	for i := range viewers {
		v := &viewer{}
		viewers[i] = v
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := v.start(api, *base+"/whep/"+url.PathEscape(*stream)); err != nil {
				errs <- err
			}
		}()
		time.Sleep(20 * time.Millisecond) // stagger the offers
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		fail(err.Error())
	}
	defer func() {
		for _, v := range viewers {
			v.stop(*base)
		}
	}()
	time.Sleep(time.Duration(*warmup) * time.Second)

	frames0 := make([]int64, len(viewers))
	var bytes0 int64
	for i, v := range viewers {
		frames0[i] = v.frames.Load()
		bytes0 += v.bytes.Load()
	}
	srv0, self0, t0 := cpuTicks(*pid), selfCPU(), time.Now()
	time.Sleep(time.Duration(*seconds) * time.Second)
	srv1, self1, t1 := cpuTicks(*pid), selfCPU(), time.Now()
	window := t1.Sub(t0).Seconds()

	var fps, firsts []float64
	starved := 0
	var total int64
	for i, v := range viewers {
		f := float64(v.frames.Load()-frames0[i]) / window
		fps = append(fps, f)
		if f == 0 {
			starved++
		}
		total += v.bytes.Load()
		firsts = append(firsts, float64(v.first.Load())/1e6)
	}
	sort.Float64s(fps)
	sort.Float64s(firsts)
	out := map[string]any{
		"viewers":               *n,
		"window_s":              round(window),
		"server_cpu_pct":        nil,
		"viewers_cpu_pct":       round((self1 - self0).Seconds() / window * 100),
		"fps_min":               round(fps[0]),
		"fps_median":            round(fps[len(fps)/2]),
		"first_packet_ms_p50":   round(firsts[len(firsts)/2]),
		"first_packet_ms_max":   round(firsts[len(firsts)-1]),
		"received_mbit_s_each":  round(float64(total-bytes0) * 8 / 1e6 / window / float64(*n)),
		"viewers_without_video": starved,
	}
	if *pid > 0 && srv0 >= 0 && srv1 >= 0 {
		out["server_cpu_pct"] = round(float64(srv1-srv0) / 100 / window * 100) // USER_HZ = 100
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
	if starved > 0 {
		os.Exit(3)
	}
}

func newAPI() (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return nil, err
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

func (v *viewer) start(api *webrtc.API, endpoint string) error {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	v.pc = pc
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			return err
		}
	}
	posted := time.Now()
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		video := tr.Kind() == webrtc.RTPCodecTypeVideo
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			v.bytes.Add(int64(len(p.Payload)))
			if video {
				v.first.CompareAndSwap(0, int64(time.Since(posted)))
				if p.Marker {
					v.frames.Add(1)
				}
			}
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return err
	}
	<-gathered
	posted = time.Now()
	resp, err := http.Post(endpoint, "application/sdp", strings.NewReader(pc.LocalDescription().SDP))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("WHEP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	v.location = resp.Header.Get("Location")
	return pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(body)})
}

func (v *viewer) stop(base string) {
	if v.location != "" {
		req, _ := http.NewRequest(http.MethodDelete, base+v.location, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	if v.pc != nil {
		_ = v.pc.Close()
	}
}

// cpuTicks returns utime+stime of a process in clock ticks, -1 if unknown.
func cpuTicks(pid int) int64 {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	var ut, st int64
	fmt.Sscan(fields[11], &ut)
	fmt.Sscan(fields[12], &st)
	return ut + st
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func round(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "whepload:", msg)
	os.Exit(1)
}
