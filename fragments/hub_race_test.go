package fragments

import (
	"sync"
	"testing"
	"time"
)

// TestHubViewsWhileBytesDrop: Views taken while the hub forgets closed
// fragments' bytes read what they took (run with -race).
func TestHubViewsWhileBytesDrop(t *testing.T) {
	h := NewHub(0)
	h.View("cam") // watched: bytes are dropped by trim, beyond WatchedBytes
	init := &Init{ID: "i"}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, f := range h.View("cam").Fragments {
				for _, p := range f.Parts {
					_ = len(p.Bytes)
				}
			}
		}
	}()
	for i := range 50 {
		for j := range 5 {
			h.AddPart("cam", &Part{Session: "s", Fragment: i, Index: j, Init: init, Bytes: make([]byte, 10), Duration: 400 * time.Millisecond, Independent: j == 0})
		}
		h.CloseFragment("cam", &Fragment{Session: "s", Index: i, Init: init, Duration: 2 * time.Second})
		h.Indexed("cam", "s", i, "n")
	}
	close(stop)
	wg.Wait()
}
