package kvs

import (
	"context"
	"errors"
	"net/http"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/video"
)

type createStreamInput struct {
	StreamName           *string
	DeviceName           *string
	MediaType            *string
	KmsKeyId             *string
	DataRetentionInHours *int64
	Tags                 map[string]string
	// StreamStorageConfiguration is checked and otherwise ignored: Sluice
	// has one storage tier.
	StreamStorageConfiguration *struct {
		DefaultStorageTier *string
	}
}

type createStreamOutput struct {
	StreamARN string
}

// createStream registers a stream; it is CREATING, then ACTIVE once its
// index exists (typically within milliseconds).
func (h *Handler) createStream(ctx context.Context, _ *http.Request, in *createStreamInput) (*createStreamOutput, error) {
	var v violations
	v.reqStr("streamName", in.StreamName, shapeStreamName)
	v.str("deviceName", in.DeviceName, shapeDeviceName)
	v.str("mediaType", in.MediaType, shapeMediaType)
	v.str("kmsKeyId", in.KmsKeyId, shapeKMSKeyID)
	v.num("dataRetentionInHours", in.DataRetentionInHours, 0, fragments.MaxRetentionHours)
	checkTagMap(&v, "tags", in.Tags)
	if c := in.StreamStorageConfiguration; c != nil {
		v.required("streamStorageConfiguration.defaultStorageTier", c.DefaultStorageTier != nil)
		v.enum("streamStorageConfiguration.defaultStorageTier", c.DefaultStorageTier, "HOT", "WARM")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := tagLimit(*in.StreamName, len(in.Tags)); err != nil {
		return nil, err
	}
	spec := fragments.StreamSpec{
		Name:       *in.StreamName,
		DeviceName: deref(in.DeviceName), MediaType: deref(in.MediaType), KMSKeyID: deref(in.KmsKeyId),
		Tags: in.Tags,
	}
	if in.DataRetentionInHours != nil {
		spec.RetentionHours = int(*in.DataRetentionInHours)
	}
	s, err := h.lib.Create(ctx, spec)
	if err != nil {
		return nil, err
	}
	return &createStreamOutput{StreamARN: s.ARN}, nil
}

type deleteStreamInput struct {
	StreamARN      *string
	CurrentVersion *string
}

// deleteStream deletes the stream through video.Streams.Delete: its
// camera, its registry entry (with its fragment index), then its media. A
// failure to remove some media is an InternalFailure that says how much
// was left.
func (h *Handler) deleteStream(ctx context.Context, _ *http.Request, in *deleteStreamInput) (*struct{}, error) {
	var v violations
	v.reqStr("streamARN", in.StreamARN, shapeARN)
	v.str("currentVersion", in.CurrentVersion, shapeVersion)
	if err := v.err(); err != nil {
		return nil, err
	}
	s, err := h.resolve(ctx, nil, in.StreamARN)
	if err != nil {
		return nil, err
	}
	if h.life == nil {
		return nil, newError(errInternal, "Stream deletion is not served by this server.")
	}
	err = h.life.Delete(ctx, s.Name, deref(in.CurrentVersion))
	if pe, ok := errors.AsType[*video.PurgeError](err); ok {
		return nil, newError(errInternal, "%s", pe.Error())
	}
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
