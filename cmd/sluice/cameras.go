package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/ingest/rtsp"
	"github.com/sluice-dev/sluice/leases"
	"github.com/sluice-dev/sluice/streams"
)

// cameras joins the RTSP puller (what runs here), the library (what is
// kept: a camera added through the API survives restarts and is known to
// every node) and the leases (which node pulls what). The cameras wanted
// are those kept in the library and this node's --camera flags; each is
// pulled by exactly one node, the one holding the lease "camera.<stream>",
// spread over the live nodes by a leases.Assigner. The wanted set is
// refreshed by a short poll of the library (its metadata cache, kept
// current by a watch, so a poll costs no I/O) and at once after an API
// change on this node.
type cameras struct {
	puller    *rtsp.Puller
	library   *fragments.Library
	leases    *leases.Table
	retention int // hours, for streams created for a camera
	log       *slog.Logger
	lost      *atomic.Int64 // camera leases lost, for metrics
	// poll is the interval of library polls. Default 1 s.
	poll time.Duration

	as     *leases.Assigner
	cancel context.CancelFunc
	done   chan struct{}

	// pullMu serializes what changes the puller (start, stop, restart),
	// so that a restart never revives a camera whose lease just ended.
	pullMu  sync.Mutex
	mu      sync.Mutex
	wanted  map[string]rtsp.Camera // by lease key
	pulling map[string]rtsp.Camera // by lease key: started here (and the camera as started)
	held    map[string]*leases.Lease
}

// parseCameraFlag reads "stream=rtsp://[user:pass@]host/path[#tcp|#udp]".
func parseCameraFlag(v string) (rtsp.Camera, error) {
	stream, url, ok := strings.Cut(v, "=")
	if !ok || stream == "" || url == "" {
		return rtsp.Camera{}, errors.New("want stream=rtsp://host/path (optionally #tcp or #udp)")
	}
	cam := rtsp.Camera{Stream: stream, URL: url}
	if base, frag, ok := strings.Cut(url, "#"); ok {
		if frag != "tcp" && frag != "udp" {
			return rtsp.Camera{}, fmt.Errorf("transport #%s: want #tcp or #udp", frag)
		}
		cam.URL, cam.Transport = base, frag
	}
	return cam, nil
}

// start checks the flags' cameras, creates their streams and starts
// spreading the wanted cameras; close stops it.
func (c *cameras) start(ctx context.Context, flags []rtsp.Camera) error {
	// A --camera is kept like one added through the API (once for the
	// cluster, however many nodes name it); a stream that keeps another
	// camera keeps it. Deleting the camera (or its stream) forgets it
	// until a node starts again with the flag.
	for _, cam := range flags {
		if err := c.puller.Check(cam); err != nil {
			return fmt.Errorf("--camera %s: %w", cam.Stream, err)
		}
		if err := c.ensureStream(ctx, cam.Stream); err != nil {
			return fmt.Errorf("--camera %s: %w", cam.Stream, err)
		}
		_, err := c.library.AddPull(ctx, cam.Stream, cam.URL, cam.Transport)
		if errors.Is(err, fragments.ErrPullExists) {
			c.log.Warn("--camera ignored: its stream keeps another camera", "stream", cam.Stream)
		} else if err != nil {
			return fmt.Errorf("--camera %s: %w", cam.Stream, err)
		}
	}
	if c.poll == 0 {
		c.poll = time.Second
	}
	c.wanted, c.pulling, c.held = map[string]rtsp.Camera{}, map[string]rtsp.Camera{}, map[string]*leases.Lease{}
	as, err := c.leases.NewAssigner(leases.AssignerConfig{Start: c.startPull, Stop: c.stopPull})
	if err != nil {
		return err
	}
	c.as = as
	if err := c.refresh(ctx); err != nil {
		as.Close()
		return err
	}
	pctx, cancel := context.WithCancel(context.Background())
	c.cancel, c.done = cancel, make(chan struct{})
	go c.pollLibrary(pctx)
	return nil
}

// close stops polling and hands this node's cameras over (their leases
// are released once their pulls have stopped).
func (c *cameras) close() {
	if c.cancel != nil {
		c.cancel()
		<-c.done
	}
	if c.as != nil {
		c.as.Close()
	}
}

func (c *cameras) pollLibrary(ctx context.Context) {
	defer close(c.done)
	t := time.NewTicker(c.poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := c.refresh(ctx); err != nil && ctx.Err() == nil {
				c.log.Warn("cameras: reading the kept cameras", "err", err)
			}
		}
	}
}

