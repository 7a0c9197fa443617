package webrtc

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// listen binds the ICE sockets: the UDP mux on cfg.Addr and, when set, the
// TCP mux on cfg.TCPAddr.
func (s *Server) listen() error {
	host, portStr, _ := net.SplitHostPort(s.cfg.Addr)
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("webrtc: Addr %q: bad port", s.cfg.Addr)
	}
	logs := pionLogs{log: s.log}
	ip := net.ParseIP(host)
	if host != "" && ip == nil {
		ips, err := net.LookupIP(host)
		if err != nil || len(ips) == 0 {
			return fmt.Errorf("webrtc: Addr %q: %v", s.cfg.Addr, err)
		}
		ip = ips[0]
	}
	if ip != nil && !ip.IsUnspecified() {
		conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: port})
		if err != nil {
			return fmt.Errorf("webrtc: ICE UDP: %w", err)
		}
		s.udpMux = ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: conn, Logger: logs.NewLogger("udpmux")})
		s.udpAddrs = []net.Addr{conn.LocalAddr()}
	} else {
		if port == 0 {
			return fmt.Errorf("webrtc: Addr %q: port 0 needs a specific host (every local address must share one port)", s.cfg.Addr)
		}
		networks := []ice.NetworkType{ice.NetworkTypeUDP4, ice.NetworkTypeUDP6}
		if ip != nil && ip.To4() != nil {
			networks = networks[:1]
		}
		mux, err := ice.NewMultiUDPMuxFromPort(port, ice.UDPMuxFromPortWithLoopback(),
			ice.UDPMuxFromPortWithNetworks(networks...), ice.UDPMuxFromPortWithLogger(logs.NewLogger("udpmux")))
		if err != nil {
			return fmt.Errorf("webrtc: ICE UDP: %w", err)
		}
		s.udpMux = mux
		s.udpAddrs = mux.GetListenAddresses()
	}
	if s.cfg.TCPAddr != "" {
		ln, err := net.Listen("tcp", s.cfg.TCPAddr)
		if err != nil {
			_ = s.udpMux.Close()
			return fmt.Errorf("webrtc: ICE TCP: %w", err)
		}
		s.tcpLn = ln
		s.tcpMux = webrtc.NewICETCPMux(logs.NewLogger("tcpmux"), ln, 8)
	}
	return nil
}

// newAPI builds the one pion API every session uses: the codecs (see
// codecs.go), pion's default interceptors (NACK both ways, RTCP reports,
// TWCC feedback so that browsers' bandwidth estimation ramps up), and the
// network settings.
func (s *Server) newAPI() (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	video, audio := registeredCodecs()
	for _, c := range video {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, err
		}
	}
	for _, c := range audio {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			return nil, err
		}
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptorsWithOptions(m, ir, webrtc.WithInterceptorLoggerFactory(pionLogs{log: s.log})); err != nil {
		return nil, err
	}
	var se webrtc.SettingEngine
	se.LoggerFactory = pionLogs{log: s.log}
	se.SetICEUDPMux(s.udpMux)
	networks := []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}
	if s.tcpMux != nil {
		se.SetICETCPMux(s.tcpMux)
		networks = append(networks, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6)
	}
	se.SetNetworkTypes(networks)
	if len(s.cfg.PublicIPs) > 0 {
		se.SetNAT1To1IPs(s.cfg.PublicIPs, webrtc.ICECandidateTypeHost)
	}
	se.SetIncludeLoopbackCandidate(true)
	// No mDNS: it would open a multicast socket per session. Browsers'
	// ".local" candidates are not needed: they reach our host candidates,
	// and pion learns their address from their checks.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// ICE reports "disconnected" after min(5s, DisconnectTimeout) without
	// traffic; the session closes DisconnectTimeout later (or at failure).
	se.SetICETimeouts(min(5*time.Second, s.cfg.DisconnectTimeout), s.cfg.DisconnectTimeout, 2*time.Second)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}
