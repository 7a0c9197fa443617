package remux_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/playback/remux"
)

// mp4Box is an ISO BMFF box of type typ holding the parts.
func mp4Box(typ string, parts ...[]byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, 0)
	b = append(b, typ...)
	for _, p := range parts {
		b = append(b, p...)
	}
	binary.BigEndian.PutUint32(b, uint32(len(b)))
	return b
}

// u32s is the big-endian encoding of vs.
func u32s(vs ...uint32) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

// moofCase is a hand-made one-track fragment (track 1) of three samples,
// in one form a muxer may write, and whether the fast reader takes it.
type moofCase struct {
	name string
	fast bool
	// tfhd flags and the fields after the track ID.
	tfhd       uint32
	tfhdFields []uint32
	// trun version<<24|flags; per-sample fields follow from the flags.
	trun uint32
	// Extra boxes: before the moof, inside the traf.
	before, inTraf []byte
	// dataOffset is added to the trun's data offset.
	dataOffset int32
	// largeMdat writes the mdat with a 64-bit size.
	largeMdat bool
	// twoTruns splits the samples into two truns.
	twoTruns bool
}

var moofSamples = []struct {
	dur, cto uint32
	sync     bool
	payload  string
}{{3600, 7200, true, "keyframe"}, {3600, 0, false, "p1"}, {3600, 3600, false, "p2-"}}

// bytes builds the fragment.
func (c moofCase) bytes() []byte {
	build := func(offset uint32) []byte {
		runs := [][]int{{0, 1, 2}}
		if c.twoTruns {
			runs = [][]int{{0}, {1, 2}}
		}
		var truns []byte
		data := offset
		for _, run := range runs {
			body := u32s(c.trun, uint32(len(run)), data)
			if c.trun&0x4 != 0 {
				body = append(body, u32s(0)...) // first-sample-flags
			}
			for _, i := range run {
				s := moofSamples[i]
				if c.trun&0x100 != 0 {
					body = append(body, u32s(s.dur)...)
				}
				if c.trun&0x200 != 0 {
					body = append(body, u32s(uint32(len(s.payload)))...)
				}
				if c.trun&0x400 != 0 {
					f := uint32(0)
					if !s.sync {
						f = 1 << 16
					}
					body = append(body, u32s(f)...)
				}
				if c.trun&0x800 != 0 {
					body = append(body, u32s(s.cto)...)
				}
				data += uint32(len(s.payload))
			}
			truns = append(truns, mp4Box("trun", body)...)
		}
		traf := mp4Box("traf",
			mp4Box("tfhd", u32s(c.tfhd, 1), u32s(c.tfhdFields...)),
			mp4Box("tfdt", u32s(1<<24), binary.BigEndian.AppendUint64(nil, 90000*1_700_000_000)),
			truns, c.inTraf)
		return mp4Box("moof", mp4Box("mfhd", u32s(0, 7)), traf)
	}
	var payload []byte
	for _, s := range moofSamples {
		payload = append(payload, s.payload...)
	}
	mdat := mp4Box("mdat", payload)
	if c.largeMdat {
		mdat = append(u32s(1), "mdat"...)
		mdat = binary.BigEndian.AppendUint64(mdat, uint64(16+len(payload)))
		mdat = append(mdat, payload...)
	}
	moof := build(0)
	moof = build(uint32(int32(len(moof)+len(mdat)-len(payload)) + c.dataOffset))
	return bytes.Join([][]byte{c.before, moof, mdat}, nil)
}

const (
	asWritten  = 0x020000
	fullTrunV1 = 1<<24 | 0xf01
)

