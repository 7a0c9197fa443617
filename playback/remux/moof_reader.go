package remux

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// Box types, flags and limits of movie fragments (ISO/IEC 14496-12
// 8.8.4-8.8.8, 8.8.12).
const (
	boxMoof = 'm'<<24 | 'o'<<16 | 'o'<<8 | 'f'
	boxMfhd = 'm'<<24 | 'f'<<16 | 'h'<<8 | 'd'
	boxTraf = 't'<<24 | 'r'<<16 | 'a'<<8 | 'f'
	boxTfhd = 't'<<24 | 'f'<<16 | 'h'<<8 | 'd'
	boxTfdt = 't'<<24 | 'f'<<16 | 'd'<<8 | 't'
	boxTrun = 't'<<24 | 'r'<<16 | 'u'<<8 | 'n'
	boxMdat = 'm'<<24 | 'd'<<16 | 'a'<<8 | 't'

	tfhdSampleDescriptionIndex = 0x000002
	tfhdDefaultDuration        = 0x000008
	tfhdDefaultSize            = 0x000010
	tfhdDefaultFlags           = 0x000020
	tfhdDefaultBaseIsMoof      = 0x020000

	trunDataOffset = 0x000001
	trunDuration   = 0x000100
	trunSize       = 0x000200
	trunFlags      = 0x000400
	trunCTO        = 0x000800

	sampleNonSync = 1 << 16

	// maxTrunSamples is the most samples a trun may have for mediacommon
	// (120 fps for 160 s); it refuses larger ones.
	maxTrunSamples = 120 * 160
)

// box is the header of an ISO BMFF box: its type, and where its payload
// and the box end in the bytes read.
type box struct {
	typ          uint32
	payload, end int
}

// readBox reads the header of the box at off in b, which must end by
// limit. It reports false for a box that does not fit, and for the size
// forms 0 (to the end of the file) and 1 (64-bit size).
func readBox(b []byte, off, limit int) (box, bool) {
	if off < 0 || limit-off < 8 {
		return box{}, false
	}
	size := int(binary.BigEndian.Uint32(b[off:]))
	if size < 8 || size > limit-off {
		return box{}, false
	}
	return box{typ: binary.BigEndian.Uint32(b[off+4:]), payload: off + 8, end: off + size}, true
}

// addFast appends the samples of b to m's tracks, reading b without
// reflection or per-sample allocation, and reports whether it could. It
// reads exactly the movie fragments package fragments writes (and
// mediacommon's fmp4.Part.Marshal, which writes them):
//
//	moof (mfhd, then traf*: tfhd, tfdt version 1, trun+), mdat; repeated
//
// where tfhd has default-base-is-moof and optionally the default sample
// duration, size and flags and the sample description index; each trun,
// version 0 (without composition offsets) or 1, has a data offset and any
// of the per-sample duration, size, flags and composition offset, and its
// samples lie in the mdat that follows; every traf names a track of m.
//
// Anything else (other boxes, 64-bit or open-ended box sizes, other
// versions and flags, sizes that do not add up, samples outside their
// mdat) makes it report false with m unchanged, and the caller parses b
// with mediacommon. Where addFast reports true, the samples are those
// mediacommon's fmp4.Parts.Unmarshal gives (FuzzMoofReader compares
// them); payloads alias b.
func (m *Media) addFast(b []byte) bool {
	var lensBuf [4]int
	lens := lensBuf[:0]
	for _, t := range m.Tracks {
		lens = append(lens, len(t.Samples))
	}
	if m.readFragment(b) {
		return true
	}
	for i, t := range m.Tracks {
		clear(t.Samples[lens[i]:])
		t.Samples = t.Samples[:lens[i]]
	}
	return false
}

// readFragment reads moof+mdat pairs up to the end of b.
func (m *Media) readFragment(b []byte) bool {
	for off := 0; off < len(b); {
		moof, ok := readBox(b, off, len(b))
		if !ok || moof.typ != boxMoof {
			return false
		}
		mdat, ok := readBox(b, moof.end, len(b))
		if !ok || mdat.typ != boxMdat || !m.readMoof(b, off, moof, mdat) {
			return false
		}
		off = mdat.end
	}
	return true
}

// readMoof reads the moof at start, whose samples lie in mdat.
func (m *Media) readMoof(b []byte, start int, moof, mdat box) bool {
	mfhd, ok := readBox(b, moof.payload, moof.end)
	if !ok || mfhd.typ != boxMfhd || mfhd.end-mfhd.payload != 8 || binary.BigEndian.Uint32(b[mfhd.payload:]) != 0 {
		return false
	}
	for off := mfhd.end; off < moof.end; {
		traf, ok := readBox(b, off, moof.end)
		if !ok || traf.typ != boxTraf || !m.readTraf(b, start, traf, mdat) {
			return false
		}
		off = traf.end
	}
	return true
}

