// Package storagetest is the conformance suite that every storage.Bucket
// provider passes: one suite, run by each provider's tests, so that the
// contract documented in package storage is enforced, not just written.
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storage.Bucket { ... })
//	}
package storagetest
