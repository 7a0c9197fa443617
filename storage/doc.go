// Package storage defines the object storage contract that Sluice archives
// video fragments to, and the rules every provider follows.
//
// A [Bucket] is a flat namespace of immutable-once-written objects addressed
// by keys. Keys look like relative paths ("stream-1/2024/05/01/000042.mp4"):
// [ValidKey] states the grammar, and every provider rejects any other key
// with an error wrapping [ErrInvalidKey] before touching its backend, so a
// key taken from a request can never name something outside the bucket.
//
// The contract, enforced for every provider by the conformance suite in
// storage/storagetest:
//
//   - Put is atomic: readers see the previous object or the complete new
//     one, never a partial write; a Put that fails or is cancelled leaves
//     the previous state.
//   - Get, GetRange and Attributes on a missing key return an error wrapping
//     [ErrNotFound]; Delete of a missing key returns nil.
//   - List is recursive and reports keys in lexical (byte) order.
//   - Every method takes a context and gives up with an error wrapping
//     ctx.Err() once it is done.
//   - After Close, every method returns an error wrapping [ErrClosed].
//
// Providers: storage/fs (a local directory, the default) and storage/s3 (any
// S3-compatible service). storage/open turns a --storage URL into a Bucket.
// The package knows nothing about video.
package storage
