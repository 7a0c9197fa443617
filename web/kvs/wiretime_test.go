package kvs

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
		b, err := json.Marshal(epochTime(time.UnixMilli(ms)))
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
		var back epochTime
		if err := json.Unmarshal(b, &back); err != nil || back.Time().UnixMilli() != ms {
			t.Fatalf("%d ms is written %s, read back as %v (%v)", ms, b, back.Time(), err)
		}
	}
}
