package relay

import "time"

// Config bounds what the relay keeps. Zero values take the defaults.
type Config struct {
	// QueueUnits bounds the units waiting for one subscription (beyond the
	// cached group of pictures it starts with). Default 256, about 3 s of
	// 30 fps video with its audio. When it is full the queue is emptied and
	// the subscription resumes at the next keyframe.
	QueueUnits int
	// GOPUnits and GOPBytes bound the cached group of pictures that new
	// subscriptions start with. Past either bound only the keyframe is
	// kept (a new viewer then decodes the keyframe and the pictures after
	// it with errors until the next keyframe). Defaults 600 and 8 MiB.
	GOPUnits int
	GOPBytes int
	// CacheBytes bounds the cached groups of pictures of all streams
	// together: past it a stream's cache keeps only its keyframe, as past
	// GOPBytes. Default 256 MiB.
	CacheBytes int64
	// KeyframeInterval is the shortest time between two calls of a
	// publisher's keyframe requester. Default 500ms.
	KeyframeInterval time.Duration
}

func (c Config) withDefaults() Config {
	if c.QueueUnits <= 0 {
		c.QueueUnits = 256
	}
	if c.GOPUnits <= 0 {
		c.GOPUnits = 600
	}
	if c.GOPBytes <= 0 {
		c.GOPBytes = 8 << 20
	}
	if c.CacheBytes <= 0 {
		c.CacheBytes = 256 << 20
	}
	if c.KeyframeInterval <= 0 {
		c.KeyframeInterval = 500 * time.Millisecond
	}
	return c
}