// trackDefaults are a tfhd's default sample values.
type trackDefaults struct {
	duration, size, flags uint32
}

// readTraf reads one traf of the moof at moofStart.
func (m *Media) readTraf(b []byte, moofStart int, traf, mdat box) bool {
	tfhd, ok := readBox(b, traf.payload, traf.end)
	if !ok || tfhd.typ != boxTfhd || tfhd.end-tfhd.payload < 8 {
		return false
	}
	const optional = tfhdSampleDescriptionIndex | tfhdDefaultDuration | tfhdDefaultSize | tfhdDefaultFlags
	vf := binary.BigEndian.Uint32(b[tfhd.payload:]) // version 0 and flags
	if vf&^(optional|tfhdDefaultBaseIsMoof) != 0 || vf&tfhdDefaultBaseIsMoof == 0 ||
		tfhd.end-tfhd.payload != 8+4*bits.OnesCount32(vf&optional) {
		return false
	}
	t := m.track(int(binary.BigEndian.Uint32(b[tfhd.payload+4:])))
	if t == nil {
		return false
	}
	var def trackDefaults
	p := tfhd.payload + 8
	if vf&tfhdSampleDescriptionIndex != 0 {
		p += 4
	}
	for _, f := range [...]struct {
		flag uint32
		v    *uint32
	}{{tfhdDefaultDuration, &def.duration}, {tfhdDefaultSize, &def.size}, {tfhdDefaultFlags, &def.flags}} {
		if vf&f.flag != 0 {
			*f.v = binary.BigEndian.Uint32(b[p:])
			p += 4
		}
	}
	tfdt, ok := readBox(b, tfhd.end, traf.end)
	if !ok || tfdt.typ != boxTfdt || tfdt.end-tfdt.payload != 12 || b[tfdt.payload] != 1 {
		return false
	}
	dts := int64(binary.BigEndian.Uint64(b[tfdt.payload+4:]))
	truns := 0
	for off := tfdt.end; off < traf.end; truns++ {
		trun, ok := readBox(b, off, traf.end)
		if !ok || trun.typ != boxTrun {
			return false
		}
		if dts, ok = readTrun(t, b, trun, dts, def, moofStart, mdat); !ok {
			return false
		}
		off = trun.end
	}
	return truns > 0
}

// readTrun appends the samples of trun to t, the first decoding at dts,
// and returns the decode time after them.
func readTrun(t *Track, b []byte, trun box, dts int64, def trackDefaults, moofStart int, mdat box) (int64, bool) {
	p := trun.payload
	if trun.end-p < 12 {
		return 0, false
	}
	vf := binary.BigEndian.Uint32(b[p:])
	version, flags := vf>>24, vf&0xffffff
	const perSample = trunDuration | trunSize | trunFlags | trunCTO
	if version > 1 || flags&^(trunDataOffset|perSample) != 0 || flags&trunDataOffset == 0 ||
		(version == 0 && flags&trunCTO != 0) {
		return 0, false
	}
	count := binary.BigEndian.Uint32(b[p+4:])
	entry := 4 * bits.OnesCount32(flags&perSample)
	if count > maxTrunSamples || trun.end-p != 12+int(count)*entry {
		return 0, false
	}
	data := moofStart + int(int32(binary.BigEndian.Uint32(b[p+8:])))
	if data < mdat.payload {
		return 0, false
	}
	t.Samples = slices.Grow(t.Samples, int(count))
	e := p + 12
	for range count {
		dur, size, sflags := def.duration, def.size, def.flags
		if flags&trunDuration != 0 {
			dur = binary.BigEndian.Uint32(b[e:])
			e += 4
		}
		if flags&trunSize != 0 {
			size = binary.BigEndian.Uint32(b[e:])
			e += 4
		}
		if flags&trunFlags != 0 {
			sflags = binary.BigEndian.Uint32(b[e:])
			e += 4
		}
		pts := dts
		if flags&trunCTO != 0 {
			pts += int64(int32(binary.BigEndian.Uint32(b[e:])))
			e += 4
		}
		if int64(size) > int64(mdat.end-data) {
			return 0, false
		}
		t.Samples = append(t.Samples, Sample{
			DTS: dts, PTS: pts, Duration: int64(dur), Sync: sflags&sampleNonSync == 0,
			Payload: b[data : data+int(size)],
		})
		data += int(size)
		dts += int64(dur)
	}
	return dts, true
}
