package awswire

import (
	"encoding/json"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	smithytime "github.com/aws/smithy-go/time"
)

// TestEpochTimeRoundTrip checks that every millisecond survives the way
// the Go SDK reads timestamps (float64, times 1000, truncated) and the way
// this package reads them back.
func TestEpochTimeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := []int64{0, 1, -1, 999, 1700000000123, 1577836800001, -86400001}
	for range 20000 {
		cases = append(cases, r.Int64N(4_000_000_000_000)-100_000_000_000)
	}
	for _, ms := range cases {
		b, err := json.Marshal(EpochTime(time.UnixMilli(ms)))
		if err != nil {
			t.Fatal(err)
		}
		f, _, err := big.ParseFloat(string(b), 10, 53, big.ToNearestEven)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := f.Float64()
		if got := smithytime.ParseEpochSeconds(v).UnixMilli(); got != ms {
			t.Fatalf("%d ms is written %s, which the Go SDK reads as %d ms", ms, b, got)
		}
		var back EpochTime
		if err := json.Unmarshal(b, &back); err != nil || back.Time().UnixMilli() != ms {
			t.Fatalf("%d ms is written %s, read back as %v (%v)", ms, b, back.Time(), err)
		}
	}
}

// TestEpochTimeJSON pins the JSON timestamp form: epoch seconds with a
// millisecond fraction, in the shortest form that reads back exactly.
func TestEpochTimeJSON(t *testing.T) {
	for _, tc := range []struct {
		ms   int64
		want string
	}{
		{1700000000123, "1700000000.123"},
		{1700000000100, "1700000000.1"},
		{1700000000000, "1700000000"},
		{5, "0.005"},
	} {
		b, err := EpochTime(time.UnixMilli(tc.ms)).MarshalJSON()
		if err != nil || string(b) != tc.want {
			t.Fatalf("%d: %s %v, want %s", tc.ms, b, err, tc.want)
		}
		var back EpochTime
		if err := back.UnmarshalJSON(b); err != nil || back.Time().UnixMilli() != tc.ms {
			t.Fatalf("%s: read back %v %v", b, back.Time(), err)
		}
	}
}
