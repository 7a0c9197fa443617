package fragments

import "errors"

var (
	// ErrUnsupportedCodec is returned by NewWriter for a track whose codec
	// cannot be archived in fMP4 by Sluice.
	ErrUnsupportedCodec = errors.New("unsupported codec")
	// ErrNotFound is returned when a video stream or fragment does not exist.
	ErrNotFound = errors.New("not found")
	// ErrPullExists is returned by AddPull when the stream already pulls
	// from another camera.
	ErrPullExists = errors.New("the stream already pulls another camera")
)
