package leases

import "hash/fnv"

// Preferred returns the node that should do the work of key among nodes:
// rendezvous (highest random weight) hashing, so that every node computes
// the same answer from the same set of names, keys spread evenly, and when
// a node leaves only its keys move (each to the node next in its own
// ranking). "" when nodes is empty.
func Preferred(key string, nodes []string) string {
	best, bestW := "", uint64(0)
	for _, n := range nodes {
		w := weight(key, n)
		if best == "" || w > bestW || w == bestW && n < best {
			best, bestW = n, w
		}
	}
	return best
}

// weight hashes (key, node) to 64 well-mixed bits.
func weight(key, node string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write([]byte(node))
	// splitmix64's finaliser: FNV alone mixes the high bits poorly.
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
