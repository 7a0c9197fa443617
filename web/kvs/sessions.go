package kvs

// sessionOperations are the streaming session operations
// (GetHLSStreamingSessionURL, GetDASHStreamingSessionURL).
func (h *Handler) sessionOperations() map[string]operation {
	return map[string]operation{}
}
