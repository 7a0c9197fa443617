package kvs

import (
	"context"
	"net/http"

	"github.com/sluice-dev/sluice/fragments"
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

// deleteStream removes a stream's registry entry (with its fragment index)
// and then every object under its media prefix.
//
// The order keeps the design's invariant that an index entry never points
// at a missing object: once Library.Delete returns, the stream is DELETING
// and its index can be neither read nor appended to, so removing media
// afterwards cannot be observed through the index. The other order could
// leave an ACTIVE stream whose fragments are gone if the registry step then
// failed (version mismatch, stream in use, crash). The cost of this order
// is that a failure part-way through the media leaves orphans (reported as
// InternalFailure and logged); so does a writer that stores an object
// after the listing and then fails to index it. Orphans sit under the old
// incarnation's prefix (it includes the creation time), so a stream
// created again under the same name never sees them.
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
	if err := h.lib.Delete(ctx, s.Name, deref(in.CurrentVersion)); err != nil {
		return nil, err
	}
	// The registry entry is gone: finish the media even if the client
	// does not wait for the answer.
	if err := h.purge(context.WithoutCancel(ctx), s); err != nil {
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
