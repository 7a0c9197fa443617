package fragments

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-dev/sluice/streams"
)

// Video stream settings kept as attributes of the index stream.
const (
	attrDevice    = "device"
	attrMediaType = "media_type"
	attrKMSKey    = "kms_key"
	attrVersion   = "version"
	attrRetention = "retention_hours" // the KVS retention; 0 = no archive
)

// MaxRetentionHours is the longest retention of a video stream (10 years).
const MaxRetentionHours = 87600

// Library is the registry of video streams and their fragment indexes, on
// a stream core of its own namespace (see CoreConfig).
type Library struct {
	core  *streams.Core
	cfg   LibraryConfig
	cache *indexCache
}

// LibraryConfig names the region and account of the ARNs, and sizes the
// cache of index records.
type LibraryConfig struct {
	Region    string // default "us-east-1"
	AccountID string // default "000000000000"
	// IndexCacheBytes bounds the memory that keeps recently listed index
	// records (written ones never change, so every node may cache them).
	// 0 means DefaultIndexCacheBytes; a negative value turns it off.
	IndexCacheBytes int64
}

// CoreConfig returns the settings a stream core needs to hold video
// indexes: namespace "kvs", names up to 256 characters, retention from 1
// hour to 10 years, no throughput limits. Callers add their own fields.
func CoreConfig(base streams.Config) streams.Config {
	base.Namespace = "kvs"
	base.ShortSequenceNumbers = true // fragment numbers keep their form
	base.RefuseDeleteCreating = true // as Kinesis Video Streams
	base.MaxNameLength = 256
	base.MinRetentionHours = 1
	base.MaxRetentionHours = MaxRetentionHours
	base.DefaultRetentionHours = 1
	base.Limits = streams.ThroughputLimits{}
	return base
}

// NewLibrary returns a Library on core (opened with CoreConfig).
func NewLibrary(core *streams.Core, cfg LibraryConfig) *Library {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "000000000000"
	}
	if cfg.IndexCacheBytes == 0 {
		cfg.IndexCacheBytes = DefaultIndexCacheBytes
	}
	return &Library{core: core, cfg: cfg, cache: newIndexCache(cfg.IndexCacheBytes)}
}

// Stream describes a video stream as Kinesis Video Streams does.
type Stream struct {
	Name           string
	ARN            string
	DeviceName     string
	MediaType      string
	KMSKeyID       string
	Version        string
	Status         string // CREATING, ACTIVE, UPDATING, DELETING
	CreationTime   time.Time
	RetentionHours int // 0: nothing is archived
	Tags           map[string]string
}

// StreamSpec are the settings of a new video stream.
type StreamSpec struct {
	Name, DeviceName, MediaType, KMSKeyID string
	RetentionHours                        int
	Tags                                  map[string]string
}

// ErrVersionMismatch is returned when an update names a version that is
// not the stream's current one.
var ErrVersionMismatch = errors.New("version mismatch")

func newVersion() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Create registers a video stream. Errors are the core's (ErrInUse when the
// name exists, ErrValidation for a bad name).
func (l *Library) Create(ctx context.Context, spec StreamSpec) (Stream, error) {
	if spec.RetentionHours < 0 || spec.RetentionHours > MaxRetentionHours {
		return Stream{}, &streams.Error{Kind: streams.ErrInvalidArgument, Msg: fmt.Sprintf("DataRetentionInHours must be 0 to %d.", MaxRetentionHours)}
	}
	err := l.core.CreateStream(ctx, spec.Name, streams.CreateOptions{
		ShardCount:     1,
		RetentionHours: max(spec.RetentionHours, 1),
		Tags:           spec.Tags,
		Attributes: map[string]string{
			attrDevice:    spec.DeviceName,
			attrMediaType: spec.MediaType,
			attrKMSKey:    spec.KMSKeyID,
			attrVersion:   newVersion(),
			attrRetention: strconv.Itoa(spec.RetentionHours),
		},
	})
	if err != nil {
		return Stream{}, err
	}
	return l.Describe(ctx, spec.Name)
}

// Describe returns a video stream. The core's ErrNotFound if unknown.
func (l *Library) Describe(ctx context.Context, name string) (Stream, error) {
	s, err := l.core.DescribeStream(ctx, name)
	if err != nil {
		return Stream{}, err
	}
	return l.toStream(s), nil
}

// List returns every video stream, sorted by name.
func (l *Library) List(ctx context.Context) ([]Stream, error) {
	all, err := l.core.ListStreams(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Stream, 0, len(all))
	for _, s := range all {
		out = append(out, l.toStream(s))
	}
	return out, nil
}

func (l *Library) toStream(s streams.Stream) Stream {
	ret, _ := strconv.Atoi(s.Attributes[attrRetention])
	return Stream{
		Name:           s.Name,
		ARN:            l.ARN(s.Name, s.CreatedAt),
		DeviceName:     s.Attributes[attrDevice],
		MediaType:      s.Attributes[attrMediaType],
		KMSKeyID:       s.Attributes[attrKMSKey],
		Version:        s.Attributes[attrVersion],
		Status:         string(s.Status),
		CreationTime:   s.CreatedAt,
		RetentionHours: ret,
		Tags:           s.Tags,
	}
}

// ARN returns the Kinesis Video Streams ARN of a stream.
func (l *Library) ARN(name string, created time.Time) string {
	return fmt.Sprintf("arn:aws:kinesisvideo:%s:%s:stream/%s/%d", l.cfg.Region, l.cfg.AccountID, name, created.UnixMilli())
}

