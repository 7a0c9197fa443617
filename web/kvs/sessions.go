package kvs

// sessionOperations are the streaming session operations
// (GetHLSStreamingSessionURL, GetDASHStreamingSessionURL), served when the
// Handler has a playback Source and Signer. The sessions they hand out are
// served by the GET routes of package web (web/hls.go).
func (h *Handler) sessionOperations() map[string]operation {
	if h.cfg.Playback == nil || h.cfg.Signer == nil {
		return map[string]operation{}
	}
	return map[string]operation{
		"/getHLSStreamingSessionURL":  jsonOp(h, "GetHLSStreamingSessionURL", h.getHLSStreamingSessionURL),
		"/getDASHStreamingSessionURL": jsonOp(h, "GetDASHStreamingSessionURL", h.getDASHStreamingSessionURL),
	}
}
