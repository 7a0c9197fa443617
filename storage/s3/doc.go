// Package s3 is the storage.Bucket provider for Amazon S3 and S3-compatible
// services (versitygw, MinIO, Ceph RGW, ...), on aws-sdk-go-v2.
//
// Key k is stored as the S3 object Config.Prefix + "/" + k (or k when Prefix
// is empty). S3 limits whole object keys to 1024 bytes, so a long Prefix
// shortens the usable storage keys.
//
// Put sends objects up to Config.PartSize with one PutObject, larger or
// unsized ones as a multipart upload; either way the object appears whole or
// not at all, and a failed or cancelled multipart upload is aborted. A Put
// of known size from a file (an io.ReaderAt and io.Seeker) reads its parts
// from the file as they are sent; other readers are buffered a part at a
// time. Every request is signed with SigV4 and retried with exponential
// backoff and jitter by the SDK's standard retryer (Config.MaxRetries).
//
// Errors: S3's NoSuchKey and NotFound become storage.ErrNotFound; every other
// SDK error is wrapped with the operation and key, never returned bare.
// List relies on S3's ListObjectsV2 order (UTF-8 binary, which is byte order
// for valid keys) and skips objects whose keys are not valid storage keys.
//
// ParseURL turns "s3://bucket/prefix?endpoint=...&region=...&path-style=true"
// into a Config.
package s3
