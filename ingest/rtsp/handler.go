package rtsp

import (
	"fmt"
	"strings"
	"time"

	"github.com/bluenviron/gortsplib/v4"
	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/pion/rtp"

	"github.com/sluice-dev/sluice/ingest"
)

// handler is the gortsplib server handler. gortsplib calls the methods of
// one session on that session's goroutine, in request order; packets
// arrive on the connection's (TCP) or the UDP listener's goroutine, and go
// to the session's feed.
type handler struct{ s *Server }

// publish is the state of one publishing RTSP session (its user data).
type publish struct {
	stream string
	remote string
	set    trackSet
	feed   *feed // set on RECORD
	udp    bool  // the media come over UDP (set on RECORD)
}

var (
	_ gortsplib.ServerHandlerOnAnnounce     = (*handler)(nil)
	_ gortsplib.ServerHandlerOnSetup        = (*handler)(nil)
	_ gortsplib.ServerHandlerOnRecord       = (*handler)(nil)
	_ gortsplib.ServerHandlerOnPlay         = (*handler)(nil)
	_ gortsplib.ServerHandlerOnPause        = (*handler)(nil)
	_ gortsplib.ServerHandlerOnSessionClose = (*handler)(nil)
	_ gortsplib.ServerHandlerOnRequest      = (*handler)(nil)
)

// UDP drain at TEARDOWN: a publisher's last RTP packets over UDP may
// arrive after its TEARDOWN over TCP. Before a TEARDOWN of a UDP session
// is handled, its packets are awaited until none came for udpQuiet, for
// at most udpDrainMax.
const (
	udpQuiet    = 40 * time.Millisecond
	udpDrainMax = 300 * time.Millisecond
)

// OnRequest runs before gortsplib handles each request, on the
// connection's goroutine: it holds a TEARDOWN of a UDP session until the
// session's in-flight packets are in (the UDP listener delivers them on
// its own goroutine meanwhile).
func (h *handler) OnRequest(sc *gortsplib.ServerConn, req *base.Request) {
	if req.Method != base.Teardown || sc.Session() == nil {
		return
	}
	p, _ := sc.Session().UserData().(*publish)
	if p == nil || p.feed == nil || !p.udp {
		return
	}
	for deadline := time.Now().Add(udpDrainMax); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if time.Since(p.feed.lastPacket()) >= udpQuiet {
			return
		}
	}
}

// OnConnClose logs why a connection ended.
func (h *handler) OnConnClose(ctx *gortsplib.ServerHandlerOnConnCloseCtx) {
	h.s.log.Debug("rtsp: connection closed", "remote", ctx.Conn.NetConn().RemoteAddr().String(), "reason", ctx.Error)
}

