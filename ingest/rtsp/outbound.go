package rtsp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/bluenviron/gortsplib/v4/pkg/base"
	"github.com/bluenviron/gortsplib/v4/pkg/headers"
)

// ErrOutboundRefused: a camera's host is, or resolves to, an address
// outside PullerConfig.OutboundAllow. Errors matching it are
// *OutboundError.
var ErrOutboundRefused = errors.New("rtsp: camera address not allowed")

// OutboundError is a camera connection refused by
// PullerConfig.OutboundAllow; it matches ErrOutboundRefused.
type OutboundError struct {
	// Host is the camera's host as given (a name or an address).
	Host string
	// Addr is the address that is not allowed.
	Addr netip.Addr
}

func (e *OutboundError) Error() string {
	if e.Host == e.Addr.String() {
		return fmt.Sprintf("rtsp: camera address %s is outside the allowed outbound networks", e.Addr)
	}
	return fmt.Sprintf("rtsp: camera host %q resolves to %s, which is outside the allowed outbound networks", e.Host, e.Addr)
}

func (e *OutboundError) Is(target error) bool { return target == ErrOutboundRefused }

// LoopbackNets are the loopback networks, 127.0.0.0/8 and ::1/128: the
// outbound allow list of an open server (no access keys).
func LoopbackNets() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}

// outbound checks the addresses the puller connects to. A nil allow list
// allows every address (and resolves nothing itself).
type outbound struct {
	allow  []netip.Prefix
	lookup func(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// restricted reports whether some addresses are refused.
func (o outbound) restricted() bool { return o.allow != nil }

// allowed reports whether a may be connected to.
func (o outbound) allowed(a netip.Addr) bool {
	if !o.restricted() {
		return true
	}
	a = a.Unmap().WithZone("")
	for _, p := range o.allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// check resolves host (a name, or an address literal) and returns its
// addresses, or an *OutboundError when any of them is not allowed (a
// name that resolves to one allowed and one refused address is refused:
// which one a connection would use is not ours to choose).
func (o outbound) check(ctx context.Context, host string) ([]netip.Addr, error) {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		if addrs, err = o.lookup(ctx, "ip", host); err != nil {
			return nil, fmt.Errorf("rtsp: resolving camera host %q: %w", host, err)
		}
	}
	for _, a := range addrs {
		if !o.allowed(a) {
			return nil, &OutboundError{Host: host, Addr: a.Unmap().WithZone("")}
		}
	}
	return addrs, nil
}

// checkLiteral refuses a host that is an address literal outside the
// allow list (names are checked when connecting: what they resolve to
// then is what counts).
func (o outbound) checkLiteral(host string) error {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if a, err := netip.ParseAddr(host); err == nil && !o.allowed(a) {
		return &OutboundError{Host: host, Addr: a.Unmap().WithZone("")}
	}
	return nil
}

// dial is the RTSP client's DialContext: it resolves the host at every
// connection (DNS answers change: rebinding), checks every address, and
// connects to a checked address, never to the name again.
func (o outbound) dial(ctx context.Context, network, address string) (net.Conn, error) {
	var d net.Dialer
	if !o.restricted() {
		return d.DialContext(ctx, network, address)
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	addrs, err := o.check(ctx, host)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, a := range addrs {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// checkSource refuses a SETUP answer whose Transport header names a
// source address outside the allow list (the client would send its UDP
// packets there).
func (o outbound) checkSource(res *base.Response) error {
	var th headers.Transport
	if !o.restricted() || res == nil || th.Unmarshal(res.Header["Transport"]) != nil || th.Source == nil {
		return nil
	}
	if a, ok := netip.AddrFromSlice(*th.Source); ok && !o.allowed(a) {
		return &OutboundError{Host: a.Unmap().String(), Addr: a.Unmap()}
	}
	return nil
}
