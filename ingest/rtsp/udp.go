package rtsp

import (
	"errors"
	"net"
	"strconv"
)

// udpPair is the UDP RTP/RTCP listener pair handed to gortsplib. With a
// port 0 in the configuration it holds two sockets bound on consecutive
// free ports (even RTP, odd RTCP); gortsplib gets them through its
// ListenPacket hook, so there is no window where another process could
// take the ports.
type udpPair struct {
	rtpAddr, rtcpAddr string
	rtp, rtcp         net.PacketConn // pre-bound sockets, nil once handed out
}

// maxPairTries bounds the search for a free even/odd port pair.
const maxPairTries = 64

// bindUDP prepares the pair for rtpAddr and rtcpAddr (already checked).
func bindUDP(rtpAddr, rtcpAddr string) (*udpPair, error) {
	host, port, err := splitPort(rtpAddr)
	if err != nil {
		return nil, err
	}
	if port != 0 {
		return &udpPair{rtpAddr: rtpAddr, rtcpAddr: rtcpAddr}, nil
	}
	network := "udp"
	if host == "0.0.0.0" {
		network = "udp4" // as gortsplib does
	}
	for range maxPairTries {
		a, err := net.ListenPacket(network, net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, err
		}
		p := a.LocalAddr().(*net.UDPAddr).Port
		if p%2 != 0 || p >= 65535 {
			a.Close()
			continue
		}
		b, err := net.ListenPacket(network, net.JoinHostPort(host, strconv.Itoa(p+1)))
		if err != nil {
			a.Close()
			continue
		}
		return &udpPair{
			rtpAddr:  net.JoinHostPort(host, strconv.Itoa(p)),
			rtcpAddr: net.JoinHostPort(host, strconv.Itoa(p+1)),
			rtp:      a,
			rtcp:     b,
		}, nil
	}
	return nil, errors.New("no free even/odd UDP port pair found")
}

// listenPacket is gortsplib's ListenPacket hook: it hands out the
// pre-bound sockets, and binds anything else normally.
func (u *udpPair) listenPacket(network, address string) (net.PacketConn, error) {
	switch {
	case u.rtp != nil && address == u.rtpAddr:
		c := u.rtp
		u.rtp = nil
		return c, nil
	case u.rtcp != nil && address == u.rtcpAddr:
		c := u.rtcp
		u.rtcp = nil
		return c, nil
	}
	return net.ListenPacket(network, address)
}

// closeUnused closes the sockets that gortsplib did not take (it failed
// to start before binding them).
func (u *udpPair) closeUnused() {
	for _, c := range []net.PacketConn{u.rtp, u.rtcp} {
		if c != nil {
			c.Close()
		}
	}
	u.rtp, u.rtcp = nil, nil
}
