package fragments

import (
	"errors"
	"os"
	"reflect"
	"testing"
	"time"
)

var recordCases = []Info{
	{},
	{
		Key: "video/s-cam/1/fragments/0001.m4s", InitKey: "video/s-cam/1/init/a.mp4",
		ProducerTime: time.Date(2020, 1, 1, 0, 0, 0, 123456789, time.UTC), ServerTime: time.Date(2026, 11, 25, 21, 0, 0, 5, time.UTC),
		Duration: 2 * time.Second, Size: 500_000, Keyframe: true, Session: "s1", SessionIndex: 41,
		Samples: map[int]int{1: 50, 2: 94},
		Tracks: []TrackInfo{
			{ID: 1, Kind: "video", Codec: "avc1.64001f", Name: "H264", Width: 1280, Height: 720, Timescale: 90000},
			{ID: 2, Kind: "audio", Codec: "mp4a.40.2", Name: "AAC", SampleRate: 48000, Channels: 2, Timescale: 48000},
		},
	},
	{
		Key: "k", ProducerTime: time.Unix(0, -5).UTC(), ServerTime: time.Unix(0, 1).UTC(), Discontinuity: true,
		Duration: time.Nanosecond, Samples: map[int]int{7: 0}, Tracks: []TrackInfo{{ID: 3, Kind: "audio", Name: "Opus", Codec: "opus"}},
		Token: 1 << 40,
	},
	{
		Key: "video/s-cam/1/fragments/0001.m4s", ProducerTime: time.Unix(7, 0).UTC(), ServerTime: time.Unix(8, 0).UTC(),
		Duration: time.Second, Size: 1000, Packed: true, Offset: 3_000_000, Token: 5,
	},
	{Key: "k", Packed: true}, // the first fragment of its object
}

// normal is in as a decoded record holds it: no number, UTC times, nil
// for empty maps and slices.
func normal(in Info) Info {
	in.ProducerTime, in.ServerTime = time.Unix(0, in.ProducerTime.UnixNano()).UTC(), time.Unix(0, in.ServerTime.UnixNano()).UTC()
	if len(in.Samples) == 0 {
		in.Samples = nil
	}
	if len(in.Tracks) == 0 {
		in.Tracks = nil
	}
	return in
}

func TestRecordRoundTrip(t *testing.T) {
	var d recordDecoder
	for i, in := range recordCases {
		b := encodeRecord(in)
		if b[0] != binaryRecordVersion {
			t.Fatalf("case %d: first byte %d", i, b[0])
		}
		got, err := d.decode("n", b)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		want := normal(in)
		want.Number = "n"
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d:\n got %+v\nwant %+v", i, got, want)
		}
		// Bytes a later build appends are ignored.
		if again, err := d.decode("n", append(b, 9, 9, 9)); err != nil || !reflect.DeepEqual(again, want) {
			t.Fatalf("case %d with trailing bytes: %+v %v", i, again, err)
		}
	}
}

// TestRecordTracksShared checks that consecutive records with the same
// track list share one decoded slice, and that a change is seen.
func TestRecordTracksShared(t *testing.T) {
	var d recordDecoder
	in := recordCases[1]
	a, _ := d.decode("1", encodeRecord(in))
	b, _ := d.decode("2", encodeRecord(in))
	if &a.Tracks[0] != &b.Tracks[0] {
		t.Fatal("equal track lists decoded twice")
	}
	in.Tracks = in.Tracks[:1]
	c, _ := d.decode("3", encodeRecord(in))
	if len(c.Tracks) != 1 || !reflect.DeepEqual(c.Tracks, in.Tracks) {
		t.Fatalf("changed track list: %+v", c.Tracks)
	}
	in.Tracks = nil
	if e, _ := d.decode("4", encodeRecord(in)); e.Tracks != nil {
		t.Fatalf("no tracks: %+v", e.Tracks)
	}
}

// TestRecordJSON reads records as earlier builds wrote them (version 1,
// JSON; testdata/record-v1.json holds one).
func TestRecordJSON(t *testing.T) {
	var d recordDecoder
	got, err := d.decode("n", recordV1(t))
	if err != nil {
		t.Fatal(err)
	}
	want := recordCases[1]
	want.Number = "n"
	if !reflect.DeepEqual(got, normal(want)) {
		t.Fatalf("\n got %+v\nwant %+v", got, normal(want))
	}
}

func TestRecordErrors(t *testing.T) {
	var d recordDecoder
	full := encodeRecord(recordCases[1])
	for name, b := range map[string][]byte{
		"empty":        {},
		"newer format": {3, 0},
		"unknown":      {1, 0},
		"bad JSON":     []byte(`{"v":1,`),
		"JSON v2":      []byte(`{"v":2}`),
		"truncated":    full[:len(full)-3],
		"huge count":   append(encodeRecord(Info{})[:len(encodeRecord(Info{}))-2], 0xff, 0xff, 0xff, 0x0f),
	} {
		if _, err := d.decode("77", b); !errors.Is(err, errRecordFormat) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzRecord checks that no record bytes panic the decoder, and that what
// it accepts encodes back to the same Info.
func FuzzRecord(f *testing.F) {
	for _, in := range recordCases {
		f.Add(encodeRecord(in))
	}
	f.Add(recordV1(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d recordDecoder
		in, err := d.decode("n", b)
		if err != nil || len(b) == 0 || b[0] != binaryRecordVersion {
			return
		}
		again, err := (&recordDecoder{}).decode("n", encodeRecord(in))
		if err != nil || !reflect.DeepEqual(again, normal(in)) {
			t.Fatalf("re-encoded %+v: %+v %v", in, again, err)
		}
	})
}

// recordV1 returns testdata/record-v1.json: recordCases[1] as a version 1
// (JSON) record.
func recordV1(t testing.TB) []byte {
	b, err := os.ReadFile("testdata/record-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
