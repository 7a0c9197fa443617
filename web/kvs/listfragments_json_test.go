package kvs

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/web/awswire"
)

// FuzzListFragmentsJSON checks that a ListFragments page writes the same
// bytes as encoding/json would: the wire format is the model's.
func FuzzListFragmentsJSON(f *testing.F) {
	for _, seed := range []struct {
		number, token   string
		size, ms, lenMS int64
	}{
		{"91343852333181432392682062600000000000000000000000000001", "", 500000, 1764100000123, 2000},
		{"9134385233318143239268206260000000000000000000000000000012", "eyJ2IjoxfQ==", 0, 0, 0},
		{"1", "a+b/c=", -1, -62135596800000, 1},
		{"quote\"back\\slash<tag>&\u2028", "\x01", 1 << 62, 1700000000999, 1 << 40},
		{"", "", 7, 1, -5},
	} {
		f.Add(seed.number, seed.token, seed.size, seed.ms, seed.lenMS)
	}
	f.Fuzz(func(t *testing.T, number, token string, size, ms, lenMS int64) {
		ms %= awswire.MaxEpochSeconds * 1000
		at := epochTime(time.UnixMilli(ms).UTC())
		for _, out := range []*listFragmentsOutput{
			{Fragments: []fragment{}},
			{Fragments: []fragment{{number, size, at, at, lenMS}}, NextToken: token},
			{Fragments: []fragment{{number, size, at, epochTime(time.UnixMilli(ms / 3)), lenMS}, {"2", 3, at, at, 4}}, NextToken: token},
		} {
			want, err := json.Marshal(out)
			if err != nil {
				t.Fatal(err)
			}
			if got := out.appendJSON(nil); string(got) != string(want) {
				t.Fatalf("appendJSON:\n%s\nencoding/json:\n%s", got, want)
			}
		}
	})
}
