package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Phase names accepted by --phases.
const (
	phasePut      = "put"
	phaseGet      = "get"
	phaseDelivery = "delivery"
)

// Delivery modes accepted by --delivery.
const (
	deliveryAuto = "auto" // enhanced fan-out if the endpoint supports it, else polling
	deliveryEFO  = "efo"  // enhanced fan-out only; fail if unsupported
	deliveryPoll = "poll" // GetRecords polling only
)

// minRecordSize is the smallest payload that holds the record header
// (see payload.go).
const minRecordSize = headerSize

// config is the whole run's configuration, filled from flags and checked
// once by validate.
type config struct {
	Endpoint       string        // base URL of the KDS endpoint; required
	ReadEndpoint   string        // get and delivery readers; "" = Endpoint
	Stream         string        // stream name; created if missing
	Shards         int           // shard count used when creating the stream
	Producers      int           // PutRecords goroutines
	Duration       time.Duration // put phase length (unless Records > 0)
	Records        int64         // total records to put; 0 = use Duration
	MaxRecords     int64         // safety cap on records in Duration mode
	Batch          int           // records per PutRecords call (1..500)
	RecordSize     int           // payload bytes per record
	GetLimit       int           // GetRecords Limit
	LatencySamples int           // records put in the delivery phase
	LatencyRate    int           // delivery records per second
	Delivery       string        // auto | efo | poll
	EFOClient      string        // sdk | raw: who reads SubscribeToShard
	PollSleep      time.Duration // sleep after an empty poll; 0 = none
	Grace          time.Duration // wait for stragglers after the last delivery put
	Phases         []string      // subset of put, get, delivery, in run order
	Out            string        // file the figures are appended to; "" = none
	Label          string        // free text naming the run in the report
	Timeout        time.Duration // hard bound on the whole run
	AllowRemote    bool          // accept a non-loopback endpoint
	DeleteStream   bool          // delete the stream at the end
}

// has reports whether phase p is to run.
func (c *config) has(p string) bool { return slices.Contains(c.Phases, p) }

// validate reports every configuration error at once, each naming its flag.
func (c *config) validate() error {
	var errs []error
	bad := func(flag, format string, a ...any) {
		errs = append(errs, fmt.Errorf("--%s: %s", flag, fmt.Sprintf(format, a...)))
	}
	if c.Endpoint == "" {
		bad("endpoint", "required (e.g. http://127.0.0.1:4567)")
	} else if err := checkEndpoint(c.Endpoint, c.AllowRemote); err != nil {
		bad("endpoint", "%v", err)
	}
	if c.ReadEndpoint != "" {
		if err := checkEndpoint(c.ReadEndpoint, c.AllowRemote); err != nil {
			bad("read-endpoint", "%v", err)
		}
	}
	if c.Stream == "" {
		bad("stream", "must not be empty")
	}
	if c.Shards < 1 {
		bad("shards", "must be >= 1, got %d", c.Shards)
	}
	if c.Producers < 1 {
		bad("producers", "must be >= 1, got %d", c.Producers)
	}
	if c.Records < 0 {
		bad("records", "must be >= 0, got %d", c.Records)
	}
	if c.Records == 0 && c.Duration <= 0 {
		bad("duration", "must be > 0 when --records is not given, got %v", c.Duration)
	}
	if c.MaxRecords < 1 {
		bad("max-records", "must be >= 1, got %d", c.MaxRecords)
	}
	if c.Batch < 1 || c.Batch > 500 {
		bad("batch", "must be 1..500 (the PutRecords limit), got %d", c.Batch)
	}
	if c.RecordSize < minRecordSize || c.RecordSize > 1<<20 {
		bad("record-size", "must be %d..1048576 bytes, got %d", minRecordSize, c.RecordSize)
	}
	if c.GetLimit < 1 || c.GetLimit > 10000 {
		bad("get-limit", "must be 1..10000, got %d", c.GetLimit)
	}
	if c.LatencySamples < 1 {
		bad("latency-samples", "must be >= 1, got %d", c.LatencySamples)
	}
	if c.LatencyRate < 1 || c.LatencyRate > 10000 {
		bad("latency-rate", "must be 1..10000 records/s, got %d", c.LatencyRate)
	}
	switch c.Delivery {
	case deliveryAuto, deliveryEFO, deliveryPoll:
	default:
		bad("delivery", "must be auto, efo or poll, got %q", c.Delivery)
	}
	if c.EFOClient != efoClientSDK && c.EFOClient != efoClientRaw {
		bad("efo-client", "must be sdk or raw, got %q", c.EFOClient)
	}
	if c.PollSleep < 0 {
		bad("poll-sleep", "must be >= 0, got %v", c.PollSleep)
	}
	if c.Grace < 0 {
		bad("grace", "must be >= 0, got %v", c.Grace)
	}
	if len(c.Phases) == 0 {
		bad("phases", "must name at least one of put, get, delivery")
	}
	for _, p := range c.Phases {
		if p != phasePut && p != phaseGet && p != phaseDelivery {
			bad("phases", "unknown phase %q (want put, get, delivery)", p)
		}
	}
	if c.Timeout <= 0 {
		bad("timeout", "must be > 0, got %v", c.Timeout)
	}
	return errors.Join(errs...)
}

// parsePhases splits a comma-separated phase list and puts it in run order.
func parsePhases(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	order := map[string]int{phasePut: 0, phaseGet: 1, phaseDelivery: 2}
	slices.SortStableFunc(out, func(a, b string) int {
		oa, oka := order[a]
		ob, okb := order[b]
		if !oka {
			oa = 3
		}
		if !okb {
			ob = 3
		}
		return oa - ob
	})
	return out
}

// checkEndpoint accepts an http(s) URL whose host is a loopback address (or
// a name resolving only to loopback addresses) unless allowRemote is set.
func checkEndpoint(raw string, allowRemote bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme must be http or https, got %q", u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return errors.New("no host")
	}
	if allowRemote {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			return fmt.Errorf("%s is not a loopback address (pass --allow-remote to target it)", host)
		}
		return nil
	}
	ips, err := net.LookupIP(host)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", host, err)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("%s resolves to non-loopback %s (pass --allow-remote to target it)", host, ip)
		}
	}
	return nil
}
