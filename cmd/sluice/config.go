package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	ingestwebrtc "github.com/sluice-dev/sluice/ingest/webrtc"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/web"

	"github.com/sluice-dev/sluice/web/auth"
)

// config is every setting of the server. Only this package knows about
// flags, environment and files; components get plain Config structs.
type config struct {
	ConfigFile string

	DataDir   string
	HTTPAddr  string
	PublicURL string

	NATSURL    string
	NATSCreds  string
	NATSTLSCA  string
	NATSCert   string
	NATSKey    string
	Replicas   int
	Durability string
	NodeName   string
	LeaseTTL   time.Duration

	Region           string
	AccountID        string
	ThroughputLimits bool
	MaxShards        int
	OnDemandShards   int
	OnDemandWindow   time.Duration

	Storage             string
	RTSPAddr            string
	RTSPUDPRTPAddr      string
	RTSPUDPRTCPAddr     string
	RTSPUDP             bool
	AutoCreate          bool
	AutoCreateRetention int
	FragmentDuration    time.Duration
	FragmentMaxDuration time.Duration
	PartDuration        time.Duration
	SweepInterval       time.Duration
	Cameras             stringList
	OutboundAllow       stringList
	CORSOrigins         stringList
	ArchiveMode         string
	SpoolMaxBytes       int64
	ObjectDuration      time.Duration
	LiveCacheMaxBytes   int64
	// outboundNets are the networks of --outbound-allow (set by
	// validate); nil when not given.
	outboundNets []netip.Prefix

	WebRTCAddr      string
	WebRTCTCPAddr   string
	WebRTCPublicIPs stringList
	WebRTCSTUN      stringList
	WebRTCTURN      stringList

	LogFormat string
	LogLevel  string
	Pprof     bool

	TLSCert   string
	TLSKey    string
	RTSPSAddr string
	// certs holds the loaded certificate (validate; SIGHUP reloads it),
	// nil without --tls-cert.
	certs *certHolder

	AccessKeys     secretList
	AccessKeysFile string
	InsecureNoAuth bool
	// keys are the access keys of --access-key and --access-keys-file, set by validate.
	keys []auth.Key
	// openNotes says which listeners were moved to loopback because no
	// access keys are configured (logged at start).
	openNotes []string

	ShutdownTimeout time.Duration
}

var errHelp = errors.New("help requested")

// durability settings: what an acknowledged write survives.
const (
	durabilityProcess = "process" // in the OS page cache: survives a process crash or kill
	durabilityFsync   = "fsync"   // fsynced before the ack: survives power loss
)

