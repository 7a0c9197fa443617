// Package open turns a storage URL, as given to Sluice's --storage flag,
// into a storage.Bucket. It sits apart from package storage so that storage
// stays a leaf that the providers import.
package open

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"

	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/storage/s3"
)

// Open returns the bucket that rawURL names:
//
//	""                  the filesystem provider on defaultDir (<data-dir>/archive)
//	file:///abs/dir     the filesystem provider on /abs/dir (an absolute path)
//	s3://bucket/prefix?endpoint=http://127.0.0.1:7070&region=us-east-1&path-style=true
//	                    the S3 provider, see s3.ParseURL
//
// S3 credentials come from the standard AWS chain (AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, shared config files, instance roles); callers with
// static keys from their own configuration use s3.ParseURL and s3.New. The
// caller owns the bucket and must Close it.
func Open(ctx context.Context, rawURL, defaultDir string) (storage.Bucket, error) {
	return OpenWith(ctx, rawURL, defaultDir, fs.Private)
}

// OpenWith is Open with the access of a filesystem bucket's files (see
// fs.Access); S3 buckets ignore it.
func OpenWith(ctx context.Context, rawURL, defaultDir string, access fs.Access) (storage.Bucket, error) {
	if rawURL == "" {
		if defaultDir == "" {
			return nil, fmt.Errorf("storage: no storage URL and no default directory")
		}
		return fs.New(fs.Config{Dir: defaultDir, Access: access})
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("storage: url: %w", err)
	}
	switch u.Scheme {
	case "file":
		dir, err := fileDir(u)
		if err != nil {
			return nil, fmt.Errorf("storage: url %q: %w", rawURL, err)
		}
		return fs.New(fs.Config{Dir: dir, Access: access})
	case "s3":
		cfg, err := s3.ParseURL(rawURL)
		if err != nil {
			return nil, err
		}
		return s3.New(ctx, cfg)
	}
	return nil, fmt.Errorf("storage: url %q: scheme must be file or s3", u.Redacted())
}

// fileDir checks a file URL and returns its directory.
func fileDir(u *url.URL) (string, error) {
	switch {
	case u.Host != "" && u.Host != "localhost":
		return "", fmt.Errorf("host %q: only local directories (file:///abs/dir)", u.Host)
	case u.Opaque != "" || !filepath.IsAbs(u.Path):
		return "", fmt.Errorf("the directory must be an absolute path (file:///abs/dir)")
	case u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("file URLs take no query or fragment")
	}
	return filepath.Clean(u.Path), nil
}
