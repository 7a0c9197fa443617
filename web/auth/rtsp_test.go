package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/ingest/rtsp"
	"github.com/sluice-dev/sluice/web/auth"
)

func TestRTSPAuth(t *testing.T) {
	writer := auth.Key{ID: "cam", Secret: "camera-secret-1", Policy: auth.Policy{Streams: []string{"cam-*"}, Actions: []string{"write"}}}
	reader := auth.Key{ID: "viewer", Secret: "viewer-secret-1", Policy: auth.Policy{Streams: []string{"*"}, Actions: []string{"read"}}}
	v := auth.New(auth.Config{Keys: []auth.Key{writer, reader}, Logger: quietLogger(),
		FailureLimit: auth.FailureLimit{Max: 3, Window: time.Minute, Block: time.Minute}})
	hook := auth.RTSPAuth(v)
	// digest stands for gortsplib's Digest check: true for the right pair.
	digest := func(user, pass string) func(string, string) bool {
		return func(u, p string) bool { return u == user && p == pass }
	}
	for _, c := range []struct {
		name string
		ar   rtsp.AuthRequest
		want error
	}{
		{"basic writer publishes", rtsp.AuthRequest{Stream: "cam-1", Action: rtsp.ActionPublish, User: "cam", Pass: "camera-secret-1"}, nil},
		{"digest writer publishes", rtsp.AuthRequest{Stream: "cam-1", Action: rtsp.ActionPublish, User: "cam", Verify: digest("cam", "camera-secret-1")}, nil},
		{"writer on another stream", rtsp.AuthRequest{Stream: "door", Action: rtsp.ActionPublish, User: "cam", Pass: "camera-secret-1"}, auth.ErrForbidden},
		{"writer reads", rtsp.AuthRequest{Stream: "cam-1", Action: rtsp.ActionRead, User: "cam", Pass: "camera-secret-1"}, auth.ErrForbidden},
		{"reader publishes", rtsp.AuthRequest{Stream: "cam-1", Action: rtsp.ActionPublish, User: "viewer", Pass: "viewer-secret-1"}, auth.ErrForbidden},
		{"reader reads", rtsp.AuthRequest{Stream: "cam-1", Action: rtsp.ActionRead, User: "viewer", Verify: digest("viewer", "viewer-secret-1")}, nil},
		{"no credentials", rtsp.AuthRequest{Stream: "cam-1", Action: rtsp.ActionPublish}, auth.ErrNoCredentials},
	} {
		c.ar.Remote = "192.0.2.10:4000"
		if err := hook(c.ar); !errors.Is(err, c.want) && !(c.want == nil && err == nil) {
			t.Errorf("%s: want %v, got %v", c.name, c.want, err)
		}
	}
	bad := rtsp.AuthRequest{Stream: "cam-1", Action: rtsp.ActionPublish, User: "cam", Pass: "guess", Remote: "192.0.2.20:1"}
	for range 3 {
		if err := hook(bad); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	bad.Verify = digest("nobody", "x")
	bad.Pass = ""
	hook(bad) // the 4th failure blocks the address
	good := rtsp.AuthRequest{Stream: "cam-1", Action: rtsp.ActionPublish, User: "cam", Pass: "camera-secret-1", Remote: "192.0.2.20:2"}
	if err := hook(good); !errors.Is(err, auth.ErrBlocked) {
		t.Fatalf("blocked address: %v", err)
	}
	if err := auth.RTSPAuth(auth.New(auth.Config{}))(rtsp.AuthRequest{Stream: "x", Action: rtsp.ActionPublish}); err != nil {
		t.Fatalf("open mode: %v", err)
	}
}
