package webrtc_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/ingest"
	"github.com/sluice-dev/sluice/ingest/relay"
	ingestwebrtc "github.com/sluice-dev/sluice/ingest/webrtc"
	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
)

var bg = context.Background()

// rig is a recorder with a relay, a WebRTC server on a loopback UDP port
// and its HTTP routes.
type rig struct {
	lib    *fragments.Library
	bucket storage.Bucket
	rec    *ingest.Recorder
	rel    *relay.Relay
	srv    *ingestwebrtc.Server
	http   *httptest.Server
}

func newRig(t *testing.T, cfg ingestwebrtc.Config) *rig {
	t.Helper()
	return newRigWith(t, cfg, nil)
}

// newRigWith is newRig with owner as the recorder's Owner (nil: none).
func newRigWith(t *testing.T, cfg ingestwebrtc.Config, owner ingest.Owner) *rig {
	t.Helper()
	core := streamstest.Open(t, fragments.CoreConfig(streams.Config{}))
	lib := fragments.NewLibrary(core, fragments.LibraryConfig{})
	bucket, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := testLogger(t)
	rel := relay.New()
	rec := ingest.NewRecorder(lib, bucket, fragments.NewHub(0), ingest.RecorderConfig{AutoCreate: true, Relay: rel, Logger: log, Owner: owner})
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	cfg.Logger = log
	srv := ingestwebrtc.NewServer(cfg, rec, rel, lib)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, k := range []string{"whip", "whep"} {
		h := srv.HandleWHIP
		if k == "whep" {
			h = srv.HandleWHEP
		}
		mux.HandleFunc("POST /"+k+"/{stream}", h)
		mux.HandleFunc("DELETE /"+k+"/{stream}/{id}", srv.HandleResource)
		mux.HandleFunc("PATCH /"+k+"/{stream}/{id}", srv.HandleResource)
	}
	r := &rig{lib: lib, bucket: bucket, rec: rec, rel: rel, srv: srv, http: httptest.NewServer(mux)}
	t.Cleanup(r.close)
	return r
}

// close stops everything the rig started, in order.
func (r *rig) close() {
	r.http.Close()
	r.srv.Close()
	r.rec.Close(bg)
}

// testLogger logs to the test output at debug level when -v is given
// with SLUICE_TEST_LOG=1, else discards.
func testLogger(t *testing.T) *slog.Logger {
	if os.Getenv("SLUICE_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// clientAPI is a pion API for test clients: default codecs and
// interceptors, loopback only, no mDNS.
func clientAPI(t *testing.T, configure func(*webrtc.MediaEngine)) *webrtc.API {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if configure != nil {
		configure(m)
	} else if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		t.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
}

// response is what a WHIP or WHEP POST returned.
type response struct {
	status   int
	body     string
	location string
	etag     string
}

func post(t *testing.T, url, contentType, body string) response {
	t.Helper()
	resp, err := http.Post(url, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, body: string(b), location: resp.Header.Get("Location"), etag: resp.Header.Get("ETag")}
}

func do(t *testing.T, method, url, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// negotiate sends pc's offer (all candidates gathered) to url and applies
// the answer. It returns the response; the answer is applied only on 201.
func negotiate(t *testing.T, pc *webrtc.PeerConnection, url string) response {
	t.Helper()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	resp := post(t, url, "application/sdp", pc.LocalDescription().SDP)
	if resp.status == http.StatusCreated {
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: resp.body}); err != nil {
			t.Fatalf("answer: %v\n%s", err, resp.body)
		}
	}
	return resp
}

// waitConnected waits until pc is connected.
func waitConnected(t *testing.T, pc *webrtc.PeerConnection) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); pc.ConnectionState() != webrtc.PeerConnectionStateConnected; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not connected: %s", pc.ConnectionState())
		}
	}
}

// waitFor polls cond for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// udpSockets returns the local ports of this process's UDP sockets.
func udpSockets(t *testing.T) []int {
	t.Helper()
	inodes := map[string]bool{}
	fds, _ := os.ReadDir("/proc/self/fd")
	for _, fd := range fds {
		l, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	var ports []int
	for _, f := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 10 || !inodes[fields[9]] {
				continue
			}
			_, portHex, _ := strings.Cut(fields[1], ":")
			p, _ := strconv.ParseInt(portHex, 16, 32)
			ports = append(ports, int(p))
		}
	}
	return ports
}

func mustEqualPorts(t *testing.T, want int) {
	t.Helper()
	var ports []int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ports = udpSockets(t)
		if len(ports) == 1 && ports[0] == want || time.Now().After(deadline) {
			break
		}
	}
	if len(ports) != 1 || ports[0] != want {
		t.Fatalf("UDP sockets on ports %v, want only the mux's %d", ports, want)
	}
}

func annexB(au [][]byte) []byte {
	var b bytes.Buffer
	for _, n := range au {
		b.Write([]byte{0, 0, 0, 1})
		b.Write(n)
	}
	return b.Bytes()
}

func urlOf(r *rig, kind, stream string) string {
	return fmt.Sprintf("%s/%s/%s", r.http.URL, kind, stream)
}

// ourGoroutines returns the stacks of goroutines running pion, this
// package or the relay (the test's own goroutine excepted), ignoring
// those whose stack contains one of allowed.
func ourGoroutines(allowed ...string) []string {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "ingest/webrtc_test.") || !(strings.Contains(g, "github.com/pion/") ||
			strings.Contains(g, "sluice/ingest/webrtc.") || strings.Contains(g, "sluice/ingest/relay.")) {
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || strings.Contains(g, a)
		}
		if !ok {
			out = append(out, g)
		}
	}
	return out
}

// noLeaks waits (5 s at most) until ourGoroutines(allowed...) is empty.
func noLeaks(t *testing.T, allowed ...string) {
	t.Helper()
	var left []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if left = ourGoroutines(allowed...); len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines leaked:\n%s", len(left), strings.Join(left, "\n\n"))
		}
	}
}

// muxWorker is the stack of the ICE UDP mux's reader, alive until the
// server closes.
const muxWorker = "ice/v4.(*UDPMuxDefault).connWorker"
