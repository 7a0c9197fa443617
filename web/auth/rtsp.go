package auth

import (
	"errors"
	"fmt"

	"github.com/sluice-dev/sluice/ingest/rtsp"
)

// Errors of RTSPAuth. The RTSP server answers each with 401 (and closes the
// connection when credentials were sent).
var (
	// ErrNoCredentials: the client sent no user name (it is challenged).
	ErrNoCredentials = errors.New("auth: no credentials")
	// ErrBadCredentials: unknown key, or wrong secret (Basic or Digest).
	ErrBadCredentials = errors.New("auth: wrong access key or secret")
	// ErrForbidden: the key's policy does not allow the action on the
	// stream.
	ErrForbidden = errors.New("auth: not allowed")
	// ErrBlocked: too many failures from the client's address lately.
	ErrBlocked = errors.New("auth: too many failed attempts from this address")
)

// RTSP actions as policies see them.
const (
	rtspPublishAction = "kinesisvideo:PutMedia" // write
	rtspReadAction    = "kinesisvideo:GetMedia" // read
)

// RTSPAuth adapts v to the RTSP server's Authenticate hook. The RTSP user
// is the access key ID and the password its secret (Basic or Digest).
// Publishing needs the "write" class (kinesisvideo:PutMedia), reading the
// "read" class (kinesisvideo:GetMedia), on the stream. An open Verifier
// lets everything in. Failed credentials count towards the address's
// failure limit, and a blocked address is refused before its password is
// checked.
func RTSPAuth(v *Verifier) func(rtsp.AuthRequest) error {
	return func(ar rtsp.AuthRequest) error {
		if v.Open() {
			return nil
		}
		if blocked, _ := v.lim.blocked(ar.Remote); blocked {
			return ErrBlocked
		}
		if ar.User == "" {
			return ErrNoCredentials
		}
		var key Key
		ok := false
		if ar.Pass != "" {
			key, ok = v.Authenticate(ar.User, ar.Pass)
		} else if k, found := v.keySet().Lookup(ar.User); found && ar.Verify != nil {
			key, ok = k, ar.Verify(k.ID, k.Secret)
		}
		if !ok {
			v.lim.fail(ar.Remote)
			v.log.Info("rtsp refused", "stream", ar.Stream, "action", ar.Action, "key", ar.User, "remote", ar.Remote, "reason", "bad credentials")
			return ErrBadCredentials
		}
		action := rtspReadAction
		if ar.Action == rtsp.ActionPublish {
			action = rtspPublishAction
		} else if ar.Action != rtsp.ActionRead {
			return fmt.Errorf("%w: unknown RTSP action %q", ErrForbidden, ar.Action)
		}
		if !key.Allows(action, ar.Stream) {
			return fmt.Errorf("%w: key %s may not %s stream %q", ErrForbidden, key.ID, ar.Action, ar.Stream)
		}
		return nil
	}
}
