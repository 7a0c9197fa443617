package fragments

import (
	"errors"
	"fmt"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
)

// Salvaged is what the parts of a fragment that never closed (a crash cut
// its writing) say of it.
type Salvaged struct {
	Duration time.Duration // the leader track's samples
	Samples  map[int]int   // by track ID
	Keyframe bool          // the leader is video and its first sample a sync sample
}

// Salvage reads whole parts (moof+mdat pairs, as the Writer makes them)
// of a fragment of the given tracks. The leader track is the first video
// track, else the first.
func Salvage(parts []byte, tracks []TrackInfo) (Salvaged, error) {
	if len(tracks) == 0 {
		return Salvaged{}, errors.New("fragments: salvage: no tracks")
	}
	leader := tracks[0]
	for _, t := range tracks {
		if t.Kind == "video" {
			leader = t
			break
		}
	}
	if leader.Timescale <= 0 {
		return Salvaged{}, fmt.Errorf("fragments: salvage: track %d has no timescale", leader.ID)
	}
	var ps fmp4.Parts
	if err := ps.Unmarshal(parts); err != nil {
		return Salvaged{}, fmt.Errorf("fragments: salvage: %w", err)
	}
	out := Salvaged{Samples: map[int]int{}}
	var ticks uint64
	first := true
	for _, p := range ps {
		for _, t := range p.Tracks {
			out.Samples[t.ID] += len(t.Samples)
			if t.ID != leader.ID {
				continue
			}
			for _, s := range t.Samples {
				if first {
					out.Keyframe = leader.Kind == "video" && !s.IsNonSyncSample
					first = false
				}
				ticks += uint64(s.Duration)
			}
		}
	}
	if first {
		return Salvaged{}, errors.New("fragments: salvage: no sample of the leader track")
	}
	out.Duration = time.Duration(ticks * uint64(time.Second) / uint64(leader.Timescale))
	return out, nil
}