// refresh computes the wanted cameras (those the library keeps) and gives
// their keys to the Assigner. A camera pulled here whose URL changed is
// restarted.
func (c *cameras) refresh(ctx context.Context) error {
	kept, err := c.library.Pulls(ctx)
	if err != nil {
		return err
	}
	wanted := map[string]rtsp.Camera{}
	for _, k := range kept {
		wanted[leaseKey(kindCamera, k.Stream)] = rtsp.Camera{Stream: k.Stream, URL: k.URL, Transport: k.Transport}
	}
	c.pullMu.Lock()
	c.mu.Lock()
	changed := !maps.Equal(wanted, c.wanted)
	c.wanted = wanted
	var restart []rtsp.Camera
	for key, cam := range c.pulling {
		if w, ok := wanted[key]; ok && w != cam {
			c.pulling[key] = w
			restart = append(restart, w)
		}
	}
	c.mu.Unlock()
	for _, cam := range restart {
		c.puller.Remove(cam.Stream)
		c.add(cam)
	}
	c.pullMu.Unlock()
	if changed {
		c.as.Set(slices.Collect(maps.Keys(wanted)))
	}
	return nil
}

// startPull runs on the Assigner's goroutine when this node takes a
// camera's lease.
func (c *cameras) startPull(key string, l *leases.Lease) {
	c.pullMu.Lock()
	defer c.pullMu.Unlock()
	c.mu.Lock()
	cam, ok := c.wanted[key]
	if ok {
		c.pulling[key], c.held[key] = cam, l
	}
	c.mu.Unlock()
	if !ok {
		return // no longer wanted: the Assigner stops it next
	}
	c.log.Info("camera lease taken: pulling here", "stream", cam.Stream, "token", l.Token())
	c.add(cam)
}

func (c *cameras) add(cam rtsp.Camera) {
	if err := c.puller.Add(cam); err != nil && !errors.Is(err, rtsp.ErrCameraExists) {
		c.log.Error("camera cannot be pulled", "stream", cam.Stream, "err", err)
	}
}

// stopPull runs on the Assigner's goroutine: the pull has stopped when it
// returns (the lease is released next).
func (c *cameras) stopPull(key string) {
	c.pullMu.Lock()
	defer c.pullMu.Unlock()
	c.mu.Lock()
	cam, ok := c.pulling[key]
	l := c.held[key]
	delete(c.pulling, key)
	delete(c.held, key)
	c.mu.Unlock()
	if !ok {
		return
	}
	c.puller.Remove(cam.Stream)
	if l != nil && isClosed(l.Lost()) {
		c.lost.Add(1)
		c.log.Warn("camera lease lost: pull stopped", "stream", cam.Stream)
	} else {
		c.log.Info("camera handed over: pull stopped", "stream", cam.Stream)
	}
}

func (c *cameras) ensureStream(ctx context.Context, stream string) error {
	_, err := c.library.Create(ctx, fragments.StreamSpec{Name: stream, RetentionHours: c.retention})
	if errors.Is(err, streams.ErrInUse) {
		return nil // exists
	}
	return err
}

// AddCamera keeps a camera for stream (created if needed); one node of the
// cluster pulls it. Adding the camera a stream already keeps (same URL
// and transport) changes nothing and reports created false; another
// camera for that stream is rtsp.ErrCameraExists.
func (c *cameras) AddCamera(ctx context.Context, cam rtsp.Camera) (created bool, err error) {
	if err := c.puller.Check(cam); err != nil {
		return false, err // before a stream is created for it
	}
	if err := c.ensureStream(ctx, cam.Stream); err != nil {
		return false, err
	}
	created, err = c.library.AddPull(ctx, cam.Stream, cam.URL, cam.Transport)
	if errors.Is(err, fragments.ErrPullExists) {
		return false, fmt.Errorf("%w: %s", rtsp.ErrCameraExists, cam.Stream)
	}
	if err != nil || !created {
		return false, err
	}
	return true, c.refresh(ctx)
}

// RemoveCamera forgets the camera of stream; the node pulling it stops.
func (c *cameras) RemoveCamera(ctx context.Context, stream string) error {
	err := c.library.SetPull(ctx, stream, "", "")
	if errors.Is(err, streams.ErrNotFound) {
		err = nil
	}
	if err != nil {
		return err
	}
	return c.refresh(ctx)
}

// Cameras lists the wanted cameras, without passwords: those pulled here
// with the puller's status, the others as pulled by another node.
func (c *cameras) Cameras() []rtsp.CameraStatus {
	local := map[string]rtsp.CameraStatus{}
	for _, st := range c.puller.List() {
		local[st.Stream] = st
	}
	c.mu.Lock()
	wanted := slices.Collect(maps.Values(c.wanted))
	c.mu.Unlock()
	out := make([]rtsp.CameraStatus, 0, len(wanted))
	for _, cam := range wanted {
		if st, ok := local[cam.Stream]; ok {
			out = append(out, st)
			continue
		}
		out = append(out, rtsp.CameraStatus{Stream: cam.Stream, URL: rtsp.RedactURL(cam.URL), Transport: cam.Transport, State: stateElsewhere})
	}
	slices.SortFunc(out, func(a, b rtsp.CameraStatus) int { return strings.Compare(a.Stream, b.Stream) })
	return out
}

// stateElsewhere is the state of a camera that another node pulls (or
// that waits for a node to take it).
const stateElsewhere = "other-node"
