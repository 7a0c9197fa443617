package kvs

import (
	"context"
	"errors"
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

// purge deletes every object under the media prefix of a deleted stream,
// in rounds: list up to h.purgeBatch keys not yet known to fail, delete them,
// repeat until a listing finds nothing new. Listing and deleting are never
// interleaved, since a provider may not list reliably what changes under
// it. A failure does not stop the others; at the end, any failure (or one
// listing error) is logged and returned as an InternalFailure that says
// how much was left.
func (h *Handler) purge(ctx context.Context, s fragments.Stream) error {
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
			if len(batch) == h.purgeBatch {
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
		if len(batch) < h.purgeBatch || listErr != nil {
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
	listing := ""
	switch {
	case listErr != nil:
		listing = ", and listing them failed"
	case gaveUp:
		listing = ", and the rest were not tried"
	}
	// The storage errors are logged, not sent: provider details stay here.
	return newError(errInternal, "Stream %s was deleted, but removing its media failed: %d objects removed, %d could not be%s; what is left is orphaned under %s.",
		s.Name, removed, len(failed), listing, prefix)
}

// deleteAll deletes keys with purgeWorkers at a time and returns the
// failures by key.
func (h *Handler) deleteAll(ctx context.Context, keys []string) map[string]error {
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
