package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/gortsplib/v4/pkg/liberrors"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/ingest"
	"github.com/sluice-dev/sluice/ingest/rtsp"
	"github.com/sluice-dev/sluice/ingest/rtsp/rtsptest"
	"github.com/sluice-dev/sluice/leases"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/embedded"
	"github.com/sluice-dev/sluice/streams/streamstest"
)

// testNode is the ownership part of a node, in process: a stream core,
// a lease table (2 s leases), a Recorder owning streams through it, an
// RTSP server, a puller and the cameras, as serve wires them.
type testNode struct {
	name   string
	nc     *nats.Conn // closing it kills the node for the others
	lib    *fragments.Library
	table  *leases.Table
	rec    *ingest.Recorder
	rtsp   *rtsp.Server
	puller *rtsp.Puller
	cams   *cameras
	closed bool
}

// testCluster starts nodes on one embedded NATS server and one archive.
type testCluster struct {
	t      *testing.T
	srv    *embedded.Server
	bucket *fs.Bucket
}

func newTestCluster(t *testing.T) *testCluster {
	srv, err := embedded.Start(embedded.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	bucket, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &testCluster{t: t, srv: srv, bucket: bucket}
}

func (tc *testCluster) node(name string, flags ...rtsp.Camera) *testNode {
	t := tc.t
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	nc, err := tc.srv.Connect(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	core, err := streams.Open(ctx, nc, fragments.CoreConfig(streams.Config{Logger: log}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = core.Close() })
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	n := &testNode{name: name, nc: nc, lib: fragments.NewLibrary(core, fragments.LibraryConfig{})}
	n.table, err = leases.Open(ctx, js, leases.Config{Node: name, TTL: 2 * time.Second, Logger: log,
		Meta: map[string]string{"node_name": name}})
	if err != nil {
		t.Fatal(err)
	}
	var lost atomic.Int64
	n.rec = ingest.NewRecorder(n.lib, tc.bucket, fragments.NewHub(0), ingest.RecorderConfig{AutoCreate: true, Owner: recordOwner{t: n.table, lost: &lost}, Logger: log})
	n.rtsp = rtsp.NewServer(rtsp.ServerConfig{Addr: "127.0.0.1:0", DisableUDP: true, Logger: log}, n.rec)
	if err := n.rtsp.Start(); err != nil {
		t.Fatal(err)
	}
	n.puller = rtsp.NewPuller(rtsp.PullerConfig{Logger: log, OutboundAllow: rtsp.LoopbackNets(), BackoffMin: 100 * time.Millisecond, BackoffMax: time.Second}, n.rec)
	n.cams = &cameras{puller: n.puller, library: n.lib, leases: n.table, retention: 1, log: log, lost: &lost, poll: 100 * time.Millisecond}
	if err := n.cams.start(ctx, flags); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.close)
	return n
}

// close shuts the node down in serve's order.
func (n *testNode) close() {
	if n.closed {
		return
	}
	n.closed = true
	n.cams.close()
	n.puller.Close()
	n.rtsp.Close()
	n.rec.Close(context.Background())
	_ = n.table.Close()
}

// streaming returns the streams this node's puller records.
func (n *testNode) streaming() []string {
	var out []string
	for _, c := range n.puller.List() {
		if c.State == rtsp.StateStreaming {
			out = append(out, c.Stream)
		}
	}
	return out
}

// TestPushOwnedElsewhere publishes one stream over RTSP to two nodes: the
// second refuses with 453 naming the first, and accepts once the first
// publisher has gone.
func TestPushOwnedElsewhere(t *testing.T) {
	tc := newTestCluster(t)
	a, b := tc.node("node-a"), tc.node("node-b")
	url := func(n *testNode) string { return "rtsp://" + n.rtsp.Addr().String() + "/lobby" }

	pub, err := publishH264(url(a))
	if err != nil {
		t.Fatalf("publishing to node-a: %v", err)
	}
	_, err = publishH264(url(b))
	var bad liberrors.ErrClientBadStatusCode
	if !errors.As(err, &bad) || bad.Code != 453 || !strings.Contains(bad.Message, "node-a") {
		t.Fatalf("publishing the same stream to node-b: %v; want 453 naming node-a", err)
	}
	pub.Close()
	streamstest.Eventually(t, 10*time.Second, func() error {
		p, err := publishH264(url(b))
		if err == nil {
			p.Close()
		}
		return err
	})
}

// publishH264 announces one H.264 track at url and starts recording.
func publishH264(url string) (*gortsplib.Client, error) {
	sps := []byte{0x67, 0x42, 0xc0, 0x0d, 0xda, 0x05, 0x07, 0xec, 0x04, 0x40, 0x00, 0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x0c, 0x83, 0xc5, 0x0a, 0xa8}
	f := &format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: sps, PPS: []byte{0x68, 0xce, 0x0f, 0xc8}}
	desc := &description.Session{Medias: []*description.Media{{Type: description.MediaTypeVideo, Formats: []format.Format{f}}}}
	tr := gortsplib.TransportTCP
	c := &gortsplib.Client{Transport: &tr}
	if err := c.StartRecording(url, desc); err != nil {
		return nil, err
	}
	return c, nil
}

