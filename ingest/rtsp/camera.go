package rtsp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/headers"
	"github.com/pion/rtp"

	"github.com/sluice-dev/sluice/ingest"
)

// camera is one pulled camera: its goroutine (run) owns the connection;
// the status is shared with List.
type camera struct {
	cfg     Camera
	u       *base.URL
	secrets secrets
	cancel  context.CancelFunc
	done    chan struct{}

	mu sync.Mutex
	st CameraStatus
}

func newCamera(c Camera) (*camera, error) {
	u, err := parseCamera(c)
	if err != nil {
		return nil, err
	}
	transport := c.Transport
	if transport == "" {
		transport = "auto"
	}
	return &camera{
		cfg:     c,
		u:       u,
		secrets: newSecrets(u),
		done:    make(chan struct{}),
		st:      CameraStatus{Stream: c.Stream, URL: redactURL(u), Transport: transport, State: StateConnecting, Since: time.Now()},
	}, nil
}

func (c *camera) status() CameraStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}

func (c *camera) setState(state string, lastErr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st.State != state {
		c.st.State, c.st.Since = state, time.Now()
	}
	if lastErr != "" {
		c.st.LastError = lastErr
	}
}

// stop cancels the camera's goroutine and waits for it.
func (c *camera) stop() {
	c.cancel()
	<-c.done
}

// run connects, records until the connection is lost, and reconnects
// after a backoff, until ctx ends.
func (c *camera) run(ctx context.Context, p *Puller) {
	defer close(c.done)
	log := p.log.With("stream", c.cfg.Stream, "url", c.st.URL)
	b := newBackoff(p.cfg.BackoffMin, p.cfg.BackoffMax)
	for {
		c.setState(StateConnecting, "")
		streamed, err := c.session(ctx, p, log)
		if ctx.Err() != nil {
			return
		}
		if streamed {
			b.reset()
		}
		if err == nil {
			err = errors.New("stream ended")
		}
		msg := c.secrets.errText(err)
		d := b.delay()
		c.setState(StateBackoff, msg)
		log.Warn("rtsp: camera lost, reconnecting", "err", msg, "retry_in", d.Round(time.Millisecond))
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// session runs one connection: DESCRIBE, SETUP of the supported tracks,
// Recorder.Open, PLAY, then feeds the ingest session until the connection
// ends, and closes the ingest session. It reports whether media was
// recorded, and why the connection ended.
func (c *camera) session(ctx context.Context, p *Puller, log *slog.Logger) (streamed bool, err error) {
	client := &gortsplib.Client{
		Scheme:       c.u.Scheme,
		Host:         c.u.Host,
		DialContext:  p.out.dial, // every connection, redirects included
		ReadTimeout:  p.cfg.ReadTimeout,
		WriteTimeout: p.cfg.ReadTimeout,
		OnTransportSwitch: func(err error) {
			log.Info("rtsp: camera sends no UDP, switching to TCP", "err", c.secrets.errText(err))
		},
		OnPacketsLost: func(lost uint64) { log.Debug("rtsp: RTP packets lost", "lost", lost) },
		OnDecodeError: func(err error) { log.Debug("rtsp: decode error", "err", c.secrets.errText(err)) },
	}
	switch c.cfg.Transport {
	case "tcp":
		v := gortsplib.TransportTCP
		client.Transport = &v
	case "udp":
		v := gortsplib.TransportUDP
		client.Transport = &v
	}
	if err := client.Start2(); err != nil {
		return false, err
	}
	defer client.Close()
	stop := context.AfterFunc(ctx, client.Close) // unblocks every call below
	defer stop()

	desc, _, err := client.Describe(c.u)
	if err != nil {
		return false, fmt.Errorf("DESCRIBE: %w", err)
	}
	set := buildTracks(desc)
	for _, codec := range set.dropped {
		log.Info("rtsp: dropping unsupported track", "codec", codec)
	}
	if len(set.tracks) == 0 {
		return false, noTracksError(desc)
	}
	f, err := newFeed(set.tracks, client, log)
	if err != nil {
		return false, err
	}
	transport := ""
	for _, m := range set.medias() {
		res, err := client.Setup(desc.BaseURL, m, 0, 0)
		if err != nil {
			return false, fmt.Errorf("SETUP: %w", err)
		}
		transport = setupTransport(res)
		if err := p.out.checkSource(res); err != nil {
			return false, fmt.Errorf("SETUP: %w", err)
		}
	}
	src := ingest.Source{Kind: "rtsp-pull", Remote: c.u.Host, Transport: transport}
	sess, err := p.rec.Open(ctx, c.cfg.Stream, src, set.fragmentTracks())
	if err != nil {
		return false, fmt.Errorf("recorder: %w", err)
	}
	f.start(sess)
	onEnded(sess, client.Close) // the recorder stopped: end the pull
	defer func() {
		client.Close() // no packet after this
		st := f.close()
		log.Info("rtsp: camera session ended", "packets", st.Packets, "units", st.Units, "decode_errors", st.DecodeErrors)
	}()
	for _, t := range set.tracks {
		client.OnPacketRTP(t.media, t.format, func(pkt *rtp.Packet) { f.packet(t, pkt) })
	}
	if _, err := client.Play(nil); err != nil {
		return false, fmt.Errorf("PLAY: %w", err)
	}
	c.setState(StateStreaming, "")
	log.Info("rtsp: camera streaming", "tracks", describeTracks(set), "transport", transport)
	err = client.Wait()
	return f.snapshot().Units > 0, err
}

// setupTransport returns "tcp" or "udp" from a SETUP response.
func setupTransport(res *base.Response) string {
	var th headers.Transport
	if res == nil || th.Unmarshal(res.Header["Transport"]) != nil {
		return ""
	}
	if th.Protocol == headers.TransportProtocolTCP {
		return "tcp"
	}
	return "udp"
}
