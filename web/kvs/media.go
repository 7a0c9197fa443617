package kvs

// mediaOperations are the media operations (GetClip, GetMedia,
// GetMediaForFragmentList).
func (h *Handler) mediaOperations() map[string]operation {
	return map[string]operation{}
}
