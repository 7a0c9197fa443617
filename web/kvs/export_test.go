package kvs

// SetPurgeBatch sets how many keys one round of a media purge lists, so
// that tests see several rounds without thousands of objects.
func SetPurgeBatch(h *Handler, n int) { h.purgeBatch = n }