func newFlagSet(c *config) *flag.FlagSet {
	fs := flag.NewFlagSet("sluice serve", flag.ContinueOnError)
	fs.StringVar(&c.ConfigFile, "config", "", "YAML file of settings; keys are flag names (env SLUICE_CONFIG)")
	fs.StringVar(&c.DataDir, "data-dir", "./data", "directory for the embedded JetStream store and the local archive")
	fs.StringVar(&c.HTTPAddr, "http-addr", ":8080", "listen address of the HTTP API, UI, metrics and health endpoints")
	fs.StringVar(&c.PublicURL, "public-url", "", "base URL clients reach this server at, returned by the APIs (default: from --http-addr, e.g. http://127.0.0.1:8080)")
	fs.StringVar(&c.NATSURL, "nats-url", "", "external NATS server or cluster URL(s), comma separated; empty runs JetStream embedded in the data dir")
	fs.StringVar(&c.NATSCreds, "nats-creds", "", "NATS credentials file (JWT and NKey seed, as nsc writes it) for --nats-url")
	fs.StringVar(&c.NATSTLSCA, "nats-tls-ca", "", "PEM CA certificates that sign the NATS servers' certificates (TLS to --nats-url)")
	fs.StringVar(&c.NATSCert, "nats-tls-cert", "", "PEM client certificate for NATS servers that verify clients (with --nats-tls-key)")
	fs.StringVar(&c.NATSKey, "nats-tls-key", "", "PEM key of --nats-tls-cert")
	fs.DurationVar(&c.LeaseTTL, "lease-ttl", 10*time.Second, "cluster: how long a node's leases (the streams it records, the cameras it pulls) outlive it before another node takes them over; renewed every third of it; whole seconds")
	fs.StringVar(&c.NodeName, "node-name", "", "this node's name in a cluster: logs, leases, /api/v1/cluster (default: the host name); letters, digits, '-', '_' and '.'")
	fs.IntVar(&c.Replicas, "replicas", 1, "JetStream replicas of every shard and of the metadata (needs an external cluster of at least that many servers above 1)")
	fs.StringVar(&c.Durability, "durability", durabilityProcess, "embedded JetStream: 'process' (an acknowledged write survives a process crash or kill; the disk is synced every 2 minutes) or 'fsync' (every write is fsynced before it is acknowledged: survives power loss, much slower)")
	fs.StringVar(&c.Region, "region", "us-east-1", "AWS region that ARNs and endpoints name")
	fs.StringVar(&c.AccountID, "account-id", "000000000000", "12-digit account id that ARNs name")
	fs.BoolVar(&c.ThroughputLimits, "throughput-limits", true, "enforce the Kinesis per-shard limits (1 MiB/s or 1,000 records/s in; 2 MiB/s and 5 reads/s out), per node")
	fs.IntVar(&c.MaxShards, "max-shards", 1000, "account shard limit (DescribeLimits ShardLimit)")
	fs.IntVar(&c.OnDemandShards, "on-demand-shards", 4, "open shards an ON_DEMAND stream starts with, and the least that on-demand scaling merges it down to")
	fs.DurationVar(&c.OnDemandWindow, "on-demand-window", 5*time.Minute, "evaluation window of on-demand scaling: a shard of an ON_DEMAND stream whose writes stay above half the per-shard limit for a whole window is split; two adjacent shards below a tenth of it for 3 windows are merged (down to --on-demand-shards); one node of a cluster scales at a time")
	fs.StringVar(&c.Storage, "storage", "", "archive for video: file:///abs/dir or s3://bucket/prefix?endpoint=URL&region=R&path-style=true (credentials from the AWS chain); empty = <data-dir>/archive")
	fs.StringVar(&c.RTSPAddr, "rtsp-addr", ":8554", "RTSP listener (TCP) for publishers: rtsp://host:port/<stream>")
	fs.StringVar(&c.RTSPUDPRTPAddr, "rtsp-udp-rtp-addr", ":8000", "UDP address for RTP of RTSP publishers using UDP transport (even port)")
	fs.StringVar(&c.RTSPUDPRTCPAddr, "rtsp-udp-rtcp-addr", ":8001", "UDP address for RTCP of RTSP publishers using UDP transport (the RTP port + 1; empty when the RTP port is 0, which picks a free pair)")
	fs.BoolVar(&c.RTSPUDP, "rtsp-udp", true, "accept the UDP transport for RTSP publishers (TCP is always accepted)")
	fs.BoolVar(&c.AutoCreate, "auto-create", true, "publishing to an unknown video stream creates it; when false the stream must be created first (createStream)")
	fs.IntVar(&c.AutoCreateRetention, "auto-create-retention", 24, "retention in hours of video streams created on publish (0 = live only, nothing archived)")
	fs.DurationVar(&c.FragmentDuration, "fragment-duration", 2*time.Second, "target fragment duration: a fragment closes at the first keyframe after it")
	fs.DurationVar(&c.FragmentMaxDuration, "fragment-max-duration", 20*time.Second, "hard cap: a fragment closes here even without a keyframe (players cannot start in the next one until its keyframe)")
	fs.DurationVar(&c.PartDuration, "part-duration", 200*time.Millisecond, "duration of live-edge parts (LL-HLS); players hold back three parts, so 100ms lowers hls.js latency from ~0.9 s to ~0.6 s at twice the part requests")
	fs.Var(&c.Cameras, "camera", "camera to pull, repeatable: stream=rtsp://[user:pass@]host[:port]/path, optionally ending #tcp or #udp (default: UDP, then TCP); env/YAML: space-separated or a list")
	fs.Var(&c.CORSOrigins, "cors-origins", "web origins (scheme://host[:port], comma- or space-separated, repeatable) whose pages may call the Kinesis Data Streams and Video Streams APIs from a browser (preflights answered, Access-Control headers on every answer). Default none. An approved origin lets any page of it send requests signed with the keys it holds; \"*\" allows every origin and must be given explicitly")
	fs.Var(&c.OutboundAllow, "outbound-allow", "network (CIDR, or an address) that pulled cameras may be connected to, repeatable; every address a camera's host resolves to is checked at each connection. Default: with access keys any address (an admin adding a camera is trusted); without keys loopback only (127.0.0.0/8, ::1), since any web page could add a camera (give 0.0.0.0/0 and ::/0 to allow all)")
	fs.DurationVar(&c.ObjectDuration, "archive-object-duration", 0, "pack consecutive fragments of a stream into archive objects of about this duration (e.g. 60s: one PUT a minute per camera instead of one per fragment; they wait in the spool until the object is complete, and play from there meanwhile); 0 = one object per fragment")
	fs.Int64Var(&c.LiveCacheMaxBytes, "live-cache-max-bytes", 256<<20, "bound of the groups of pictures cached in memory for new WebRTC viewers of streams mirrored from another node (a stream recorded here caches nothing: a new viewer starts from its parts), all streams together; past it a stream keeps only its last keyframe (a new viewer then waits for the next one to see smooth video)")
	fs.Int64Var(&c.SpoolMaxBytes, "spool-max-bytes", 0, "cap of the local spool (<data-dir>/spool) where fragments wait for the archive bucket; 0 = a quarter of the disk's free space at start (at least 64 MiB). When full, the oldest unsent fragments of the stream with the most spooled are dropped, each logged and counted")
	fs.StringVar(&c.ArchiveMode, "archive-mode", "private", "who may read archived video and the data directory: 'private' (files 0600, directories 0700: the server's user) or 'group' (0640, 0750: its group too)")
	fs.StringVar(&c.WebRTCAddr, "webrtc-addr", ":8189", "UDP address of the ICE mux that every WebRTC session shares (WHIP publishers at /whip/<stream>, WHEP viewers at /whep/<stream>); empty turns WebRTC off")
	fs.StringVar(&c.WebRTCTCPAddr, "webrtc-tcp-addr", "", "TCP address for ICE over TCP, for clients whose networks block UDP; empty: UDP only")
	fs.Var(&c.WebRTCPublicIPs, "webrtc-public-ip", "IP announced in ICE host candidates instead of the local addresses (1:1 NAT, with the --webrtc-addr port forwarded), repeatable")
	fs.Var(&c.WebRTCSTUN, "webrtc-stun", "STUN server for server-reflexive candidates, stun:host:port, repeatable (behind a port-forwarding NAT prefer --webrtc-public-ip)")
	fs.Var(&c.WebRTCTURN, "webrtc-turn", "TURN server for relayed candidates, turn:user:pass@host:port or turns:user:pass@host:port?transport=tcp, repeatable; the password is never logged")
	fs.DurationVar(&c.SweepInterval, "sweep-interval", 5*time.Minute, "how often the retention sweeper deletes expired and orphaned media")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.Var(&c.AccessKeys, "access-key", "full-access key ID:SECRET, repeatable (env SLUICE_ACCESS_KEY: space-separated); AWS clients sign with it (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), RTSP clients use it as user:password")
	fs.StringVar(&c.AccessKeysFile, "access-keys-file", "", "YAML or JSON file of access keys with policies: a list of {id, secret, streams: [name patterns], actions: [read|write|admin|kinesis:PutRecord|kinesisvideo:*|...]}")
	fs.BoolVar(&c.InsecureNoAuth, "insecure-no-auth", false, "serve with no access keys on non-loopback addresses: anyone who reaches a port can read, write and delete every stream (without keys and without this flag, listeners on all interfaces are bound to 127.0.0.1 instead, and explicit non-loopback addresses are refused)")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "PEM certificate (chain) file: serve HTTPS instead of HTTP on --http-addr (API, UI, HLS, WHIP/WHEP) and RTSPS on --rtsps-addr; needs --tls-key")
	fs.StringVar(&c.TLSKey, "tls-key", "", "PEM private key file of --tls-cert")
	fs.StringVar(&c.RTSPSAddr, "rtsps-addr", ":8322", "RTSPS listener (RTSP over TLS, TCP transport) for publishers, served only with --tls-cert: rtsps://host:port/<stream>; empty turns it off")
	fs.BoolVar(&c.Pprof, "pprof", false, "serve Go's profiler at /debug/pprof/ on the HTTP listener (for benchmarking; exposes internals)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long a graceful shutdown waits for requests to finish")
	return fs
}

