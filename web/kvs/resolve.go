package kvs

import (
	"context"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/streams"
)

// resolve returns the stream a request names by StreamName or StreamARN
// (either, or both when they agree). An ARN names one incarnation of a
// stream: after a stream is deleted and created again under the same name,
// the old ARN is ResourceNotFoundException. A missing stream is the
// registry's not-found error. The caller has checked the shapes.
func (h *Handler) resolve(ctx context.Context, name, arn *string) (fragments.Stream, error) {
	if name == nil && arn == nil {
		return fragments.Stream{}, newError(errInvalid, "Either StreamName or StreamARN must be specified.")
	}
	if arn == nil {
		return h.lib.Describe(ctx, *name)
	}
	byARN, ok := h.lib.NameFromARN(*arn)
	if !ok {
		return fragments.Stream{}, notFoundARN(*arn)
	}
	if name != nil && *name != byARN {
		return fragments.Stream{}, newError(errInvalid, "StreamName %s and StreamARN %s name different streams.", *name, *arn)
	}
	s, err := h.lib.Describe(ctx, byARN)
	if isNotFound(err) || err == nil && s.ARN != *arn {
		return fragments.Stream{}, notFoundARN(*arn)
	}
	return s, err
}

func notFoundARN(arn string) error {
	return newError(errNotFound, "The stream %s does not exist.", arn)
}

func isNotFound(err error) bool {
	return err != nil && toAPIError(err).Name == errNotFound
}

// active returns the stream a request names if it is ACTIVE, and
// ResourceInUseException otherwise, as AWS answers changes to a stream
// that is being created, updated or deleted.
func (h *Handler) active(ctx context.Context, name, arn *string) (fragments.Stream, error) {
	s, err := h.resolve(ctx, name, arn)
	if err != nil {
		return s, err
	}
	if s.Status != string(streams.StatusActive) {
		return s, newError(errInUse, "The stream %s is %s, not ACTIVE.", s.Name, s.Status)
	}
	return s, nil
}
