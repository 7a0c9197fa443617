package storage

import (
	"context"
	"errors"
	"time"
)

// Lister and Deleter are the two abilities pruning needs.
type Lister interface {
	List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error
}

// Deleter removes objects.
type Deleter interface {
	Delete(ctx context.Context, key string) error
}

// PruneBucket can list and delete.
type PruneBucket interface {
	Lister
	Deleter
}

// DeleteOlder deletes the objects under prefix last modified before
// before, and returns how many it deleted. It goes on past individual
// delete failures and returns them joined.
func DeleteOlder(ctx context.Context, b PruneBucket, prefix string, before time.Time) (int, error) {
	return deleteWhere(ctx, b, prefix, func(o ObjectInfo) bool { return o.LastModified.Before(before) })
}

// DeletePrefix deletes every object under prefix.
func DeletePrefix(ctx context.Context, b PruneBucket, prefix string) (int, error) {
	return deleteWhere(ctx, b, prefix, func(ObjectInfo) bool { return true })
}

func deleteWhere(ctx context.Context, b PruneBucket, prefix string, match func(ObjectInfo) bool) (int, error) {
	var keys []string
	err := b.List(ctx, prefix, func(o ObjectInfo) error {
		if match(o) {
			keys = append(keys, o.Key)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, k := range keys {
		if err := b.Delete(ctx, k); err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
