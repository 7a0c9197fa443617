package webrtc

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/pion/stun/v4"
)

// Config configures a Server. The zero value is valid: every field has a
// default. Start checks it and reports every bad field at once.
type Config struct {
	// Addr is the UDP address of the ICE mux that every session (WHIP and
	// WHEP) shares: one port to open in firewalls. Default ":8189". A
	// specific host binds one socket; an unspecified host (":8189")
	// binds the port on every local address (one socket each). Port 0
	// picks a free port (see Server.Addr).
	Addr string
	// TCPAddr, when set, also accepts ICE over TCP (passive candidates,
	// RFC 6544) on this address, for clients whose networks block UDP.
	TCPAddr string
	// PublicIPs, when set, are announced instead of the local addresses in
	// the host candidates (1:1 NAT: the addresses peers reach this server
	// at, with the ports of Addr and TCPAddr forwarded to it).
	PublicIPs []string
	// STUNServers ("stun:host[:port]") add server-reflexive candidates.
	// Pion gathers those from one extra UDP socket per session (closed
	// with it), not from the mux: behind a NAT that forwards only Addr,
	// prefer PublicIPs.
	STUNServers []string
	// TURNServers add relayed candidates, for peers that cannot reach
	// this server directly: "turn:user:pass@host:port",
	// "turns:user:pass@host:port?transport=tcp", or the same with "//"
	// after the scheme; user and password may be percent-encoded. The
	// password is never logged.
	TURNServers []string
	// ConnectTimeout closes a session whose peer has not connected (ICE
	// and DTLS) this long after its offer. Default 15s.
	ConnectTimeout time.Duration
	// DisconnectTimeout closes a session whose peer stopped answering
	// (ICE disconnected) this long. Default 10s; ICE failure closes it at
	// once.
	DisconnectTimeout time.Duration
	// IdleTimeout closes a WHEP viewer whose stream has had no publisher
	// this long. Default 30s.
	IdleTimeout time.Duration
	// KeyframeInterval: a WHIP publisher that sent no keyframe for this
	// long is asked for one (PLI), so that fragments are cut about this
	// often (browsers send keyframes only when asked). Default 2s; it is
	// best equal to the recorder's fragment target duration. Negative:
	// never ask periodically (viewers joining still ask).
	KeyframeInterval time.Duration
	// MaxSessions bounds concurrent WHIP and WHEP sessions together; an
	// offer past it gets 503. Default 1000.
	MaxSessions int
	// Logger defaults to slog.Default(). Pion's own errors are logged at
	// warn level, its warnings at debug level.
	Logger *slog.Logger
}

// check fills the defaults and returns every problem, each naming its
// field; iceServers are the parsed STUN and TURN servers.
func (c *Config) check() (servers []iceServer, err error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("webrtc: %s: %s", field, fmt.Sprintf(format, args...)))
	}
	if c.Addr == "" {
		c.Addr = ":8189"
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("Addr", "%v", err)
	}
	if c.TCPAddr != "" {
		if _, _, err := net.SplitHostPort(c.TCPAddr); err != nil {
			bad("TCPAddr", "%v", err)
		}
	}
	for _, ip := range c.PublicIPs {
		if net.ParseIP(ip) == nil {
			bad("PublicIPs", "%q is not an IP address", ip)
		}
	}
	for _, s := range c.STUNServers {
		srv, err := parseICEServer(s, false)
		if err != nil {
			bad("STUNServers", "%v", err)
			continue
		}
		servers = append(servers, srv)
	}
	for _, s := range c.TURNServers {
		srv, err := parseICEServer(s, true)
		if err != nil {
			bad("TURNServers", "%v", err)
			continue
		}
		servers = append(servers, srv)
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"ConnectTimeout", &c.ConnectTimeout, 15 * time.Second},
		{"DisconnectTimeout", &c.DisconnectTimeout, 10 * time.Second},
		{"IdleTimeout", &c.IdleTimeout, 30 * time.Second},
		{"KeyframeInterval", &c.KeyframeInterval, 2 * time.Second},
	} {
		if *d.v == 0 {
			*d.v = d.def
		}
		if *d.v < 0 && d.name != "KeyframeInterval" {
			bad(d.name, "must be positive, got %v", *d.v)
		}
	}
	if c.MaxSessions == 0 {
		c.MaxSessions = 1000
	}
	if c.MaxSessions < 0 {
		bad("MaxSessions", "must be positive, got %d", c.MaxSessions)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return servers, errors.Join(errs...)
}

// iceServer is a parsed STUN or TURN server.
type iceServer struct {
	url      string // without credentials
	username string
	password string
}

// String shows the server without its password.
func (s iceServer) String() string {
	if s.username == "" {
		return s.url
	}
	scheme, rest, _ := strings.Cut(s.url, ":")
	return scheme + ":" + s.username + ":***@" + rest
}

// parseICEServer parses "stun:host:port" or, for TURN,
// "turn[s]:[//]user:pass@host:port[?transport=udp|tcp]". Errors never
// contain the password.
func parseICEServer(raw string, turn bool) (iceServer, error) {
	scheme, rest, ok := strings.Cut(raw, ":")
	scheme = strings.ToLower(scheme)
	want := "stun"
	if turn {
		want = "turn"
	}
	if !ok || strings.TrimSuffix(scheme, "s") != want {
		return iceServer{}, fmt.Errorf("%q: must start with %s: or %ss:", redactServer(raw), want, want)
	}
	rest = strings.TrimPrefix(rest, "//")
	var srv iceServer
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		if !turn {
			return iceServer{}, fmt.Errorf("%q: STUN servers take no credentials", redactServer(raw))
		}
		user, pass, _ := strings.Cut(rest[:at], ":")
		var err1, err2 error
		srv.username, err1 = url.PathUnescape(user)
		srv.password, err2 = url.PathUnescape(pass)
		if err1 != nil || err2 != nil {
			return iceServer{}, fmt.Errorf("%q: bad percent-encoding in the credentials", redactServer(raw))
		}
		rest = rest[at+1:]
	} else if turn {
		return iceServer{}, fmt.Errorf("%q: TURN servers need user:password@ before the host", raw)
	}
	srv.url = scheme + ":" + rest
	if _, err := stun.ParseURI(srv.url); err != nil {
		return iceServer{}, fmt.Errorf("%q: %v", redactServer(raw), err)
	}
	return srv, nil
}

// redactServer hides the password of a server string for messages.
func redactServer(raw string) string {
	at := strings.LastIndexByte(raw, '@')
	if at < 0 {
		return raw
	}
	head := raw[:at]
	scheme, creds, _ := strings.Cut(head, ":")
	prefix := ""
	if strings.HasPrefix(creds, "//") {
		prefix, creds = "//", creds[2:]
	}
	user, _, _ := strings.Cut(creds, ":")
	return scheme + ":" + prefix + user + ":***" + raw[at:]
}

// CheckICEServer checks a STUN (turn false) or TURN (turn true) server
// string as Config takes it, for configuration front ends that report
// every problem at once. The error never contains the password.
func CheckICEServer(raw string, turn bool) error {
	_, err := parseICEServer(raw, turn)
	return err
}
