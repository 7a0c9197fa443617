package remux

import (
	"bytes"
	"fmt"

	amp4 "github.com/abema/go-mp4"
)

// sampleEntries are the fMP4 sample entry types of the codecs package
// fragments stores, and whether each needs a decoder configuration record.
var sampleEntries = map[string]bool{
	"avc1": true, "avc3": true, "hvc1": true, "hev1": true, "av01": false,
	"vp09": false, "mp4a": false, "Opus": false, "ipcm": false,
}

// parseInit parses an init segment, first checking its sample entries:
// ErrUnsupportedCodec for an unknown one, ErrMissingCodecPrivateData for
// an H.264/H.265 entry without its configuration record. It returns the
// tracks and their configuration records (the payloads of the avcC, hvcC
// and av1C boxes) by track ID.
func parseInit(init []byte) (*Media, map[int][]byte, error) {
	records := map[int][]byte{}
	entries := map[int]string{}
	track := 0
	_, err := amp4.ReadBoxStructure(bytes.NewReader(init), func(h *amp4.ReadHandle) (any, error) {
		typ := h.BoxInfo.Type.String()
		switch typ {
		case "moov", "trak", "mdia", "minf", "stbl", "stsd":
			return h.Expand()
		case "tkhd":
			box, _, err := h.ReadPayload()
			if err != nil {
				return nil, err
			}
			track = int(box.(*amp4.Tkhd).TrackID)
			return nil, nil
		case "avcC", "hvcC", "av1C":
			bi := h.BoxInfo
			if bi.Offset+bi.Size <= uint64(len(init)) {
				records[track] = init[bi.Offset+bi.HeaderSize : bi.Offset+bi.Size]
			}
			return nil, nil
		}
		if len(h.Path) >= 2 && h.Path[len(h.Path)-2].String() == "stsd" {
			entries[track] = typ
			if _, ok := sampleEntries[typ]; ok && h.BoxInfo.IsSupportedType() {
				return h.Expand()
			}
		}
		return nil, nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: init segment: %v", ErrInvalidMedia, err)
	}
	for id, typ := range entries {
		needsRecord, known := sampleEntries[typ]
		switch {
		case !known:
			return nil, nil, fmt.Errorf("%w: track %d is %q", ErrUnsupportedCodec, id, typ)
		case needsRecord && len(records[id]) == 0:
			return nil, nil, fmt.Errorf("%w: track %d (%s) has no decoder configuration record", ErrMissingCodecPrivateData, id, typ)
		}
	}
	m, err := Parse(init)
	if err != nil {
		return nil, nil, err
	}
	return m, records, nil
}
