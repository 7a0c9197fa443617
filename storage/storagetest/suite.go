package storagetest

import (
	"testing"

	"github.com/sluice-dev/sluice/storage"
)

// LargeSize is the size of the suite's large objects: more than twice a
// 5 MiB part, so that an S3 provider configured with the minimum part size
// does a multipart upload with a short last part.
const LargeSize = 12 << 20

// Run runs the conformance suite. newBucket must return a new, empty bucket
// for each subtest, and release anything besides the bucket itself with
// t.Cleanup; Run closes each bucket at the end of its subtest (Close must
// tolerate being called twice).
func Run(t *testing.T, newBucket func(t *testing.T) storage.Bucket) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(*testing.T, storage.Bucket)
	}{
		{"PutGet", testPutGet},
		{"Overwrite", testOverwrite},
		{"Empty", testEmpty},
		{"Large", testLarge},
		{"SizeMismatch", testSizeMismatch},
		{"FailedPutKeepsPrevious", testFailedPut},
		{"GetRange", testGetRange},
		{"Attributes", testAttributes},
		{"List", testList},
		{"ListStop", testListStop},
		{"Delete", testDelete},
		{"NotFound", testNotFound},
		{"InvalidKeys", testInvalidKeys},
		{"ContextCancelled", testContextCancelled},
		{"CancelDuringPut", testCancelDuringPut},
		{"Concurrent", testConcurrent},
		{"Close", testClose},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newBucket(t)
			t.Cleanup(func() {
				if err := b.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			c.fn(t, b)
		})
	}
}
