package fragments

import (
	"testing"
	"time"
)

func TestIndexCacheEviction(t *testing.T) {
	block := func(stream string, n, from uint64) *cacheBlock {
		b := &cacheBlock{key: blockKey{stream: stream, created: time.Unix(1, 0), block: n}, from: from}
		for seq := from; seq < from+10; seq++ {
			b.add(seq, "number", make([]byte, 42)) // 96 bytes an entry
		}
		return b
	}
	c := newIndexCache(2000) // two blocks of 960 bytes
	a, b := block("a", 0, 1), block("a", 1, 1024)
	c.put(a)
	c.put(b)
	if c.get(a.key, 1) != a || c.get(b.key, 1030) != b {
		t.Fatal("cached blocks not found")
	}
	if c.get(a.key, 0) != nil {
		t.Fatal("a block that starts after the wanted sequence was returned")
	}
	if other := (blockKey{stream: "a", created: time.Unix(2, 0)}); c.get(other, 1) != nil {
		t.Fatal("a block of another incarnation was returned")
	}
	c.get(a.key, 1) // a is now the most recently used
	c.put(block("b", 0, 1))
	if c.get(b.key, 1024) != nil || c.get(a.key, 1) != a || c.size != 2*960 {
		t.Fatalf("after eviction: size %d", c.size)
	}
	// A block read from earlier on replaces the one of the same key.
	a0 := block("a", 0, 0)
	c.put(a0)
	if c.get(a.key, 0) != a0 || c.size != 2*960 {
		t.Fatalf("after replacing: size %d", c.size)
	}
	c.put(&cacheBlock{key: blockKey{stream: "big"}, size: 2001})
	if c.get(blockKey{stream: "big"}, 0) != nil {
		t.Fatal("a block larger than the cache was cached")
	}
	var off *indexCache = newIndexCache(-1)
	off.put(a)
	if off.get(a.key, 1) != nil {
		t.Fatal("a disabled cache returned a block")
	}
}
