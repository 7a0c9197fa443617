package remux

import (
	"encoding/binary"
	"fmt"
	"math"
)

// partTrack is one track of an output part: its ID, the decode time of
// its first sample in the track's timescale, and its samples (of which
// only Duration, PTS-DTS, Sync and Payload are written).
type partTrack struct {
	id      int
	base    int64
	samples []Sample
}

// appendPart appends to dst the moof of one part (ISO/IEC 14496-12
// 8.8.4: mfhd with seq; per track a traf of tfhd with
// default-base-is-moof, tfdt version 1 and one trun version 1 with
// per-sample durations and sizes, and flags and composition offsets when
// a sample of the track needs them) and the header of the mdat that
// follows it. The mdat's payload, which the caller writes next, is the
// tracks' sample payloads in order. The bytes are those mediacommon's
// fmp4.Part.Marshal writes for the same samples (TestAppendPart).
func appendPart(dst []byte, seq uint32, tracks []partTrack) ([]byte, error) {
	moofSize, data := 8+16, 0
	for _, t := range tracks {
		moofSize += 64 + len(t.samples)*trunEntrySize(trunFlagsOf(t.samples))
		for _, s := range t.samples {
			data += len(s.Payload)
		}
	}
	if int64(moofSize) > math.MaxUint32 || int64(data)+8 > math.MaxUint32 {
		return dst, fmt.Errorf("fMP4 part of %d bytes of samples: too large for 32-bit box sizes", data)
	}
	dst = appendBoxHeader(dst, moofSize, boxMoof)
	dst = appendBoxHeader(dst, 16, boxMfhd)
	dst = binary.BigEndian.AppendUint32(dst, 0)
	dst = binary.BigEndian.AppendUint32(dst, seq)
	offset := moofSize + 8 // of the track's first payload from the moof's start
	for _, t := range tracks {
		flags := trunFlagsOf(t.samples)
		trunSize := 20 + len(t.samples)*trunEntrySize(flags)
		dst = appendBoxHeader(dst, 44+trunSize, boxTraf)
		dst = appendBoxHeader(dst, 16, boxTfhd)
		dst = binary.BigEndian.AppendUint32(dst, tfhdDefaultBaseIsMoof)
		dst = binary.BigEndian.AppendUint32(dst, uint32(t.id))
		dst = appendBoxHeader(dst, 20, boxTfdt)
		dst = binary.BigEndian.AppendUint32(dst, 1<<24)
		dst = binary.BigEndian.AppendUint64(dst, uint64(t.base))
		dst = appendBoxHeader(dst, trunSize, boxTrun)
		dst = binary.BigEndian.AppendUint32(dst, 1<<24|flags)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(t.samples)))
		dst = binary.BigEndian.AppendUint32(dst, uint32(offset))
		for _, s := range t.samples {
			dst = binary.BigEndian.AppendUint32(dst, uint32(s.Duration))
			dst = binary.BigEndian.AppendUint32(dst, uint32(len(s.Payload)))
			if flags&trunFlags != 0 {
				var f uint32
				if !s.Sync {
					f = sampleNonSync
				}
				dst = binary.BigEndian.AppendUint32(dst, f)
			}
			if flags&trunCTO != 0 {
				dst = binary.BigEndian.AppendUint32(dst, uint32(int32(s.PTS-s.DTS)))
			}
			offset += len(s.Payload)
		}
	}
	return appendBoxHeader(dst, 8+data, boxMdat), nil
}

// trunFlagsOf are the trun flags of a track's samples: data offset,
// durations and sizes always; flags when one is not a sync sample;
// composition offsets when one has PTS != DTS.
func trunFlagsOf(samples []Sample) uint32 {
	flags := uint32(trunDataOffset | trunDuration | trunSize)
	for _, s := range samples {
		if !s.Sync {
			flags |= trunFlags
		}
		if int32(s.PTS-s.DTS) != 0 {
			flags |= trunCTO
		}
	}
	return flags
}

// trunEntrySize is the size of one sample's entry in a trun with flags.
func trunEntrySize(flags uint32) int {
	n := 8
	if flags&trunFlags != 0 {
		n += 4
	}
	if flags&trunCTO != 0 {
		n += 4
	}
	return n
}

func appendBoxHeader(dst []byte, size int, typ uint32) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(size))
	return binary.BigEndian.AppendUint32(dst, typ)
}