// OnAnnounce checks the stream name, the credentials and the tracks.
// Recording only starts on RECORD; a publisher whose tracks are all
// unsupported is refused here already, before it sets anything up.
func (h *handler) OnAnnounce(ctx *gortsplib.ServerHandlerOnAnnounceCtx) (*base.Response, error) {
	remote := ctx.Conn.NetConn().RemoteAddr().String()
	stream, err := streamName(ctx.Path)
	if err != nil {
		h.s.log.Info("rtsp: refused", "remote", remote, "err", err)
		return reply(base.StatusBadRequest, err.Error()), nil
	}
	if res, err := h.s.authorize(ctx.Conn, ctx.Request, stream, ActionPublish); res != nil {
		return res, err
	}
	set := buildTracks(ctx.Description)
	for _, codec := range set.dropped {
		h.s.log.Info("rtsp: dropping unsupported track", "stream", stream, "remote", remote, "codec", codec)
	}
	if len(set.tracks) == 0 {
		err := noTracksError(ctx.Description)
		h.s.log.Info("rtsp: refused", "stream", stream, "remote", remote, "err", err)
		return reply(base.StatusUnsupportedMediaType, err.Error()), nil
	}
	ctx.Session.SetUserData(&publish{stream: stream, remote: remote, set: set})
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// OnSetup accepts the SETUPs of an announced publisher; reading is not
// served here.
func (h *handler) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if ctx.Session.State() != gortsplib.ServerSessionStatePreRecord {
		return reply(base.StatusNotImplemented, "this server only accepts publishers (ANNOUNCE, SETUP, RECORD)"), nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, nil, nil
}

// OnPlay refuses: reading is not served here. (gortsplib needs the
// method; it is unreachable since SETUP for reading is refused.)
func (h *handler) OnPlay(*gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	return reply(base.StatusNotImplemented, "reading is not supported"), nil
}

// OnPause refuses: a recording cannot be paused.
func (h *handler) OnPause(*gortsplib.ServerHandlerOnPauseCtx) (*base.Response, error) {
	return reply(base.StatusNotImplemented, "PAUSE is not supported"), nil
}

// OnRecord opens the ingest session and starts feeding it.
func (h *handler) OnRecord(ctx *gortsplib.ServerHandlerOnRecordCtx) (*base.Response, error) {
	p, _ := ctx.Session.UserData().(*publish)
	if p == nil || p.feed != nil {
		return reply(base.StatusMethodNotValidInThisState, "RECORD without ANNOUNCE"), nil
	}
	transport := strings.ToLower(ctx.Session.SetuppedTransport().String())
	log := h.s.log.With("stream", p.stream, "remote", p.remote, "transport", transport)
	f, err := newFeed(p.set.tracks, ctx.Session, log)
	if err != nil {
		log.Error("rtsp: cannot decode", "err", err)
		return reply(base.StatusInternalServerError, "cannot record: internal error"), nil
	}
	src := ingest.Source{Kind: "rtsp-push", Remote: p.remote, Transport: transport}
	sess, err := h.s.rec.Open(h.s.ctx, p.stream, src, p.set.fragmentTracks())
	if err != nil {
		res, internal := openRefusal(p.stream, err)
		if internal {
			log.Error("rtsp: cannot open recording", "err", err)
		} else {
			log.Info("rtsp: refused", "err", err)
		}
		return res, nil
	}
	f.start(sess)
	onEnded(sess, ctx.Session.Close) // the recorder stopped: drop the publisher
	p.feed, p.udp = f, strings.HasPrefix(transport, "udp")
	for _, t := range p.set.tracks {
		ctx.Session.OnPacketRTP(t.media, t.format, func(pkt *rtp.Packet) { f.packet(t, pkt) })
	}
	log.Info("rtsp: recording", "tracks", describeTracks(p.set))
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// OnSessionClose closes the ingest session: after TEARDOWN, when the
// connection closes, on read timeout and on Server.Close. gortsplib calls
// it once per session, after the last packet callback.
func (h *handler) OnSessionClose(ctx *gortsplib.ServerHandlerOnSessionCloseCtx) {
	p, _ := ctx.Session.UserData().(*publish)
	if p == nil || p.feed == nil {
		return
	}
	st := p.feed.close()
	h.s.log.Info("rtsp: recording ended", "stream", p.stream, "remote", p.remote, "reason", ctx.Error,
		"packets", st.Packets, "units", st.Units, "decode_errors", st.DecodeErrors)
}

// OnDecodeError counts RTP/RTCP packets that gortsplib could not decode.
func (h *handler) OnDecodeError(ctx *gortsplib.ServerHandlerOnDecodeErrorCtx) {
	h.s.log.Debug("rtsp: decode error", "err", ctx.Error)
}

// OnPacketsLost logs RTP losses (UDP) at debug level.
func (h *handler) OnPacketsLost(ctx *gortsplib.ServerHandlerOnPacketsLostCtx) {
	h.s.log.Debug("rtsp: RTP packets lost", "lost", ctx.Lost)
}

// OnStreamWriteError is needed so that gortsplib does not log on its own.
func (h *handler) OnStreamWriteError(ctx *gortsplib.ServerHandlerOnStreamWriteErrorCtx) {
	h.s.log.Debug("rtsp: write error", "err", ctx.Error)
}

// describeTracks lists the recorded tracks for logs, e.g. "H264, MPEG-4 Audio".
func describeTracks(s trackSet) string {
	names := make([]string, len(s.tracks))
	for i, t := range s.tracks {
		names[i] = fmt.Sprintf("%d:%s", t.index, t.format.Codec())
	}
	return strings.Join(names, ", ")
}
