package fragments

import (
	"container/list"
	"sync"
	"time"
)

// DefaultIndexCacheBytes is the default LibraryConfig.IndexCacheBytes:
// about a week of one stream's 2 s fragments.
const DefaultIndexCacheBytes = 64 << 20

// blockMessages is how many index messages (sequence numbers) one cached
// block spans; blocks are aligned to multiples of it.
const blockMessages = 1024

// entryOverhead approximates what a cached record costs beyond its number
// and data bytes (headers of both, and its sequence).
const entryOverhead = 48

// indexCache keeps the raw records of recently read index blocks, least
// recently used first out once it holds more than max bytes. It is safe
// for concurrent use.
//
// Only blocks that the index had written to their last sequence when they
// were read are cached: an index record never changes once written, so
// such a block stays true until its records expire, which readers check
// against the shard's current first sequence. Blocks are keyed by the
// stream's creation time, so a stream deleted and created again never
// sees the old one's records.
type indexCache struct {
	mu     sync.Mutex
	max    int64
	size   int64
	lru    *list.List // of *cacheBlock, most recently used at the front
	blocks map[blockKey]*list.Element
}

type blockKey struct {
	stream  string
	created time.Time
	block   uint64 // sequence / blockMessages
}

// cacheBlock holds the records of one block from sequence from on; it is
// never modified once cached.
type cacheBlock struct {
	key     blockKey
	from    uint64
	entries []cacheEntry
	size    int64
}

type cacheEntry struct {
	seq    uint64
	number string
	data   []byte
}

// newIndexCache returns a cache of at most max bytes, or nil (which
// caches nothing) when max is not positive.
func newIndexCache(max int64) *indexCache {
	if max <= 0 {
		return nil
	}
	return &indexCache{max: max, lru: list.New(), blocks: map[blockKey]*list.Element{}}
}

// get returns the cached block of key that holds every record of the
// block from sequence from on, or nil.
func (c *indexCache) get(key blockKey, from uint64) *cacheBlock {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.blocks[key]
	if !ok {
		return nil
	}
	b := e.Value.(*cacheBlock)
	if b.from > from {
		return nil
	}
	c.lru.MoveToFront(e)
	return b
}

// put caches b, replacing a block of the same key, and evicts the least
// recently used blocks beyond the size limit.
func (c *indexCache) put(b *cacheBlock) {
	if c == nil || b.size > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.blocks[b.key]; ok {
		c.size -= e.Value.(*cacheBlock).size
		c.lru.Remove(e)
	}
	c.blocks[b.key] = c.lru.PushFront(b)
	c.size += b.size
	for c.size > c.max {
		old := c.lru.Remove(c.lru.Back()).(*cacheBlock)
		delete(c.blocks, old.key)
		c.size -= old.size
	}
}

// add appends a record to a block being filled; data is copied.
func (b *cacheBlock) add(seq uint64, number string, data []byte) {
	b.entries = append(b.entries, cacheEntry{seq: seq, number: number, data: append([]byte(nil), data...)})
	b.size += int64(len(number) + len(data) + entryOverhead)
}
