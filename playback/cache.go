package playback

import (
	"container/list"
	"sync"
)

// cache is a byte-bounded LRU of immutable objects (fragments and init
// segments never change once written, so entries never go stale).
type cache struct {
	max  int64
	mu   sync.Mutex
	size int64
	ll   *list.List
	m    map[string]*list.Element
}

type entry struct {
	key string
	b   []byte
}

func newCache(max int64) *cache {
	return &cache{max: max, ll: list.New(), m: map[string]*list.Element{}}
}

func (c *cache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*entry).b, true
	}
	return nil, false
}

func (c *cache) put(key string, b []byte) {
	if int64(len(b)) > c.max/4 {
		return // too big to be worth evicting others for
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; ok {
		return
	}
	c.m[key] = c.ll.PushFront(&entry{key, b})
	c.size += int64(len(b))
	for c.size > c.max {
		e := c.ll.Back()
		c.ll.Remove(e)
		old := e.Value.(*entry)
		delete(c.m, old.key)
		c.size -= int64(len(old.b))
	}
}
