package video

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/storage"
)

const (
	// defaultPurgeBatch is how many keys one listing round collects.
	defaultPurgeBatch = 1000
	// purgeWorkers is how many deletes run at once (S3 deletes one key a
	// request).
	purgeWorkers = 8
	// maxPurgeFailures ends a purge that keeps failing, leaving the rest.
	maxPurgeFailures = 100
)

// errBatchFull stops a listing round.
var errBatchFull = errors.New("batch full")

// PurgeError: a stream was deleted but some of its media could not be
// removed. The storage errors are logged, not carried: provider details
// stay in the log.
type PurgeError struct {
	Stream  string
	Prefix  string // what is left is orphaned under it
	Removed int
	Failed  int
	Listing bool // listing the objects failed
	GaveUp  bool // too many failures: the rest were not tried
}

func (e *PurgeError) Error() string {
	listing := ""
	switch {
	case e.Listing:
		listing = ", and listing them failed"
	case e.GaveUp:
		listing = ", and the rest were not tried"
	}
	return fmt.Sprintf("Stream %s was deleted, but removing its media failed: %d objects removed, %d could not be%s; what is left is orphaned under %s.",
		e.Stream, e.Removed, e.Failed, listing, e.Prefix)
}

// in rounds: list up to Config.PurgeBatch keys not yet known to fail, delete them,
// repeat until a listing finds nothing new. Listing and deleting are never
// interleaved, since a provider may not list reliably what changes under
// it. A failure does not stop the others; at the end, any failure (or one
// listing error) is logged and returned as a *PurgeError.
func (h *Streams) purge(ctx context.Context, s fragments.Stream) error {
	prefix := fragments.MediaPrefix(s)
	failed := map[string]error{}
	removed := 0
	var listErr error
	gaveUp := false
	for {
		if len(failed) >= maxPurgeFailures {
			gaveUp = true
			break
		}
		var batch []string
		err := h.bucket.List(ctx, prefix, func(o storage.ObjectInfo) error {
			if _, bad := failed[o.Key]; bad {
				return nil
			}
			batch = append(batch, o.Key)
			if len(batch) == h.batch {
				return errBatchFull
			}
			return nil
		})
		if err != nil && !errors.Is(err, errBatchFull) {
			listErr = err
		}
		for key, err := range h.deleteAll(ctx, batch) {
			failed[key] = err
		}
		removed += len(batch)
		if len(batch) < h.batch || listErr != nil {
			break
		}
	}
	removed -= len(failed)
	if len(failed) == 0 && listErr == nil {
		h.log.Info("stream media removed", "stream", s.Name, "prefix", prefix, "objects", removed)
		return nil
	}
	for key, err := range failed {
		h.log.Error("removing media of a deleted stream", "stream", s.Name, "key", key, "err", err)
	}
	if listErr != nil {
		h.log.Error("listing media of a deleted stream", "stream", s.Name, "prefix", prefix, "err", listErr)
	}
	return &PurgeError{Stream: s.Name, Prefix: prefix, Removed: removed, Failed: len(failed), Listing: listErr != nil, GaveUp: gaveUp}
}

// deleteAll deletes keys with purgeWorkers at a time and returns the
// failures by key.
func (h *Streams) deleteAll(ctx context.Context, keys []string) map[string]error {
	var (
		mu     sync.Mutex
		failed = map[string]error{}
		wg     sync.WaitGroup
		work   = make(chan string)
	)
	for range min(purgeWorkers, len(keys)) {
		wg.Go(func() {
			for key := range work {
				if err := h.bucket.Delete(ctx, key); err != nil {
					mu.Lock()
					failed[key] = err
					mu.Unlock()
				}
			}
		})
	}
	for _, key := range keys {
		work <- key
	}
	close(work)
	wg.Wait()
	return failed
}