// TestCamerasPulledOnceAndHandedOver: a camera given to two nodes (as
// --camera on both) is pulled by one; when that node closes, the other
// takes it over. Cameras added through one node's API are idempotent and
// are pulled by one node too.
func TestCamerasPulledOnceAndHandedOver(t *testing.T) {
	cam := rtsptest.StartFakeCam(t)
	gate := rtsp.Camera{Stream: "gate", URL: cam.URL(""), Transport: "tcp"}
	tc := newTestCluster(t)
	nodes := []*testNode{tc.node("n0", gate), tc.node("n1", gate)}

	var puller, other *testNode
	streamstest.Eventually(t, 20*time.Second, func() error {
		s0, s1 := nodes[0].streaming(), nodes[1].streaming()
		switch {
		case len(s0) == 1 && len(s1) == 0:
			puller, other = nodes[0], nodes[1]
		case len(s1) == 1 && len(s0) == 0:
			puller, other = nodes[1], nodes[0]
		default:
			return fmt.Errorf("streaming: n0 %v, n1 %v; want gate on one node", s0, s1)
		}
		return nil
	})
	if got := other.puller.List(); len(got) != 0 {
		t.Fatalf("%s also pulls: %+v", other.name, got)
	}
	streamstest.Eventually(t, 5*time.Second, func() error { // the other node's next poll of the kept cameras
		if cs := other.cams.Cameras(); len(cs) != 1 || cs[0].Stream != "gate" || cs[0].State != stateElsewhere {
			return fmt.Errorf("%s lists %+v, want gate pulled elsewhere", other.name, cs)
		}
		return nil
	})

	// A camera added through the API of one node: again is a no-op,
	// another URL for the stream a conflict.
	ctx := context.Background()
	lobby := rtsp.Camera{Stream: "lobby", URL: cam.URL(""), Transport: "tcp"}
	if created, err := other.cams.AddCamera(ctx, lobby); err != nil || !created {
		t.Fatalf("AddCamera: %v %v", created, err)
	}
	if created, err := puller.cams.AddCamera(ctx, lobby); err != nil || created {
		t.Fatalf("AddCamera again, on the other node: created %v, %v; want an idempotent success", created, err)
	}
	moved := lobby
	moved.URL = strings.Replace(lobby.URL, "127.0.0.1", "localhost", 1)
	if _, err := puller.cams.AddCamera(ctx, moved); !errors.Is(err, rtsp.ErrCameraExists) {
		t.Fatalf("AddCamera with another URL: %v, want ErrCameraExists", err)
	}
	streamstest.Eventually(t, 20*time.Second, func() error {
		all := append(nodes[0].streaming(), nodes[1].streaming()...)
		if strings.Count(strings.Join(all, ","), "lobby") != 1 {
			return fmt.Errorf("streaming %v; want lobby once", all)
		}
		return nil
	})
	if err := puller.cams.RemoveCamera(ctx, "lobby"); err != nil {
		t.Fatal(err)
	}

	// The pulling node leaves: the other takes gate over.
	puller.close()
	streamstest.Eventually(t, 15*time.Second, func() error {
		if s := other.streaming(); len(s) != 1 || s[0] != "gate" {
			return fmt.Errorf("%s streams %v after %s left; want gate", other.name, s, puller.name)
		}
		return nil
	})
	checkNoOverlap(t, other.lib, "gate")
}

// TestCameraFailsOverWhenItsNodeDies: the pulling node is cut off from
// NATS (as if it died); within about the lease TTL (2 s here) the other
// node pulls the camera.
func TestCameraFailsOverWhenItsNodeDies(t *testing.T) {
	cam := rtsptest.StartFakeCam(t)
	gate := rtsp.Camera{Stream: "gate", URL: cam.URL(""), Transport: "tcp"}
	tc := newTestCluster(t)
	nodes := []*testNode{tc.node("n0", gate), tc.node("n1", gate)}
	var dead, other *testNode
	streamstest.Eventually(t, 20*time.Second, func() error {
		for i, n := range nodes {
			if len(n.streaming()) == 1 {
				dead, other = n, nodes[1-i]
				return nil
			}
		}
		return errors.New("nobody pulls gate")
	})
	died := time.Now()
	dead.nc.Close()
	streamstest.Eventually(t, 20*time.Second, func() error {
		if s := other.streaming(); len(s) != 1 {
			return fmt.Errorf("%s streams %v; want gate", other.name, s)
		}
		if s := dead.streaming(); len(s) != 0 {
			return fmt.Errorf("the dead node %s still streams %v", dead.name, s)
		}
		return nil
	})
	t.Logf("failover took %v (lease TTL 2 s)", time.Since(died))
}

// checkNoOverlap checks that the stream's index has no fragment starting
// before the previous one ends.
func checkNoOverlap(t *testing.T, lib *fragments.Library, stream string) {
	t.Helper()
	var prev fragments.Info
	n := 0
	err := lib.Fragments(context.Background(), stream, fragments.Selector{}, func(in fragments.Info) bool {
		if n > 0 && in.ProducerTime.Before(prev.End()) {
			t.Errorf("fragment %s (token %d) starts %v before %s (token %d) ends", in.Number, in.Token, prev.End().Sub(in.ProducerTime), prev.Number, prev.Token)
		}
		prev, n = in, n+1
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
}
