package rtsp

import (
	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/headers"
	"github.com/bluenviron/gortsplib/v4/pkg/liberrors"
)

// Actions of an AuthRequest. The server only accepts publishers today, so
// it only asks about ActionPublish (at ANNOUNCE); ActionRead is for the
// RTSP reading side to come.
const (
	ActionPublish = "publish"
	ActionRead    = "read"
)

// AuthRequest is what ServerConfig.Authenticate decides on.
type AuthRequest struct {
	Stream string
	Action string // ActionPublish or ActionRead
	// User is the user name of the request's Authorization header (Basic
	// or Digest), empty when the client sent none.
	User string
	// Pass is the password of a Basic Authorization header; empty for
	// Digest, where the password never travels (use Verify).
	Pass string
	// Remote is the client's address (host:port).
	Remote string
	// Verify reports whether the request's credentials, Basic or Digest
	// (MD5), are user and pass. It is how a hook checks Digest.
	Verify func(user, pass string) bool
}

// challengeUser is a user name no client sends; verifying against it only
// creates the connection's Digest nonce, which the challenge carries.
const challengeUser = "\x00"

// authorize runs the Authenticate hook. It returns nil when the request
// may go on, else the response that refuses it: 401, with a Basic and
// Digest challenge when the client sent no credentials (gortsplib then
// keeps the connection open for the retry), or closing the connection
// when it sent wrong ones.
func (s *Server) authorize(conn *gortsplib.ServerConn, req *base.Request, stream, action string) (*base.Response, error) {
	if s.cfg.Authenticate == nil {
		return nil, nil
	}
	ar := AuthRequest{
		Stream: stream,
		Action: action,
		Remote: conn.NetConn().RemoteAddr().String(),
		Verify: func(user, pass string) bool { return conn.VerifyCredentials(req, user, pass) },
	}
	var h headers.Authorization
	if v, ok := req.Header["Authorization"]; ok && h.Unmarshal(v) == nil {
		ar.User = h.Username
		if h.Method == headers.AuthMethodBasic {
			ar.Pass = h.BasicPass
		}
	}
	err := s.cfg.Authenticate(ar)
	if err == nil {
		return nil, nil
	}
	s.log.Info("rtsp: refused", "stream", stream, "action", action, "remote", ar.Remote, "user", ar.User, "err", err)
	conn.VerifyCredentials(req, challengeUser, "")
	return &base.Response{StatusCode: base.StatusUnauthorized}, liberrors.ErrServerAuth{}
}
