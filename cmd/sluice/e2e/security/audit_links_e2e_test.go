package security

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"

	"github.com/sluice-dev/sluice/internal/e2e"
	"github.com/sluice-dev/sluice/web/webtest"
)

// TestAuditLinks replays the proving requests of issue 11's findings 4
// and 6 against the binary:
//
//   - a clip link made with a 60 s minted token expires with that token,
//     not 7 days later;
//   - after the key that made them is removed from the keys file (SIGHUP),
//     the link and an HLS session URL it had asked for are refused;
//   - a LIVE session URL refuses a fragment recorded before the session
//     began, while serving its own.
func TestAuditLinks(t *testing.T) {
	e2e.RequireFFmpeg(t)
	ctx := context.Background()
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys.yaml")
	rewriteKeys := func(body string) {
		if err := os.WriteFile(keys, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const (
		admin  = "- {id: AKIDADMIN, secret: admin-secret-1, streams: ['*'], actions: ['*']}\n"
		viewer = "- {id: AKIDVIEW, secret: view-secret-1, streams: [cam], actions: [read]}\n"
	)
	rewriteKeys(admin + viewer)
	srv := e2e.StartServer(t, filepath.Join(dir, "data"), "--access-keys-file", keys)
	e2e.Publish(t, e2e.WithUser(srv.RTSP, "AKIDADMIN:admin-secret-1")+"/cam", "libx264", "tcp", 45)

	am := kinesisvideoarchivedmedia.New(kinesisvideoarchivedmedia.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDVIEW", "view-secret-1", ""), Retryer: webtest.Retryer()})
	fragmentsOf := func() []types.Fragment {
		out, err := am.ListFragments(ctx, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("cam")})
		if err != nil {
			return nil
		}
		return out.Fragments
	}
	// Three fragments (2 s each) recorded before the LIVE session starts.
	e2e.WaitFor(t, 30*time.Second, "3 fragments archived", func() bool { return len(fragmentsOf()) >= 3 })
	before := fragmentsOf()

	// A LIVE session of the newest fragment only: its first playlist
	// lists one fragment, so the older ones are not the session's.
	out, err := am.GetHLSStreamingSessionURL(ctx, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("cam"),
		PlaybackMode: types.HLSPlaybackModeLive, MaxMediaPlaylistFragmentResults: aws.Int64(1)})
	if err != nil {
		t.Fatal(err)
	}
	master := aws.ToString(out.HLSStreamingSessionURL)
	session := url.QueryEscape(webtest.SessionToken(t, master))
	fragmentURL := func(number string) string {
		return srv.URL + "/getMP4MediaFragment.mp4?FragmentNumber=" + number + "&SessionToken=" + session
	}
	_, segments, body := e2e.MediaPlaylist(t, master)
	if len(segments) != 1 {
		t.Fatalf("LIVE playlist of 1:\n%s", body)
	}
	if status, b := e2e.HttpGet(t, srv.URL+"/"+segments[0]); status != 200 || !strings.Contains(b[:16], "moof") {
		t.Fatalf("the session's own segment: %d %.100q", status, b)
	}
	oldest := before[0]
	for _, f := range before {
		if aws.ToTime(f.ServerTimestamp).Before(aws.ToTime(oldest.ServerTimestamp)) {
			oldest = f
		}
	}
	if status, b := e2e.HttpGet(t, fragmentURL(aws.ToString(oldest.FragmentNumber))); status != 403 || !strings.Contains(b, "before this LIVE session began") {
		t.Fatalf("finding 6: a fragment recorded before the LIVE session: %d %.200q", status, b)
	}
	// A fragment recorded after the session began is its own.
	known := map[string]bool{}
	for _, f := range before {
		known[aws.ToString(f.FragmentNumber)] = true
	}
	var newer string
	e2e.WaitFor(t, 20*time.Second, "a fragment recorded after the session began", func() bool {
		for _, f := range fragmentsOf() {
			if n := aws.ToString(f.FragmentNumber); !known[n] {
				newer = n
				return true
			}
		}
		return false
	})
	if status, b := e2e.HttpGet(t, fragmentURL(newer)); status != 200 {
		t.Fatalf("a fragment of the LIVE session: %d %.200s", status, b)
	}

	// A clip link asked for with a 60 s token (finding 4) expires with it.
	status, b := e2e.DoorCall(t, "POST", srv.URL+"/api/v1/tokens", e2e.TokenOf(t, "AKIDVIEW:view-secret-1"), "application/json",
		`{"stream":"cam","access":"read","ttl_seconds":60}`)
	var minted struct {
		Token   string    `json:"token"`
		Expires time.Time `json:"expires"`
	}
	if status != 201 || json.Unmarshal([]byte(b), &minted) != nil {
		t.Fatalf("minting a token: %d %s", status, b)
	}
	from, to := aws.ToTime(oldest.ProducerTimestamp).Add(-time.Second), time.Now()
	status, b = e2e.DoorCall(t, "POST", srv.URL+"/api/v1/streams/cam/links", minted.Token, "application/json",
		`{"kind":"clip","start":"`+from.UTC().Format(time.RFC3339)+`","end":"`+to.UTC().Format(time.RFC3339)+`","expires_seconds":604800}`)
	var link struct {
		URL     string    `json:"url"`
		Expires time.Time `json:"expires"`
	}
	if status != 200 || json.Unmarshal([]byte(b), &link) != nil {
		t.Fatalf("a clip link: %d %s", status, b)
	}
	if link.Expires.After(minted.Expires) {
		t.Fatalf("finding 4: the link expires %s, after the token that made it (%s)", link.Expires, minted.Expires)
	}
	if status, b := e2e.HttpGet(t, link.URL); status != 200 || !strings.Contains(b[:16], "ftyp") {
		t.Fatalf("the clip link: %d %.200s", status, b)
	}

	// The key is removed: what it made is refused.
	n := strings.Count(srv.Log.String(), "reloaded")
	rewriteKeys(admin)
	if err := srv.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	e2e.WaitFor(t, 10*time.Second, "the keys reloaded", func() bool { return strings.Count(srv.Log.String(), "reloaded") > n })
	for what, u := range map[string]string{"the clip link": link.URL, "the HLS session": master, "a fragment of the HLS session": fragmentURL(newer)} {
		if status, b := e2e.HttpGet(t, u); status != 403 || !strings.Contains(b, "access key AKIDVIEW, which issued it, no longer exists") {
			t.Errorf("finding 4: %s after its key was removed: %d %.200q", what, status, b)
		}
	}
}