// loadConfig applies, lowest precedence first: defaults, the YAML file,
// the environment (SLUICE_<FLAG>), the command line. It validates the result
// and reports every problem at once.
func loadConfig(args []string, getenv func(string) string) (config, error) {
	var c config
	fs := newFlagSet(&c)
	fs.SetOutput(os.Stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, errHelp
		}
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })

	var errs []error
	file := c.ConfigFile
	if file == "" && !onCommandLine["config"] {
		file = getenv(envName("config"))
	}
	fileValues := map[string]string{}
	if file != "" {
		var err error
		if fileValues, err = readYAML(file); err != nil {
			return c, err
		}
	}
	for name := range fileValues {
		if fs.Lookup(name) == nil || name == "config" {
			errs = append(errs, fmt.Errorf("%s: unknown setting %q", file, name))
		}
	}
	fs.VisitAll(func(f *flag.Flag) {
		if onCommandLine[f.Name] || f.Name == "config" {
			return
		}
		if v, ok := lookupEnv(getenv, envName(f.Name)); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %v", envName(f.Name), err))
			}
		} else if v, ok := fileValues[f.Name]; ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %v", file, f.Name, err))
			}
		}
	})
	errs = append(errs, c.validate()...)
	if len(errs) > 0 {
		return c, fmt.Errorf("invalid configuration:\n  %w", joinIndented(errs))
	}
	if c.PublicURL == "" {
		c.PublicURL = defaultPublicURL(c.HTTPAddr, c.certs != nil)
	}
	return c, nil
}

