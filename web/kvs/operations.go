package kvs

import (
	"context"
	"net/http"
	"reflect"
)

// operation is one API call: its AWS name (for metrics and logs) and its
// implementation. serve writes the response itself on success (jsonOp does
// for JSON operations; media operations stream theirs); on failure it
// returns the error, which ServeHTTP sends unless the response has
// started.
type operation struct {
	name  string
	serve func(ctx context.Context, ex *exchange) error
	// input is the operation's input struct type, whose resource members
	// decode authorizes.
	input reflect.Type
}

// operations is the dispatch table: every request path the Handler serves,
// with the model's exact casing. New operations (GetMedia, GetClip,
// GetHLSStreamingSessionURL, ...) are added here and nowhere else.
func (h *Handler) operations() map[string]operation {
	ops := map[string]operation{
		// Control plane (kinesisvideo).
		"/createStream":        jsonOp(h, "CreateStream", h.createStream),
		"/describeStream":      jsonOp(h, "DescribeStream", h.describeStream),
		"/listStreams":         jsonOp(h, "ListStreams", h.listStreams),
		"/updateStream":        jsonOp(h, "UpdateStream", h.updateStream),
		"/deleteStream":        jsonOp(h, "DeleteStream", h.deleteStream),
		"/updateDataRetention": jsonOp(h, "UpdateDataRetention", h.updateDataRetention),
		"/getDataEndpoint":     jsonOp(h, "GetDataEndpoint", h.getDataEndpoint),
		"/tagStream":           jsonOp(h, "TagStream", h.tagStream),
		"/untagStream":         jsonOp(h, "UntagStream", h.untagStream),
		"/listTagsForStream":   jsonOp(h, "ListTagsForStream", h.listTagsForStream),
		"/TagResource":         jsonOp(h, "TagResource", h.tagResource),
		"/UntagResource":       jsonOp(h, "UntagResource", h.untagResource),
		"/ListTagsForResource": jsonOp(h, "ListTagsForResource", h.listTagsForResource),
		// Archived media (kinesis-video-archived-media), on the same listener.
		"/listFragments": jsonOp(h, "ListFragments", h.listFragments),
	}
	// Streaming sessions (HLS, DASH) and media (clips, Matroska) come from
	// their own files.
	for _, more := range []map[string]operation{h.sessionOperations(), h.mediaOperations()} {
		for path, op := range more {
			ops[path] = op
		}
	}
	return ops
}

// jsonOp adapts a JSON operation: its input is decoded from the request
// body, its output encoded as the response body. fn gets the request
// (for its host) and the decoded input.
func jsonOp[In, Out any](h *Handler, name string, fn func(context.Context, *http.Request, *In) (*Out, error)) operation {
	return operation{name: name, input: reflect.TypeFor[In](), serve: func(ctx context.Context, ex *exchange) error {
		in := new(In)
		if err := h.decode(ex, in); err != nil {
			return err
		}
		out, err := fn(ctx, ex.r, in)
		if err != nil {
			return err
		}
		h.writeJSON(ex, http.StatusOK, out)
		return nil
	}}
}

// done is the result of an operation with an empty output.
func done(err error) (*struct{}, error) {
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}