var moofCases = []moofCase{
	{name: "as package fragments writes it", fast: true, tfhd: asWritten, trun: fullTrunV1},
	{name: "two truns", fast: true, tfhd: asWritten, trun: fullTrunV1, twoTruns: true},
	{name: "trun version 0 without composition offsets", fast: true, tfhd: asWritten, trun: 0x701},
	{name: "tfhd defaults", fast: true, tfhd: asWritten | 0x38, tfhdFields: []uint32{3600, 0, 1 << 16}, trun: 0x201},
	{name: "tfhd sample description index", fast: true, tfhd: asWritten | 0x2, tfhdFields: []uint32{1}, trun: fullTrunV1},
	{name: "trun version 0 with composition offsets", tfhd: asWritten, trun: 0xf01},
	{name: "trun first-sample-flags", tfhd: asWritten, trun: 1<<24 | 0xf05},
	{name: "tfhd base-data-offset", tfhd: asWritten | 0x1, tfhdFields: []uint32{0, 0}, trun: fullTrunV1},
	{name: "tfhd without default-base-is-moof", tfhd: 0, trun: fullTrunV1},
	{name: "a box before the moof", tfhd: asWritten, trun: fullTrunV1, before: mp4Box("styp", []byte("msdhmsdh"))},
	{name: "a box in the traf", tfhd: asWritten, trun: fullTrunV1, inTraf: mp4Box("free", []byte("x"))},
	{name: "mdat with a 64-bit size", tfhd: asWritten, trun: fullTrunV1, largeMdat: true},
	{name: "samples past the mdat", tfhd: asWritten, trun: fullTrunV1, dataOffset: 4},
	{name: "samples before the mdat", tfhd: asWritten, trun: fullTrunV1, dataOffset: -4},
}

// diffMedia describes the first difference between two parsed media, or
// is empty.
func diffMedia(a, b *remux.Media) string {
	if len(a.Tracks) != len(b.Tracks) {
		return fmt.Sprintf("%d tracks, %d tracks", len(a.Tracks), len(b.Tracks))
	}
	for i, t := range a.Tracks {
		u := b.Tracks[i]
		if len(t.Samples) != len(u.Samples) {
			return fmt.Sprintf("track %d: %d samples, %d samples", t.ID, len(t.Samples), len(u.Samples))
		}
		for j, s := range t.Samples {
			v := u.Samples[j]
			if s.DTS != v.DTS || s.PTS != v.PTS || s.Duration != v.Duration || s.Sync != v.Sync || !bytes.Equal(s.Payload, v.Payload) {
				return fmt.Sprintf("track %d sample %d: %+v, %+v", t.ID, j, s, v)
			}
		}
	}
	return ""
}

// checkFastReader checks the property the fast reader keeps: where it
// reads a fragment, mediacommon reads the same samples; Parse gives what
// mediacommon gives. It returns whether the fast reader took the media.
func checkFastReader(t *testing.T, init []byte, media ...[]byte) bool {
	t.Helper()
	fast, ok, err := remux.ParseFast(init, media...)
	if err != nil {
		return false // the init segment does not parse
	}
	slow, slowErr := remux.ParseMediacommon(init, media...)
	parsed, err := remux.Parse(init, media...)
	if (err == nil) != (slowErr == nil) {
		t.Fatalf("Parse: %v; mediacommon: %v", err, slowErr)
	}
	if err == nil {
		if d := diffMedia(parsed, slow); d != "" {
			t.Fatalf("Parse and mediacommon differ: %s", d)
		}
	}
	if !ok {
		return false
	}
	if slowErr != nil {
		t.Fatalf("the fast reader reads what mediacommon refuses: %v", slowErr)
	}
	if d := diffMedia(fast, slow); d != "" {
		t.Fatalf("the fast reader and mediacommon differ: %s", d)
	}
	return true
}

func TestMoofReader(t *testing.T) {
	frags := session(t, "s", start, time.Second, time.Time{})
	init := frags[0].Init.Bytes
	t.Run("test media", func(t *testing.T) {
		for _, f := range frags {
			if !checkFastReader(t, init, f.Bytes()) {
				t.Fatalf("fragment %d left to mediacommon", f.Index)
			}
		}
	})
	for _, c := range moofCases {
		t.Run(c.name, func(t *testing.T) {
			if got := checkFastReader(t, init, c.bytes()); got != c.fast {
				t.Errorf("fast reader took it: %v, want %v", got, c.fast)
			}
		})
	}
	t.Run("a fast fragment after one left to mediacommon", func(t *testing.T) {
		slow := moofCase{tfhd: 0, trun: fullTrunV1}
		media := [][]byte{slow.bytes(), frags[0].Bytes()}
		m, err := remux.Parse(init, media...)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(m.Tracks[0].Samples); n != 3+frags[0].Samples[1] {
			t.Fatalf("%d video samples", n)
		}
		checkFastReader(t, init, media...)
	})
	t.Run("a track the init segment lacks", func(t *testing.T) {
		c := moofCases[0]
		b := c.bytes()
		i := bytes.Index(b, []byte("tfhd")) + 8
		binary.BigEndian.PutUint32(b[i:], 9)
		if checkFastReader(t, init, b) {
			t.Fatal("the fast reader took track 9")
		}
		if _, err := remux.Parse(init, b); err == nil {
			t.Fatal("Parse took track 9")
		}
	})
}

