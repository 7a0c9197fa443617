package remux

import "errors"

var (
	// ErrInvalidMedia is returned when an init segment or fragment cannot
	// be parsed as fMP4, or a fragment names a track its init segment
	// does not have.
	ErrInvalidMedia = errors.New("invalid fMP4 media")
	// ErrMissingCodecPrivateData is returned when an H.264 or H.265 track
	// of an init segment has no decoder configuration record (avcC, hvcC)
	// with its parameter sets.
	ErrMissingCodecPrivateData = errors.New("missing codec private data")
	// ErrUnsupportedCodec is returned for an init segment with a track
	// whose sample entry is none of the codecs package fragments stores.
	ErrUnsupportedCodec = errors.New("unsupported codec")
	// ErrNoTracks is returned by TS when no track of the init segment can
	// be carried in MPEG-TS.
	ErrNoTracks = errors.New("no track can be carried")
	// ErrInitChanged is returned by Clip.Add when a fragment's init
	// segment describes other tracks or codec parameters than the clip's:
	// the clip ends before that fragment.
	ErrInitChanged = errors.New("codec parameters changed")
	// ErrEmpty is returned by Clip.Close when no sample fell in the range.
	ErrEmpty = errors.New("no media in the range")
)
