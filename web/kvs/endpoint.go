package kvs

import (
	"context"
	"net/http"
)

// apiNames is the APIName enum of GetDataEndpoint.
var apiNames = []string{
	"PUT_MEDIA", "GET_MEDIA", "LIST_FRAGMENTS", "GET_MEDIA_FOR_FRAGMENT_LIST",
	"GET_HLS_STREAMING_SESSION_URL", "GET_DASH_STREAMING_SESSION_URL", "GET_CLIP", "GET_IMAGES",
}

type getDataEndpointInput struct {
	StreamName, StreamARN *string
	APIName               *string
}

type getDataEndpointOutput struct {
	DataEndpoint string
}

// getDataEndpoint returns the base URL for the data-plane calls: Sluice
// serves every API on one listener, so it is the same for every APIName
// and stream. The stream must exist, as in AWS.
func (h *Handler) getDataEndpoint(ctx context.Context, r *http.Request, in *getDataEndpointInput) (*getDataEndpointOutput, error) {
	var v violations
	v.str("streamName", in.StreamName, shapeStreamName)
	v.str("streamARN", in.StreamARN, shapeARN)
	v.required("aPIName", in.APIName != nil)
	v.enum("aPIName", in.APIName, apiNames...)
	if err := v.err(); err != nil {
		return nil, err
	}
	if _, err := h.resolve(ctx, in.StreamName, in.StreamARN); err != nil {
		return nil, err
	}
	return &getDataEndpointOutput{DataEndpoint: h.publicURL(r)}, nil
}

// publicURL is Config.PublicURL, or else the base URL the request came to.
func (h *Handler) publicURL(r *http.Request) string {
	if h.cfg.PublicURL != "" {
		return h.cfg.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
