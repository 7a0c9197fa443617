package streams

import (
	"math/big"
	"testing"
	"time"
)

func TestUniformRangesMatchKinesis(t *testing.T) {
	// Ranges as Kinesis reports them for CreateStream with 1, 2 and 3 shards.
	cases := map[int][][2]string{
		1: {{"0", "340282366920938463463374607431768211455"}},
		2: {{"0", "170141183460469231731687303715884105727"}, {"170141183460469231731687303715884105728", "340282366920938463463374607431768211455"}},
		3: {{"0", "113427455640312821154458202477256070484"}, {"113427455640312821154458202477256070485", "226854911280625642308916404954512140969"}, {"226854911280625642308916404954512140970", "340282366920938463463374607431768211455"}},
	}
	for n, want := range cases {
		got := uniformRanges(n)
		for i := range want {
			if got[i][0].String() != want[i][0] || got[i][1].String() != want[i][1] {
				t.Errorf("n=%d shard %d: got [%s, %s], want %v", n, i, got[i][0], got[i][1], want[i])
			}
		}
	}
}

func TestHashPartitionKey(t *testing.T) {
	// MD5("a") = 0cc175b9c0f1b6a831c399e269772661
	if got, want := HashPartitionKey("a").String(), "16955237001963240173058271559858726497"; got != want {
		t.Fatalf("HashPartitionKey(a) = %s, want %s", got, want)
	}
}

func TestParseHashKey(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"0", true},
		{"340282366920938463463374607431768211455", true},
		{"340282366920938463463374607431768211456", false}, // 2^128
		{"-1", false},
		{"+1", false},
		{"1e5", false},
		{"", false},
		{"12a", false},
	} {
		k, ok := ParseHashKey(tc.in)
		if ok != tc.ok {
			t.Errorf("ParseHashKey(%q) ok=%v, want %v", tc.in, ok, tc.ok)
		}
		if ok && k.String() != tc.in {
			t.Errorf("round trip %q -> %s", tc.in, k)
		}
	}
	if MaxHashKey.Inc() != (HashKey{}) || (HashKey{}).Dec() != MaxHashKey {
		t.Error("Inc/Dec do not wrap")
	}
	if (HashKey{Lo: ^uint64(0)}).Inc() != (HashKey{Hi: 1}) {
		t.Error("Inc does not carry")
	}
}

func TestSequenceNumbers(t *testing.T) {
	id := "c328bff54159"
	s := formatSeq(streamNumber(id), 12, pos{345, 7})
	sp, ok := readSeq(s)
	if len(s) != 56 || !ok || !sp.long || sp.stream != 0xc328bff54159 || sp.shard != 12 || sp.pos != (pos{345, 7}) {
		t.Fatalf("readSeq(%s) = %+v %v", s, sp, ok)
	}
	// The 37 digits of earlier versions are still read.
	if sh, p, ok := parseSeq("4900000000010000000000000000000300001"); !ok || sh != 1 || p != (pos{3, 1}) {
		t.Fatalf("short form: %d %v %v", sh, p, ok)
	}
	if SequenceAt(s, 9) != formatSeq(streamNumber(id), 12, pos{9, 0}) || SequenceAt("4900000000010000000000000000000300001", 9) != formatShortSeq(1, pos{9, 0}) {
		t.Fatal("SequenceAt does not keep its reference's form")
	}
	max := formatSeq(streamNumber("ffffffffffff"), 1<<31-1, pos{^uint64(0), maxSub})
	if len(max) != 56 || streamNumber("not-hex") >= 1_000_000_000_000_000 {
		t.Fatalf("the widest sequence number has %d digits", len(max))
	}
	n := streamNumber(id)
	ordered := []string{formatShortSeq(0, pos{1 << 40, 0}), formatSeq(n, 0, pos{9, 499}), formatSeq(n, 0, pos{10, 0}), formatSeq(n, 0, pos{10, 1}), formatSeq(n, 0, pos{1 << 40, 0}), formatSeq(n, 1, pos{})}
	for i := 1; i < len(ordered); i++ {
		a, _ := new(big.Int).SetString(ordered[i-1], 10)
		b, _ := new(big.Int).SetString(ordered[i], 10)
		if a.Cmp(b) >= 0 || len(ordered[i-1]) == len(ordered[i]) && ordered[i-1] >= ordered[i] {
			t.Fatalf("%s does not sort before %s", ordered[i-1], ordered[i])
		}
	}
	for _, bad := range []string{"", "1", "4800000000000000000000000000000000001", formatSeq(n, 1, pos{1, 0}) + "0", "49x0000000000000000000000000000000000",
		"492" + formatSeq(n, 1, pos{})[3:], formatShortSeq(1, pos{1, 0}) + "0"} {
		if _, _, ok := parseSeq(bad); ok {
			t.Errorf("parseSeq(%q) accepted", bad)
		}
	}
}

func TestPlanUniformGivesUniformShards(t *testing.T) {
	for _, tc := range [][2]int{{1, 2}, {2, 4}, {3, 4}, {3, 5}, {4, 3}, {5, 3}, {6, 3}, {4, 7}, {7, 4}} {
		from, to := tc[0], tc[1]
		m := &streamMeta{NextShard: from}
		for i, r := range uniformRanges(from) {
			m.Shards = append(m.Shards, shardMeta{Index: i, Parent: -1, AdjacentParent: -1, Start: r[0], End: r[1]})
		}
		for _, st := range planUniform(m, to) {
			applyStepMeta(m, st, time.Time{})
		}
		want := uniformRanges(to)
		cc := newCached(m, 1)
		if len(cc.open) != to {
			t.Fatalf("%d->%d: %d open shards", from, to, len(cc.open))
		}
		for i, s := range cc.open {
			if s.Start != want[i][0] || s.End != want[i][1] {
				t.Errorf("%d->%d: shard %d is [%s,%s], want [%s,%s]", from, to, i, s.Start, s.End, want[i][0], want[i][1])
			}
		}
	}
}

func TestRecordEnvelope(t *testing.T) {
	var bb batchBuilder
	bb.reset(0)
	bb.add("pk", []byte("data"))
	bb.add("", nil)
	bb.add("k2", []byte("more"))
	msg := bb.bytes()
	var got []string
	err := decodeRecords(msg, func(i int, pk string, data []byte) { got = append(got, pk+"="+string(data)) })
	if err != nil || len(got) != 3 || got[0] != "pk=data" || got[2] != "k2=more" || countRecords(msg) != 3 {
		t.Fatalf("got %q %v", got, err)
	}
	if err := decodeRecords([]byte{barrierByte}, nil); err != errBarrier {
		t.Fatalf("barrier: %v", err)
	}
	for _, bad := range [][]byte{nil, {2}, {1, 0}, {2, 1, 5, 'a'}, {2, 2, 1, 'a', 0}} {
		if err := decodeRecords(bad, func(int, string, []byte) {}); err == nil {
			t.Errorf("decodeRecords(%v) accepted", bad)
		}
	}
}

func TestIteratorStream(t *testing.T) {
	c := &Core{iterKey: []byte("k"), cfg: Config{}.withDefaults()}
	tok := c.encodeIterator(iterator{Issued: time.Now(), Shard: 3, StreamID: "abc123", Stream: "my.stream"})
	if name, ok := IteratorStream(tok); !ok || name != "my.stream" {
		t.Fatalf("IteratorStream = %q %v", name, ok)
	}
	if _, ok := IteratorStream("garbage"); ok {
		t.Fatal("garbage accepted")
	}
}