// TestClipFallback: a clip of fragments the fast reader leaves to
// mediacommon is the clip of the same samples.
func TestClipFallback(t *testing.T) {
	frags := session(t, "s", start, time.Second, time.Time{})
	free := mp4Box("free", []byte("padding"))
	var plain, padded bytes.Buffer
	a := remux.NewClip(&plain, start.Add(500*time.Millisecond), start.Add(3*time.Second))
	b := remux.NewClip(&padded, start.Add(500*time.Millisecond), start.Add(3*time.Second))
	for _, f := range frags {
		media := f.Bytes()
		if _, fast, _ := remux.ParseFast(f.Init.Bytes, append(free, media...)); fast {
			t.Fatal("the fast reader took a free box")
		}
		if err := a.Add(f.Init.Bytes, media, f.ProducerStart); err != nil {
			t.Fatal(err)
		}
		if err := b.Add(f.Init.Bytes, append(free, media...), f.ProducerStart); err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(a.Close(), b.Close()); err != nil {
		t.Fatal(err)
	}
	if plain.Len() == 0 || !bytes.Equal(plain.Bytes(), padded.Bytes()) {
		t.Fatalf("clips of %d and %d bytes differ", plain.Len(), padded.Len())
	}
}

// TestAppendPart: the hand-written moof writer writes mediacommon's
// bytes.
func TestAppendPart(t *testing.T) {
	frags := session(t, "s", start, 2*time.Second, time.Time{})
	m, err := remux.Parse(frags[0].Init.Bytes, frags[0].Bytes())
	if err != nil {
		t.Fatal(err)
	}
	video, audio := m.Tracks[0].Samples, m.Tracks[1].Samples
	cto := []remux.Sample{{DTS: 10, PTS: 30, Duration: 10, Sync: true, Payload: []byte("a")}, {DTS: 20, PTS: 20, Duration: 10, Payload: []byte("bb")}}
	for _, c := range []struct {
		name   string
		tracks []remux.PartTrack
	}{
		{"video and audio", []remux.PartTrack{{1, video[0].DTS, video}, {2, audio[0].DTS, audio}}},
		{"only sync samples", []remux.PartTrack{{2, 0, audio}}},
		{"composition offsets", []remux.PartTrack{{1, 1 << 40, cto}}},
		{"negative composition offset", []remux.PartTrack{{1, 5, []remux.Sample{{DTS: 10, PTS: 5, Duration: 3, Sync: true, Payload: []byte("x")}}}}},
		{"empty payloads", []remux.PartTrack{{3, 0, []remux.Sample{{Duration: 1, Sync: true}, {Duration: 2}}}}},
		{"no tracks", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			fast, want, err := remux.MarshalPart(42, c.tracks)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(fast, want) {
				t.Fatalf("moof+mdat differ:\n%x\n%x", fast, want)
			}
		})
	}
}

// FuzzMoofReader: wherever the fast fragment reader reads a fragment,
// mediacommon reads the same samples, and the fast writer writes them as
// mediacommon does. Seeds: the test media's fragments and the hand-made
// forms of moofCases.
func FuzzMoofReader(f *testing.F) {
	frags := session(f, "s", start, time.Second, time.Time{})
	init := frags[0].Init.Bytes
	for _, fr := range frags {
		f.Add(fr.Bytes())
	}
	for _, c := range moofCases {
		f.Add(c.bytes())
	}
	f.Fuzz(func(t *testing.T, media []byte) {
		if !checkFastReader(t, init, media) {
			return
		}
		m, _, _ := remux.ParseFast(init, media)
		var tracks []remux.PartTrack
		for _, tr := range m.Tracks {
			if len(tr.Samples) > 0 {
				tracks = append(tracks, remux.PartTrack{ID: tr.ID, Base: tr.Samples[0].DTS, Samples: tr.Samples})
			}
		}
		fast, want, err := remux.MarshalPart(1, tracks)
		if err == nil && !bytes.Equal(fast, want) {
			t.Fatalf("moof+mdat differ:\n%x\n%x", fast, want)
		}
		c := remux.NewClip(io.Discard, start, start.Add(time.Hour))
		_ = c.Add(init, media, start)
		_ = c.Close()
	})
}