func (c *config) validate() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("--%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.DataDir == "" {
		bad("data-dir", "must not be empty")
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		bad("http-addr", "%v", err)
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("public-url", "must be an absolute http(s) URL, got %q", c.PublicURL)
		}
	}
	var origins []string
	for _, v := range c.CORSOrigins {
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o == "" {
				continue
			}
			if err := web.CheckOrigin(o); err != nil {
				bad("cors-origins", "%v", err)
			}
			origins = append(origins, o)
		}
	}
	c.CORSOrigins = origins
	if c.NATSURL != "" {
		for _, s := range strings.Split(c.NATSURL, ",") {
			if u, err := url.Parse(strings.TrimSpace(s)); err != nil || u.Host == "" {
				bad("nats-url", "%q is not a URL like nats://host:4222", s)
			}
		}
	}
	for _, f := range []struct{ key, path string }{{"nats-creds", c.NATSCreds}, {"nats-tls-ca", c.NATSTLSCA}, {"nats-tls-cert", c.NATSCert}, {"nats-tls-key", c.NATSKey}} {
		if f.path == "" {
			continue
		}
		if c.NATSURL == "" {
			bad(f.key, "applies to an external NATS cluster (--nats-url)")
		} else if _, err := os.Stat(f.path); err != nil {
			bad(f.key, "%v", err)
		}
	}
	if (c.NATSCert == "") != (c.NATSKey == "") {
		bad("nats-tls-cert", "--nats-tls-cert and --nats-tls-key go together")
	}
	if c.NodeName == "" {
		c.NodeName, _ = os.Hostname()
	}
	if !validNodeName(c.NodeName) {
		bad("node-name", "%q: 1 to 64 letters, digits, '-', '_' or '.'", c.NodeName)
	}
	if c.LeaseTTL < time.Second || c.LeaseTTL%time.Second != 0 {
		bad("lease-ttl", "must be whole seconds, at least 1s, got %s", c.LeaseTTL)
	}
	if c.Replicas < 1 || c.Replicas > 5 {
		bad("replicas", "must be 1 to 5, got %d", c.Replicas)
	}
	if c.Replicas > 1 && c.NATSURL == "" {
		bad("replicas", "above 1 needs --nats-url (an external cluster)")
	}
	if c.Durability != durabilityProcess && c.Durability != durabilityFsync {
		bad("durability", "must be %q or %q, got %q", durabilityProcess, durabilityFsync, c.Durability)
	}
	if c.Durability == durabilityFsync && c.NATSURL != "" {
		bad("durability", "applies to the embedded server; set sync_always on the external NATS servers instead")
	}
	if c.Region == "" {
		bad("region", "must not be empty")
	}
	if len(c.AccountID) != 12 || strings.Trim(c.AccountID, "0123456789") != "" {
		bad("account-id", "must be 12 digits, got %q", c.AccountID)
	}
	if c.MaxShards < 1 {
		bad("max-shards", "must be at least 1")
	}
	if c.OnDemandWindow < time.Second {
		bad("on-demand-window", "must be at least 1s, got %v", c.OnDemandWindow)
	}
	if c.OnDemandShards < 1 || c.OnDemandShards > 64 {
		bad("on-demand-shards", "must be 1 to 64")
	}
	if c.Storage != "" && !strings.HasPrefix(c.Storage, "file://") && !strings.HasPrefix(c.Storage, "s3://") {
		bad("storage", "must be file:///abs/dir or s3://bucket/prefix?..., got %q", c.Storage)
	}
	for key, addr := range map[string]string{"rtsp-addr": c.RTSPAddr, "rtsp-udp-rtp-addr": c.RTSPUDPRTPAddr, "rtsp-udp-rtcp-addr": c.RTSPUDPRTCPAddr} {
		if _, _, err := net.SplitHostPort(addr); err != nil && !(key == "rtsp-udp-rtcp-addr" && addr == "") {
			bad(key, "%v", err)
		}
	}
	for key, addr := range map[string]string{"webrtc-addr": c.WebRTCAddr, "webrtc-tcp-addr": c.WebRTCTCPAddr} {
		if _, _, err := net.SplitHostPort(addr); addr != "" && err != nil {
			bad(key, "%v", err)
		}
	}
	for _, ip := range c.WebRTCPublicIPs {
		if net.ParseIP(ip) == nil {
			bad("webrtc-public-ip", "%q is not an IP address", ip)
		}
	}
	for _, v := range c.WebRTCSTUN {
		if err := ingestwebrtc.CheckICEServer(v, false); err != nil {
			bad("webrtc-stun", "%v", err)
		}
	}
	for _, v := range c.WebRTCTURN {
		if err := ingestwebrtc.CheckICEServer(v, true); err != nil {
			bad("webrtc-turn", "%v", err) // never echoes the password
		}
	}
	if c.AutoCreateRetention < 0 || c.AutoCreateRetention > 87600 {
		bad("auto-create-retention", "must be 0 to 87600 hours, got %d", c.AutoCreateRetention)
	}
	if c.FragmentDuration <= 0 || c.FragmentMaxDuration < c.FragmentDuration {
		bad("fragment-duration", "must be positive and at most --fragment-max-duration (%v), got %v", c.FragmentMaxDuration, c.FragmentDuration)
	}
	if c.PartDuration <= 0 || c.PartDuration > c.FragmentDuration {
		bad("part-duration", "must be positive and at most --fragment-duration, got %v", c.PartDuration)
	}
	if c.ObjectDuration < 0 || c.ObjectDuration > time.Hour {
		bad("archive-object-duration", "must be between 0 and 1h, got %v", c.ObjectDuration)
	}
	if c.LiveCacheMaxBytes <= 0 {
		bad("live-cache-max-bytes", "must be positive, got %d", c.LiveCacheMaxBytes)
	}
	if c.SpoolMaxBytes < 0 {
		bad("spool-max-bytes", "must not be negative, got %d", c.SpoolMaxBytes)
	}
	if c.SweepInterval < time.Second {
		bad("sweep-interval", "must be at least 1s, got %v", c.SweepInterval)
	}
	for _, v := range c.Cameras {
		if _, err := parseCameraFlag(v); err != nil {
			name, _, _ := strings.Cut(v, "=")
			bad("camera", "%s: %v", name, err) // never echo the URL: it may hold a password
		}
	}
	c.outboundNets = nil
	for _, v := range c.OutboundAllow {
		n, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil {
				bad("outbound-allow", "%q is not a network (10.0.0.0/8, ::1/128) or an address", v)
				continue
			}
			n = netip.PrefixFrom(a, a.BitLen())
		}
		c.outboundNets = append(c.outboundNets, n.Masked())
	}
	if _, _, err := fs.Access(c.ArchiveMode).Modes(); err != nil || c.ArchiveMode == "" {
		bad("archive-mode", "must be %q or %q, got %q", fs.Private, fs.Group, c.ArchiveMode)
	}
	var keyErrs []error
	c.keys, keyErrs = c.readKeys()
	errs = append(errs, keyErrs...)
	if _, err := auth.NewKeys(c.keys); err != nil {
		bad("access-key", "%v", err)
	}
	switch {
	case (c.TLSCert == "") != (c.TLSKey == ""):
		bad("tls-cert", "--tls-cert and --tls-key go together")
	case c.TLSCert != "":
		h := &certHolder{certFile: c.TLSCert, keyFile: c.TLSKey}
		if err := h.load(); err != nil {
			bad("tls-cert", "%v", err)
		} else {
			c.certs = h
		}
	}
	if c.RTSPSAddr != "" && c.TLSCert != "" {
		if _, _, err := net.SplitHostPort(c.RTSPSAddr); err != nil {
			bad("rtsps-addr", "%v", err)
		}
	}
	if len(c.keys) == 0 && !c.InsecureNoAuth {
		type listener struct {
			key  string
			addr *string
		}
		listeners := []listener{{"http-addr", &c.HTTPAddr}, {"rtsp-addr", &c.RTSPAddr}, {"rtsp-udp-rtp-addr", &c.RTSPUDPRTPAddr},
			{"rtsp-udp-rtcp-addr", &c.RTSPUDPRTCPAddr}, {"webrtc-addr", &c.WebRTCAddr}, {"webrtc-tcp-addr", &c.WebRTCTCPAddr}}
		if c.TLSCert != "" {
			listeners = append(listeners, listener{"rtsps-addr", &c.RTSPSAddr})
		}
		for _, l := range listeners {
			if err := loopbackOnly(l.key, l.addr, &c.openNotes); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log-format", "must be text or json, got %q", c.LogFormat)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		bad("log-level", "%v", err)
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdown-timeout", "must be positive")
	}
	return errs
}

