package kvs

import (
	"errors"

	"github.com/sluice-dev/sluice/playback/remux"
)

// mediaError translates a remux error of the first fragment (nothing sent
// yet) to the name the archived-media model has for it.
func mediaError(err error) error {
	switch {
	case errors.Is(err, remux.ErrMissingCodecPrivateData):
		return newError(errMissingCodecPrivateData, "%s", err)
	case errors.Is(err, remux.ErrUnsupportedCodec):
		return newError(errUnsupportedMediaType, "%s", err)
	case errors.Is(err, remux.ErrInvalidMedia):
		return newError(errInvalidMediaFrame, "%s", err)
	}
	return err
}

// AWS error names of the media operations; their statuses (all 400) are
// rows of errorTable.
const (
	errMissingCodecPrivateData = "MissingCodecPrivateDataException"
	errUnsupportedMediaType    = "UnsupportedStreamMediaTypeException"
	errInvalidMediaFrame       = "InvalidMediaFrameException"
	errNoDataRetention         = "NoDataRetentionException"
)
