package rtsp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
)

// TestOutbound: addresses are checked at every connection, names are
// resolved each time (a rebinding answer is caught), and the connection
// goes to the checked address.
func TestOutbound(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())

	answers := map[string][][]netip.Addr{
		"cam.test":    {{netip.MustParseAddr("127.0.0.1")}, {netip.MustParseAddr("169.254.169.254")}}, // rebinds
		"mixed.test":  {{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("10.0.0.1")}},
		"mapped.test": {{netip.MustParseAddr("::ffff:127.0.0.1")}},
	}
	o := outbound{allow: LoopbackNets(), lookup: func(_ context.Context, _, host string) ([]netip.Addr, error) {
		a := answers[host]
		if len(a) == 0 {
			return nil, errors.New("no such host")
		}
		answers[host] = a[1:]
		if len(a) == 1 {
			answers[host] = a
		}
		return a[0], nil
	}}
	ctx := context.Background()
	dial := func(host string) error {
		c, err := o.dial(ctx, "tcp", net.JoinHostPort(host, port))
		if err == nil {
			c.Close()
		}
		return err
	}
	for _, host := range []string{"127.0.0.1", "::1", "cam.test", "mapped.test"} {
		if err := dial(host); err != nil && !(host == "::1" && !errors.Is(err, ErrOutboundRefused)) {
			t.Errorf("%s: %v", host, err)
		}
	}
	for _, host := range []string{"cam.test" /* second answer */, "mixed.test", "192.0.2.1", "::ffff:10.1.1.1", "169.254.169.254"} {
		err := dial(host)
		var oe *OutboundError
		if !errors.Is(err, ErrOutboundRefused) || !errors.As(err, &oe) {
			t.Errorf("%s: %v, want ErrOutboundRefused", host, err)
		}
	}
	if err := o.checkLiteral("[2001:db8::1]"); !errors.Is(err, ErrOutboundRefused) {
		t.Errorf("checkLiteral(2001:db8::1) = %v", err)
	}
	if err := o.checkLiteral("cam.test"); err != nil {
		t.Errorf("checkLiteral(name) = %v; names are checked when connecting", err)
	}
	if err := (outbound{}).checkLiteral("192.0.2.1"); err != nil {
		t.Errorf("no allow list: %v", err)
	}
}

// TestPullerOutboundConfig: Add refuses a literal outside the allow list,
// and a bad network is a config error.
func TestPullerOutboundConfig(t *testing.T) {
	t.Parallel()
	p := NewPuller(PullerConfig{OutboundAllow: LoopbackNets()}, nil)
	defer p.Close()
	if err := p.Add(Camera{Stream: "c", URL: "rtsp://user:pw@10.0.0.7/live"}); !errors.Is(err, ErrOutboundRefused) {
		t.Errorf("Add(10.0.0.7) = %v, want ErrOutboundRefused", err)
	}
	bad := NewPuller(PullerConfig{OutboundAllow: []netip.Prefix{{}}}, nil)
	if err := bad.Add(Camera{Stream: "c", URL: "rtsp://127.0.0.1/live"}); err == nil {
		t.Error("a zero network was accepted")
	}
}
