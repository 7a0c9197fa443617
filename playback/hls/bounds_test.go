package hls_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/playback/hls"
)

// A session's media URLs serve only the fragments it grants: a LIVE
// session those from its first playlist on (Session.Since), the others
// those of their time range. Fragments are named by number and by ID.
func TestSessionBounds(t *testing.T) {
	r := newRig(t)
	start := recordTwoSessions(t, r, "cam") // fragments at start, +2 s, +14 s, +16 s
	var all []fragments.Info
	r.lib.Fragments(bg, "cam", fragments.Selector{}, func(in fragments.Info) bool { all = append(all, in); return true })
	if len(all) != 4 {
		t.Fatalf("%d fragments", len(all))
	}

	// A LIVE session of the newest 2, created now: its first playlist
	// lists the last two fragments, so it is bound at the third.
	created := start.Add(20 * time.Second)
	live := playback.Session{Stream: "cam", Mode: hls.ModeLive, MaxFragments: 2}
	since, err := hls.LiveSince(bg, r.src, live, created)
	if err != nil || !since.Equal(all[2].ServerTime) {
		t.Fatalf("LIVE bound %s, %v; want the third fragment's server time %s", since, err, all[2].ServerTime)
	}
	live.Since = since
	// A LIVE session that would list nothing yet is bound at the oldest
	// time its playlist looks back to.
	idle := playback.Session{Stream: "cam", Mode: hls.ModeLive}
	later := start.Add(10 * time.Minute)
	if since, err := hls.LiveSince(bg, r.src, idle, later); err != nil || !since.Equal(later.Add(-2*time.Minute)) {
		t.Fatalf("bound of an empty LIVE window: %s, %v", since, err)
	}
	if since, err := hls.LiveSince(bg, r.src, playback.Session{Stream: "cam", Mode: hls.ModeOnDemand}, created); err != nil || !since.IsZero() {
		t.Fatalf("an ON_DEMAND session has no LIVE bound: %s, %v", since, err)
	}

	for _, tc := range []struct {
		name   string
		sess   playback.Session
		served string // by fragment, oldest first: + served, - refused
		why    string
	}{
		{"LIVE, bound at its first playlist", live, "--++", "before this LIVE session began"},
		{"LIVE without a bound (version 1 token, open server)", playback.Session{Stream: "cam", Mode: hls.ModeLive}, "++++", ""},
		{"ON_DEMAND, the first recording", playback.Session{Stream: "cam", Mode: hls.ModeOnDemand, Start: start.Add(-time.Second), End: start.Add(3 * time.Second)}, "++--", "outside the session's time range"},
		{"ON_DEMAND, the second recording", playback.Session{Stream: "cam", Mode: hls.ModeOnDemand, Start: start.Add(13 * time.Second), End: start.Add(time.Minute)}, "--++", "outside the session's time range"},
		{"LIVE_REPLAY from the second recording", playback.Session{Stream: "cam", Mode: hls.ModeLiveReplay, Start: start.Add(13 * time.Second)}, "--++", "outside the session's time range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got strings.Builder
			for _, f := range all {
				verdict := ""
				for _, ref := range []string{f.Number, fmt.Sprintf("%s.%d.%d", f.Session, f.SessionIndex, f.ProducerTime.UnixMilli())} {
					for _, path := range []string{hls.PathMP4, hls.PathInit} {
						w := httptest.NewRecorder()
						req := httptest.NewRequest(http.MethodGet, "/"+path+"?FragmentNumber="+url.QueryEscape(ref), nil)
						r.hls.ServeSession(w, req, tc.sess, "token", path)
						v := "+"
						switch {
						case w.Code == http.StatusForbidden && strings.Contains(w.Body.String(), tc.why) && tc.why != "":
							v = "-"
						case w.Code != http.StatusOK:
							t.Fatalf("%s of %s: %d %s", path, ref, w.Code, w.Body)
						}
						if verdict != "" && v != verdict {
							t.Fatalf("%s of %s: %s, but %s for another URL of the same fragment", path, ref, v, verdict)
						}
						verdict = v
					}
				}
				got.WriteString(verdict)
			}
			if got.String() != tc.served {
				t.Fatalf("served %s, want %s", got.String(), tc.served)
			}
		})
	}

	// The LIVE session's playlists never list what it refuses, however
	// many fragments they may show.
	live.MaxFragments = 5
	w, err := r.hls.Window(bg, live)
	if err != nil || len(w.Entries) != 2 || w.Entries[0].Number != all[2].Number {
		t.Fatalf("LIVE window from its bound: %+v, %v", w.Entries, err)
	}
}
