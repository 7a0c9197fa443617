package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/ingest/rtsp"
	"github.com/sluice-dev/sluice/streams"
)

// cameras joins the RTSP puller (what runs) and the library (what is kept):
// a camera added through the API survives restarts; one given with
// --camera is pulled for as long as the flag is given.
type cameras struct {
	puller    *rtsp.Puller
	library   *fragments.Library
	retention int // hours, for streams created for a camera
	log       *slog.Logger
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

// start pulls the cameras of the flags and those kept in the library.
func (c *cameras) start(ctx context.Context, flags []rtsp.Camera) error {
	kept, err := c.library.Pulls(ctx)
	if err != nil {
		return err
	}
	for _, k := range kept {
		if err := c.puller.Add(rtsp.Camera{Stream: k.Stream, URL: k.URL, Transport: k.Transport}); err != nil && !errors.Is(err, rtsp.ErrCameraExists) {
			c.log.Error("camera kept for a stream cannot be pulled", "stream", k.Stream, "err", err)
		}
	}
	for _, cam := range flags {
		if err := c.puller.Check(cam); err != nil {
			return fmt.Errorf("--camera %s: %w", cam.Stream, err)
		}
		if err := c.ensureStream(ctx, cam.Stream); err != nil {
			return fmt.Errorf("--camera %s: %w", cam.Stream, err)
		}
		if err := c.puller.Add(cam); err != nil && !errors.Is(err, rtsp.ErrCameraExists) {
			return fmt.Errorf("--camera %s: %w", cam.Stream, err)
		}
	}
	return nil
}

func (c *cameras) ensureStream(ctx context.Context, stream string) error {
	_, err := c.library.Create(ctx, fragments.StreamSpec{Name: stream, RetentionHours: c.retention})
	if errors.Is(err, streams.ErrInUse) {
		return nil // exists
	}
	return err
}

// AddCamera pulls a camera into stream (created if needed) and keeps it.
func (c *cameras) AddCamera(ctx context.Context, cam rtsp.Camera) error {
	if err := c.puller.Check(cam); err != nil {
		return err // before a stream is created for it
	}
	if err := c.ensureStream(ctx, cam.Stream); err != nil {
		return err
	}
	if err := c.puller.Add(cam); err != nil {
		return err
	}
	if err := c.library.SetPull(ctx, cam.Stream, cam.URL, cam.Transport); err != nil {
		c.puller.Remove(cam.Stream)
		return err
	}
	return nil
}

// RemoveCamera stops pulling into stream and forgets the camera.
func (c *cameras) RemoveCamera(ctx context.Context, stream string) error {
	c.puller.Remove(stream)
	err := c.library.SetPull(ctx, stream, "", "")
	if errors.Is(err, streams.ErrNotFound) {
		return nil
	}
	return err
}

// Cameras lists the cameras being pulled, without passwords.
func (c *cameras) Cameras() []rtsp.CameraStatus { return c.puller.List() }
