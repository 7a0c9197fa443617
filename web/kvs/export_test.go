package kvs

import "github.com/sluice-dev/sluice/video"

// SetPurgeBatch sets how many keys one round of a media purge lists, so
// that tests see several rounds without thousands of objects.
func SetPurgeBatch(h *Handler, n int) {
	life, err := video.New(video.Config{Library: h.lib, Bucket: h.bucket, PurgeBatch: n, Logger: h.cfg.Logger})
	if err != nil {
		panic(err)
	}
	h.life = life
}
