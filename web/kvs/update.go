package kvs

import (
	"context"
	"net/http"

	"github.com/sluice-dev/sluice/fragments"
)

type updateStreamInput struct {
	StreamName, StreamARN *string
	CurrentVersion        *string
	DeviceName, MediaType *string
}

// updateStream changes the device name and media type (absent members are
// kept) and gives the stream a new version.
func (h *Handler) updateStream(ctx context.Context, _ *http.Request, in *updateStreamInput) (*struct{}, error) {
	var v violations
	v.str("streamName", in.StreamName, shapeStreamName)
	v.str("streamARN", in.StreamARN, shapeARN)
	v.reqStr("currentVersion", in.CurrentVersion, shapeVersion)
	v.str("deviceName", in.DeviceName, shapeDeviceName)
	v.str("mediaType", in.MediaType, shapeMediaType)
	if err := v.err(); err != nil {
		return nil, err
	}
	s, err := h.active(ctx, in.StreamName, in.StreamARN)
	if err != nil {
		return nil, err
	}
	if err := h.lib.Update(ctx, s.Name, *in.CurrentVersion, deref(in.DeviceName), deref(in.MediaType)); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

const (
	opIncrease = "INCREASE_DATA_RETENTION"
	opDecrease = "DECREASE_DATA_RETENTION"
)

type updateDataRetentionInput struct {
	StreamName, StreamARN      *string
	CurrentVersion             *string
	Operation                  *string
	DataRetentionChangeInHours *int64
}

// updateDataRetention adds or subtracts hours of retention; the result
// must stay within 0 to 87,600 hours (InvalidArgumentException otherwise).
func (h *Handler) updateDataRetention(ctx context.Context, _ *http.Request, in *updateDataRetentionInput) (*struct{}, error) {
	var v violations
	v.str("streamName", in.StreamName, shapeStreamName)
	v.str("streamARN", in.StreamARN, shapeARN)
	v.reqStr("currentVersion", in.CurrentVersion, shapeVersion)
	v.required("operation", in.Operation != nil)
	v.enum("operation", in.Operation, opIncrease, opDecrease)
	v.required("dataRetentionChangeInHours", in.DataRetentionChangeInHours != nil)
	// The model sets only the minimum; no change can be larger than the
	// largest retention, and the bound keeps the arithmetic in range.
	v.num("dataRetentionChangeInHours", in.DataRetentionChangeInHours, 1, fragments.MaxRetentionHours)
	if err := v.err(); err != nil {
		return nil, err
	}
	s, err := h.active(ctx, in.StreamName, in.StreamARN)
	if err != nil {
		return nil, err
	}
	delta := int(*in.DataRetentionChangeInHours)
	if *in.Operation == opDecrease {
		delta = -delta
	}
	if err := h.lib.UpdateRetention(ctx, s.Name, *in.CurrentVersion, delta); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}
