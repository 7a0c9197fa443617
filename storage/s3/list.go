package s3

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sluice-dev/sluice/storage"
)

// List implements storage.Bucket with ListObjectsV2, page by page (up to
// 1000 keys a request), without a delimiter. Objects whose keys are not
// valid storage keys (written by other tools, such as "dir/" markers) are
// skipped.
func (b *Bucket) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	if b.closed.Load() {
		return fmt.Errorf("s3: list %q: %w", prefix, storage.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3: list %q: %w", prefix, err)
	}
	if err := storage.ValidPrefix(prefix); err != nil {
		return fmt.Errorf("s3: list: %w", err)
	}
	pages := sdk.NewListObjectsV2Paginator(b.client, &sdk.ListObjectsV2Input{
		Bucket: aws.String(b.cfg.Bucket),
		Prefix: aws.String(b.prefix + prefix),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return wrap("list", prefix, err)
		}
		for _, o := range page.Contents {
			key, ok := strings.CutPrefix(aws.ToString(o.Key), b.prefix)
			if !ok || storage.ValidKey(key) != nil {
				continue
			}
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("s3: list %q: %w", prefix, err)
			}
			info := storage.ObjectInfo{Key: key, Size: aws.ToInt64(o.Size), LastModified: aws.ToTime(o.LastModified)}
			if err := fn(info); err != nil {
				return err
			}
		}
	}
	return nil
}
