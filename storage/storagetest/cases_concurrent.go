package storagetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/sluice-dev/sluice/storage"
)

// testConcurrent runs Puts of different keys in parallel, some into
// directories that concurrent Deletes keep emptying.
func testConcurrent(t *testing.T, b storage.Bucket) {
	const writers, rounds = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds*3)
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				key := fmt.Sprintf("conc/%d/w%d", r, w)
				if err := b.Put(t.Context(), key, bytes.NewReader(data(64<<10, byte(w))), 64<<10); err != nil {
					errs <- fmt.Errorf("Put(%q): %w", key, err)
				}
				// A scratch key in the same directory, put and deleted.
				scratch := fmt.Sprintf("conc/%d/scratch/w%d", r, w)
				if err := b.Put(t.Context(), scratch, bytes.NewReader([]byte("s")), 1); err != nil {
					errs <- fmt.Errorf("Put(%q): %w", scratch, err)
				}
				if err := b.Delete(t.Context(), scratch); err != nil {
					errs <- fmt.Errorf("Delete(%q): %w", scratch, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var want []string
	for r := range rounds {
		for w := range writers {
			want = append(want, fmt.Sprintf("conc/%d/w%d", r, w))
		}
	}
	wantKeys(t, b, "conc/", want...)
	for r := range rounds {
		for w := range writers {
			wantContent(t, b, fmt.Sprintf("conc/%d/w%d", r, w), data(64<<10, byte(w)))
		}
	}
}