// NameFromARN returns the stream name in a video stream ARN of this
// library's region and account.
func (l *Library) NameFromARN(arn string) (string, bool) {
	rest, ok := strings.CutPrefix(arn, fmt.Sprintf("arn:aws:kinesisvideo:%s:%s:stream/", l.cfg.Region, l.cfg.AccountID))
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 {
		return "", false
	}
	if _, err := strconv.ParseInt(rest[i+1:], 10, 64); err != nil {
		return "", false
	}
	return rest[:i], true
}

// Update changes the device name and media type (empty: unchanged).
// ErrVersionMismatch unless currentVersion is the stream's version.
func (l *Library) Update(ctx context.Context, name, currentVersion, deviceName, mediaType string) error {
	return l.core.SetAttributes(ctx, name, func(a map[string]string) error {
		if a[attrVersion] != currentVersion {
			return versionMismatch(a[attrVersion], currentVersion)
		}
		if deviceName != "" {
			a[attrDevice] = deviceName
		}
		if mediaType != "" {
			a[attrMediaType] = mediaType
		}
		a[attrVersion] = newVersion()
		return nil
	})
}

// UpdateRetention changes the retention by delta hours (positive for
// INCREASE, negative for DECREASE). ErrVersionMismatch as Update; the
// version check and the change are one compare-and-set.
func (l *Library) UpdateRetention(ctx context.Context, name, currentVersion string, delta int) error {
	var hours int
	err := l.core.SetAttributes(ctx, name, func(a map[string]string) error {
		if a[attrVersion] != currentVersion {
			return versionMismatch(a[attrVersion], currentVersion)
		}
		cur, _ := strconv.Atoi(a[attrRetention])
		hours = cur + delta
		if hours < 0 || hours > MaxRetentionHours {
			return &streams.Error{Kind: streams.ErrInvalidArgument, Msg: fmt.Sprintf("The retention would become %d hours; it must be 0 to %d.", hours, MaxRetentionHours)}
		}
		a[attrRetention] = strconv.Itoa(hours)
		a[attrVersion] = newVersion()
		return nil
	})
	if err != nil {
		return err
	}
	// The index keeps at least an hour (retention 0 archives nothing, so
	// its index stays empty).
	cur, err := l.core.DescribeStream(ctx, name)
	if err != nil {
		return err
	}
	switch want := max(hours, 1); {
	case want > cur.RetentionHours:
		return l.core.IncreaseRetention(ctx, name, want)
	case want < cur.RetentionHours:
		return l.core.DecreaseRetention(ctx, name, want)
	}
	return nil
}

func versionMismatch(have, given string) error {
	return &streams.Error{Kind: ErrVersionMismatch, Msg: fmt.Sprintf("The stream version %s is not the current version %s.", given, have)}
}

// Delete removes a video stream and its index (the caller removes its
// media). currentVersion, when not empty, must match.
func (l *Library) Delete(ctx context.Context, name, currentVersion string) error {
	if currentVersion != "" {
		s, err := l.Describe(ctx, name)
		if err != nil {
			return err
		}
		if s.Version != currentVersion {
			return versionMismatch(s.Version, currentVersion)
		}
	}
	return l.core.DeleteStream(ctx, name, true)
}

// Tag adds tags; Untag removes them.
func (l *Library) Tag(ctx context.Context, name string, tags map[string]string) error {
	return l.core.AddTags(ctx, name, tags)
}

// Untag removes tags by key.
func (l *Library) Untag(ctx context.Context, name string, keys []string) error {
	return l.core.RemoveTags(ctx, name, keys)
}

// Pull is a camera a stream records from (RTSP pull).
type Pull struct {
	Stream    string
	URL       string // may carry credentials: never log or return it
	Transport string // "tcp", "udp" or "" (automatic)
}

const (
	attrPullURL       = "pull_url"
	attrPullTransport = "pull_transport"
)

// SetPull records (url not empty) or removes (url empty) the camera a
// stream pulls from. It is kept with the stream, in the metadata store, so
// that every node and every restart sees it.
func (l *Library) SetPull(ctx context.Context, stream, url, transport string) error {
	return l.core.SetAttributes(ctx, stream, func(a map[string]string) error {
		if url == "" {
			delete(a, attrPullURL)
			delete(a, attrPullTransport)
			return nil
		}
		a[attrPullURL], a[attrPullTransport] = url, transport
		return nil
	})
}

// AddPull records the camera a stream pulls from unless it has one: the
// same camera again (url and transport) changes nothing and reports added
// false; another camera is ErrPullExists. The check and the change are one
// compare-and-set on the stream's metadata, so two nodes adding cameras
// to one stream at once cannot both succeed.
func (l *Library) AddPull(ctx context.Context, stream, url, transport string) (added bool, err error) {
	errSame := errors.New("same camera")
	err = l.core.SetAttributes(ctx, stream, func(a map[string]string) error {
		switch have := a[attrPullURL]; {
		case have == url && a[attrPullTransport] == transport:
			return errSame
		case have != "":
			return ErrPullExists
		}
		a[attrPullURL], a[attrPullTransport] = url, transport
		return nil
	})
	if errors.Is(err, errSame) {
		return false, nil
	}
	return err == nil, err
}

// Pulls lists the cameras recorded with SetPull, by stream name.
func (l *Library) Pulls(ctx context.Context) ([]Pull, error) {
	all, err := l.core.ListStreams(ctx)
	if err != nil {
		return nil, err
	}
	var out []Pull
	for _, s := range all {
		if u := s.Attributes[attrPullURL]; u != "" && (s.Status == streams.StatusActive || s.Status == streams.StatusUpdating) {
			out = append(out, Pull{Stream: s.Name, URL: u, Transport: s.Attributes[attrPullTransport]})
		}
	}
	return out, nil
}

// Secret returns a named secret shared by every node (see streams.Core.Secret).
func (l *Library) Secret(ctx context.Context, name string) ([]byte, error) {
	return l.core.Secret(ctx, name)
}
