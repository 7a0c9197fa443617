package kvs

import (
	"errors"
	"fmt"
	"time"
)

// Defaults of MediaLimits.
const (
	// DefaultClipBytes bounds a GetClip response (KVS stops at 100 MB).
	DefaultClipBytes = 4 << 30
	// DefaultClipFragments bounds the fragments of a GetClip range (KVS
	// stops at 200): 24 hours of 2-second fragments.
	DefaultClipFragments = 43200
	// DefaultClipRange is the longest GetClip time range, as KVS.
	DefaultClipRange = 24 * time.Hour
)

// MediaLimits bounds the media operations. The zero value takes the
// defaults; a negative value is invalid.
type MediaLimits struct {
	// ClipBytes bounds the fragment bytes of a GetClip range; a range
	// whose fragments hold more is InvalidArgumentException, before
	// anything is sent. Default DefaultClipBytes.
	ClipBytes int64
	// ClipFragments bounds the fragments of a GetClip range, likewise.
	// Default DefaultClipFragments.
	ClipFragments int
	// ClipRange is the longest GetClip TimestampRange. Default
	// DefaultClipRange.
	ClipRange time.Duration
}

// withDefaults fills in the defaults of zero fields.
func (l MediaLimits) withDefaults() MediaLimits {
	if l.ClipBytes <= 0 {
		l.ClipBytes = DefaultClipBytes
	}
	if l.ClipFragments <= 0 {
		l.ClipFragments = DefaultClipFragments
	}
	if l.ClipRange <= 0 {
		l.ClipRange = DefaultClipRange
	}
	return l
}

// Validate reports every negative field, each naming its key.
func (l MediaLimits) Validate() error {
	var errs []error
	if l.ClipBytes < 0 {
		errs = append(errs, fmt.Errorf("kvs: Media.ClipBytes: must not be negative, got %d", l.ClipBytes))
	}
	if l.ClipFragments < 0 {
		errs = append(errs, fmt.Errorf("kvs: Media.ClipFragments: must not be negative, got %d", l.ClipFragments))
	}
	if l.ClipRange < 0 {
		errs = append(errs, fmt.Errorf("kvs: Media.ClipRange: must not be negative, got %v", l.ClipRange))
	}
	return errors.Join(errs...)
}

// mediaLimits are the limits of this Handler's media operations.
// mediaLimits are the configured limits with defaults filled in.
func (h *Handler) mediaLimits() MediaLimits { return h.cfg.Media.withDefaults() }