// loadKeysFile reads the keys of --access-keys-file (at start and on
// SIGHUP). Errors name the file, never a secret.
func loadKeysFile(path string) ([]auth.Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	keys, err := auth.LoadKeys(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return keys, nil
}

// envName maps a flag name to its environment variable: data-dir -> SLUICE_DATA_DIR.
func envName(flagName string) string {
	return "SLUICE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func lookupEnv(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

// readYAML reads a flat mapping of flag names to scalar values (or lists,
// for repeatable flags, joined with spaces).
func readYAML(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		switch v := v.(type) {
		case []any:
			parts := make([]string, len(v))
			for i, x := range v {
				parts[i] = fmt.Sprint(x)
			}
			out[k] = strings.Join(parts, " ")
		case map[string]any:
			return nil, fmt.Errorf("config file %s: %s: nested settings are not supported", path, k)
		case nil:
			out[k] = ""
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out, nil
}

func defaultPublicURL(addr string, tls bool) string {
	scheme := "http://"
	if tls {
		scheme = "https://"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return scheme + "127.0.0.1:8080"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return scheme + net.JoinHostPort(host, port)
}

// joinIndented joins errors one per line.
func joinIndented(errs []error) error {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return errors.New(strings.Join(msgs, "\n  "))
}

// stringList is a repeatable flag; each value may hold several items
// separated by white space (as the environment and YAML lists give them).
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, " ") }

func (l *stringList) Set(v string) error {
	*l = append(*l, strings.Fields(v)...)
	return nil
}

// loopbackOnly keeps a listener of an open (keyless) server on loopback:
// an address on all interfaces (":8080", "0.0.0.0:8080") is bound to
// 127.0.0.1 instead (noted), an explicit non-loopback one is an error.
func loopbackOnly(key string, addr *string, notes *[]string) error {
	if *addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		return nil // reported by the address checks
	}
	ip := net.ParseIP(host)
	switch {
	case host == "" || ip != nil && ip.IsUnspecified():
		*addr = net.JoinHostPort("127.0.0.1", port)
		*notes = append(*notes, "--"+key+" "+*addr)
	case host == "localhost" || ip != nil && ip.IsLoopback():
	default:
		return fmt.Errorf("--%s: %s is not a loopback address and no access keys are configured: give --access-key (or --access-keys-file), or --insecure-no-auth to serve everyone", key, *addr)
	}
	return nil
}

// secretList is a repeatable flag whose values hold secrets: String never
// prints them (flag's help and any dump of the config show "<n keys>").
type secretList []string

func (l *secretList) String() string {
	if l == nil || len(*l) == 0 {
		return ""
	}
	return fmt.Sprintf("<%d keys>", len(*l))
}

func (l *secretList) Set(v string) error {
	*l = append(*l, strings.Fields(v)...)
	return nil
}

// validNodeName accepts names that can travel in NATS subjects and KV keys
// and in URLs: 1 to 64 letters, digits, '-', '_' and '.' (a host name).
func validNodeName(n string) bool {
	if n == "" || len(n) > 64 || strings.Trim(n, ".") != n {
		return false
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}
