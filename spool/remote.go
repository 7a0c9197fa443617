package spool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sluice-dev/sluice/storage"
)

// Reads across nodes: every node Serves its spool on one NATS subject;
// a node whose bucket does not have an object (not uploaded yet, or the
// bucket is down) asks the others, and the node whose spool holds it
// answers, in chunks. Only that node answers: a key no spool holds costs
// the asker RemoteConfig.Timeout.

// remoteChunk is the most one answer carries.
const remoteChunk = 512 << 10

type remoteReq struct {
	Key string `json:"key"`
	Off int64  `json:"off"`
	N   int64  `json:"n"`
}

const hdrSize = "Sluice-Spool-Size"

// Serve answers other nodes' reads of the objects waiting in this spool,
// on subject, until the subscription is closed.
func (s *Spool) Serve(nc *nats.Conn, subject string) (*nats.Subscription, error) {
	return nc.Subscribe(subject, func(m *nats.Msg) {
		var req remoteReq
		if json.Unmarshal(m.Data, &req) != nil || req.Off < 0 || req.N <= 0 || req.N > remoteChunk {
			return
		}
		e, ok := s.Get(req.Key)
		if !ok {
			return // another node's, or nobody's: let them answer
		}
		f, err := s.open(e)
		if err != nil {
			return
		}
		defer f.Close()
		buf := make([]byte, min(req.N, max(e.Size-req.Off, 0)))
		n, err := f.ReadAt(buf, req.Off)
		if err != nil && !errors.Is(err, io.EOF) {
			return
		}
		reply := nats.NewMsg(m.Reply)
		reply.Header.Set(hdrSize, strconv.FormatInt(e.Size, 10))
		reply.Data = buf[:n]
		_ = m.RespondMsg(reply)
	})
}

// RemoteConfig is where OverRemote asks.
type RemoteConfig struct {
	Conn    *nats.Conn
	Subject string
	// Timeout bounds each request. Default 1s.
	Timeout time.Duration
	// Locations, when set, says where an object missing from the bucket
	// is: a read of one dropped from a spool, or waiting in the spool of a
	// node that does not answer, fails with a *MissingError at once (or
	// after Timeout), instead of a plain not found.
	Locations *Locations
}

// OverRemote is Over that, for an object neither this spool nor b has
// (b answers not found, or fails), asks the other nodes' spools.
func (s *Spool) OverRemote(b storage.BucketReader, rc RemoteConfig) storage.BucketReader {
	if rc.Timeout <= 0 {
		rc.Timeout = time.Second
	}
	return remote{over: over{s, b}, rc: rc}
}

type remote struct {
	over
	rc RemoteConfig
}

func (r remote) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	return across(ctx, r, key, func() (io.ReadCloser, error) { return r.over.Get(ctx, key) },
		func(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) })
}

func (r remote) GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	cut := func(b []byte) io.ReadCloser {
		if length >= 0 && length < int64(len(b)) {
			b = b[:length]
		}
		return io.NopCloser(bytes.NewReader(b))
	}
	get := func() (io.ReadCloser, error) { return r.over.GetRange(ctx, key, off, length) }
	whole := func(b []byte) io.ReadCloser { return cut(b[min(off, int64(len(b))):]) }
	// Another node may hold the range as a piece (a packed fragment waiting
	// for its object: the location map knows it), or the whole object.
	if piece := storage.PieceName(key, off); r.known(piece) {
		return across(ctx, r, piece, get, cut)
	}
	return across(ctx, r, key, get, whole)
}

func (r remote) Attributes(ctx context.Context, key string) (storage.ObjectInfo, error) {
	return across(ctx, r, key, func() (storage.ObjectInfo, error) { return r.over.Attributes(ctx, key) },
		func(b []byte) storage.ObjectInfo {
			return storage.ObjectInfo{Key: key, Size: int64(len(b)), LastModified: time.Now()}
		})
}

// across reads with get (this spool, then the bucket); on a miss, name
// (an object's key, or a piece's name) from the other nodes' spools
// (fetched whole, then made into the answer by from). An object missing
// from the bucket and from every spool may have been uploaded (and
// removed from its spool) between the two reads: the bucket is read once
// more before the miss is final. The location map turns a miss it can
// explain into a *MissingError.
func across[T any](ctx context.Context, r remote, name string, get func() (T, error), from func([]byte) T) (T, error) {
	v, err := get()
	if err == nil {
		return v, nil
	}
	if loc, ok := r.where(name); ok && loc.Dropped {
		return v, r.missing(name, loc)
	}
	if b, ok := r.fetch(ctx, name); ok {
		return from(b), nil
	}
	v, err = get()
	if err == nil {
		return v, nil
	}
	if loc, ok := r.where(name); ok {
		// The bytes are not in the bucket, whatever it answered.
		return v, r.missing(name, loc)
	}
	return v, err
}

func (r remote) known(name string) bool {
	_, ok := r.where(name)
	return ok
}

func (r remote) where(key string) (Location, bool) {
	if r.rc.Locations == nil {
		return Location{}, false
	}
	return r.rc.Locations.Where(key)
}

func (r remote) missing(key string, loc Location) error {
	return &MissingError{Key: key, Location: loc, err: storage.ErrNotFound}
}

// fetch reads a whole object from another node's spool, chunk by chunk.
func (r remote) fetch(ctx context.Context, key string) ([]byte, bool) {
	var out []byte
	size := int64(-1)
	for size < 0 || int64(len(out)) < size {
		req, _ := json.Marshal(remoteReq{Key: key, Off: int64(len(out)), N: remoteChunk})
		cctx, cancel := context.WithTimeout(ctx, r.rc.Timeout)
		m, err := r.rc.Conn.RequestWithContext(cctx, r.rc.Subject, req)
		cancel()
		if err != nil {
			return nil, false
		}
		total, err := strconv.ParseInt(m.Header.Get(hdrSize), 10, 64)
		if err != nil || size >= 0 && total != size || len(m.Data) == 0 && int64(len(out)) < total {
			return nil, false
		}
		size = total
		out = append(out, m.Data...)
	}
	return out, true
}
