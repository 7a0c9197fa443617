package web

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"github.com/sluice-dev/sluice/web/webtest"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/aws/smithy-go"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/ingest"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
	"github.com/sluice-dev/sluice/web/auth"
	"github.com/sluice-dev/sluice/web/kvs"
)

var bg = context.Background()

// sessionRig serves the KVS API and the HLS routes over a real stream
// core, fs bucket and recorder, with a signer whose clock the test moves.
type sessionRig struct {
	lib    *fragments.Library
	rec    *ingest.Recorder
	srv    *httptest.Server
	am     *kinesisvideoarchivedmedia.Client
	clock  atomic.Int64 // offset added to the signer's clock, ns
	signer *playback.Signer
}

func newSessionRig(t *testing.T) *sessionRig { return newSessionRigAuth(t, nil) }

// newSessionRigAuth is a sessionRig whose KVS API and session URLs are
// checked by v (nil: open); its client signs with AKID:test-secret.
func newSessionRigAuth(t *testing.T, v *auth.Verifier) *sessionRig {
	t.Helper()
	core := streamstest.Open(t, fragments.CoreConfig(streams.Config{}))
	lib := fragments.NewLibrary(core, fragments.LibraryConfig{})
	bucket, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bucket.Close() })
	hub := fragments.NewHub(0)
	log := slog.New(slog.DiscardHandler)
	rig := &sessionRig{lib: lib}
	rig.rec = ingest.NewRecorder(lib, bucket, hub, ingest.RecorderConfig{AutoCreate: true, Logger: log})
	t.Cleanup(func() { rig.rec.Close(bg) })
	src := playback.NewSource(lib, bucket, hub, playback.SourceConfig{})
	signer := playback.NewSigner([]byte("test key"), func() time.Time { return time.Now().Add(time.Duration(rig.clock.Load())) })
	rig.signer = signer
	deps := Deps{Video: lib, Archive: bucket, Playback: src, Signer: signer}
	mux := http.NewServeMux()
	kv := kvs.New(lib, bucket, kvs.Config{Logger: log, Playback: src, Signer: signer})
	var api http.Handler = kv
	if v != nil {
		api = v.KVS(kv)
	}
	for _, p := range kv.Paths() {
		mux.Handle("POST "+p, api)
	}
	hlsRoutes(mux, deps, v)
	rig.srv = httptest.NewServer(mux)
	t.Cleanup(rig.srv.Close)
	rig.am = kinesisvideoarchivedmedia.New(kinesisvideoarchivedmedia.Options{Region: "us-east-1", BaseEndpoint: aws.String(rig.srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "test-secret", ""), Retryer: webtest.Retryer()})
	return rig
}

// record publishes the 4 s test media to stream (2 fragments), arriving
// from start, and waits until both fragments are indexed.
func (r *sessionRig) record(t *testing.T, stream string, start time.Time) {
	t.Helper()
	count := func() int {
		n := 0
		r.lib.Fragments(bg, stream, fragments.Selector{}, func(fragments.Info) bool { n++; return true })
		return n
	}
	before := 0
	if _, err := r.lib.Describe(bg, stream); err == nil {
		before = count()
	}
	s, err := r.rec.Open(bg, stream, ingest.Source{Kind: "test"}, fragmentstest.Tracks(t))
	if err != nil {
		t.Fatal(err)
	}
	fragmentstest.Feed(t, start, false, s.Write)
	s.Close()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n := count()
		if n >= before+2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d fragments indexed", stream, n)
		}
	}
}

func get(t *testing.T, u string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// uris returns a playlist's URI lines and EXT-X-MAP URIs, resolved against base.
func uris(t *testing.T, base, playlist string) (segments, maps []string) {
	t.Helper()
	b, _ := url.Parse(base)
	for _, l := range strings.Split(playlist, "\n") {
		if strings.HasPrefix(l, "#EXT-X-MAP:URI=") {
			u, _ := b.Parse(strings.Trim(strings.TrimPrefix(l, "#EXT-X-MAP:URI="), `"`))
			maps = append(maps, u.String())
		} else if l != "" && !strings.HasPrefix(l, "#") {
			u, _ := b.Parse(l)
			segments = append(segments, u.String())
		}
	}
	return segments, maps
}

// probe counts the packets ffprobe reads from media, by codec type (top
// level streams only: MPEG-TS also lists them under its program).
func probe(t *testing.T, media []byte) map[string]int {
	t.Helper()
	path := filepath.Join(t.TempDir(), "media")
	if err := os.WriteFile(path, media, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-count_packets", "-show_entries", "stream=codec_type,nb_read_packets", "-of", "csv", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe (the test command installs ffmpeg): %v\n%s", err, out)
	}
	n := map[string]int{}
	for _, l := range strings.Split(string(out), "\n") {
		f := strings.Split(strings.TrimSpace(l), ",")
		if len(f) == 3 && f[0] == "stream" {
			c, _ := strconv.Atoi(f[2])
			n[f[1]] += c
		}
	}
	return n
}

func onDemand(stream string, start, end time.Time) *kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput {
	return &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{
		StreamName: aws.String(stream), PlaybackMode: types.HLSPlaybackModeOnDemand,
		HLSFragmentSelector: &types.HLSFragmentSelector{FragmentSelectorType: types.HLSFragmentSelectorTypeServerTimestamp,
			TimestampRange: &types.HLSTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(end)}},
	}
}

func TestHLSSessionOnDemand(t *testing.T) {
	r := newSessionRig(t)
	start := time.Now().Add(-10 * time.Second)
	r.record(t, "a", start)
	for _, container := range []types.ContainerFormat{types.ContainerFormatFragmentedMp4, types.ContainerFormatMpegTs} {
		t.Run(string(container), func(t *testing.T) {
			in := onDemand("a", start.Add(-time.Second), time.Now())
			in.ContainerFormat = container
			in.DisplayFragmentTimestamp = types.HLSDisplayFragmentTimestampAlways
			out, err := r.am.GetHLSStreamingSessionURL(bg, in)
			if err != nil {
				t.Fatal(err)
			}
			master := aws.ToString(out.HLSStreamingSessionURL)
			if !strings.HasPrefix(master, r.srv.URL+"/getHLSMasterPlaylist.m3u8?SessionToken=") {
				t.Fatalf("session URL %s", master)
			}
			status, _, body := get(t, master)
			if status != 200 || !strings.Contains(string(body), `CODECS="avc1.`) || !strings.Contains(string(body), "RESOLUTION=320x240") {
				t.Fatalf("master: %d\n%s", status, body)
			}
			media, _ := uris(t, master, string(body))
			status, hdr, body := get(t, media[0])
			pl := string(body)
			if status != 200 || hdr.Get("Cache-Control") != "no-cache" || !strings.Contains(pl, "#EXT-X-PLAYLIST-TYPE:VOD") ||
				!strings.Contains(pl, "#EXT-X-ENDLIST") || !strings.Contains(pl, "#EXT-X-PROGRAM-DATE-TIME:") {
				t.Fatalf("media playlist: %d\n%s", status, pl)
			}
			segs, maps := uris(t, media[0], pl)
			if len(segs) != 2 {
				t.Fatalf("%d segments\n%s", len(segs), pl)
			}
			var all []byte
			if container == types.ContainerFormatFragmentedMp4 {
				if len(maps) != 1 { // one init: not repeated at each discontinuity
					t.Fatalf("%d maps\n%s", len(maps), pl)
				}
				_, _, init := get(t, maps[0])
				all = init
			} else if len(maps) != 0 || !strings.Contains(segs[0], "getTSFragment.ts") {
				t.Fatalf("MPEG_TS playlist:\n%s", pl)
			}
			for _, s := range segs {
				status, _, b := get(t, s)
				if status != 200 {
					t.Fatalf("%s: %d %s", s, status, b)
				}
				if container == types.ContainerFormatMpegTs && (len(b)%188 != 0 || b[0] != 0x47) {
					t.Fatalf("%s is not MPEG-TS", s)
				}
				all = append(all, b...)
			}
			if n := probe(t, all); n["video"] != 100 || n["audio"] == 0 {
				t.Fatalf("the session's media: %v", n)
			}
		})
	}
}

func TestHLSSessionTokens(t *testing.T) {
	r := newSessionRig(t)
	start := time.Now().Add(-10 * time.Second)
	r.record(t, "a", start)
	r.record(t, "b", start)
	r.record(t, "b", start.Add(5*time.Second)) // b has fragment numbers that a does not
	out, err := r.am.GetHLSStreamingSessionURL(bg, onDemand("a", start.Add(-time.Second), time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	master := aws.ToString(out.HLSStreamingSessionURL)
	u, _ := url.Parse(master)
	token := u.Query().Get("SessionToken")
	mediaURL := r.srv.URL + "/getHLSMediaPlaylist.m3u8?SessionToken=" + url.QueryEscape(token)
	if status, _, _ := get(t, mediaURL); status != 200 {
		t.Fatalf("media playlist: %d", status)
	}

	// Tampered: 403, saying why.
	i := strings.IndexByte(token, '.') - 3
	bad := token[:i] + string("AB"[token[i]%2]) + token[i+1:]
	status, _, body := get(t, r.srv.URL+"/getHLSMediaPlaylist.m3u8?SessionToken="+url.QueryEscape(bad))
	if status != http.StatusForbidden || !strings.Contains(string(body), "signature does not match") {
		t.Fatalf("tampered token: %d %s", status, body)
	}
	if status, _, body := get(t, r.srv.URL+"/getHLSMediaPlaylist.m3u8"); status != http.StatusForbidden || !strings.Contains(string(body), "missing") {
		t.Fatalf("no token: %d %s", status, body)
	}

	// Stream A's token never reads stream B. Fragment numbers are per
	// stream (B's numbers name A's fragments through A's token); B's
	// fragments by ID, and numbers only B has, are not found.
	var bFrags []fragments.Info
	r.lib.Fragments(bg, "b", fragments.Selector{}, func(in fragments.Info) bool { bFrags = append(bFrags, in); return true })
	last := bFrags[len(bFrags)-1]
	for _, ref := range []string{last.Number, fmt.Sprintf("%s.%d.%d", last.Session, last.SessionIndex, last.ProducerTime.UnixMilli())} {
		for _, path := range []string{"getMP4MediaFragment.mp4", "getTSFragment.ts", "getMP4InitFragment.mp4"} {
			status, _, body := get(t, r.srv.URL+"/"+path+"?FragmentNumber="+ref+"&SessionToken="+url.QueryEscape(token))
			if status != http.StatusNotFound {
				t.Fatalf("%s %s of stream b with a token of a: %d %.100q", path, ref, status, body)
			}
		}
	}
	// A DASH resource with an HLS token.
	if status, _, _ := get(t, r.srv.URL+"/getDASHManifest.mpd?SessionToken="+url.QueryEscape(token)); status != http.StatusForbidden {
		t.Fatalf("DASH manifest with an HLS token: %d", status)
	}

	// Expired (the default session lasts 300 s): 403, saying when.
	r.clock.Store(int64(301 * time.Second))
	status, _, body = get(t, mediaURL)
	if status != http.StatusForbidden || !strings.Contains(string(body), "expired") {
		t.Fatalf("expired token: %d %s", status, body)
	}
}

func TestHLSSessionRequests(t *testing.T) {
	r := newSessionRig(t)
	start := time.Now().Add(-10 * time.Second)
	r.record(t, "a", start)
	if _, err := r.lib.Create(bg, fragments.StreamSpec{Name: "noretention", RetentionHours: 0}); err != nil {
		t.Fatal(err)
	}
	rangeOf := func(typ types.HLSFragmentSelectorType, from, to time.Time) *types.HLSFragmentSelector {
		return &types.HLSFragmentSelector{FragmentSelectorType: typ, TimestampRange: &types.HLSTimestampRange{StartTimestamp: aws.Time(from), EndTimestamp: aws.Time(to)}}
	}
	ok := rangeOf(types.HLSFragmentSelectorTypeServerTimestamp, start.Add(-time.Second), time.Now())
	for _, tc := range []struct {
		name, code, msg string
		in              kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput
	}{
		{"expires too short", "InvalidArgumentException", "expires", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("a"), Expires: aws.Int32(299)}},
		{"expires too long", "InvalidArgumentException", "expires", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("a"), Expires: aws.Int32(43201)}},
		{"no fragments allowed", "InvalidArgumentException", "maxMediaPlaylistFragmentResults", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("a"), MaxMediaPlaylistFragmentResults: aws.Int64(0)}},
		{"too many fragments", "InvalidArgumentException", "maxMediaPlaylistFragmentResults", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("a"), MaxMediaPlaylistFragmentResults: aws.Int64(5001)}},
		{"bad mode", "InvalidArgumentException", "playbackMode", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("a"), PlaybackMode: "REWIND"}},
		{"bad container", "InvalidArgumentException", "containerFormat", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("a"), ContainerFormat: "MKV"}},
		{"live with a range", "InvalidArgumentException", "must not be set when PlaybackMode is LIVE", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("a"), HLSFragmentSelector: ok}},
		{"on demand without a range", "InvalidArgumentException", "is required when PlaybackMode is ON_DEMAND", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("a"), PlaybackMode: types.HLSPlaybackModeOnDemand}},
		{"range backwards", "InvalidArgumentException", "later than the StartTimestamp", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("a"), PlaybackMode: types.HLSPlaybackModeLiveReplay,
			HLSFragmentSelector: rangeOf(types.HLSFragmentSelectorTypeServerTimestamp, time.Now(), start)}},
		{"range over a day", "InvalidArgumentException", "24 hours", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("a"), PlaybackMode: types.HLSPlaybackModeOnDemand,
			HLSFragmentSelector: rangeOf(types.HLSFragmentSelectorTypeProducerTimestamp, start.Add(-48*time.Hour), start)}},
		{"nothing in the range", "ResourceNotFoundException", "No fragments found", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("a"), PlaybackMode: types.HLSPlaybackModeOnDemand,
			HLSFragmentSelector: rangeOf(types.HLSFragmentSelectorTypeServerTimestamp, start.Add(-time.Hour), start.Add(-time.Minute))}},
		{"no stream", "ResourceNotFoundException", "", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("nope")}},
		{"no retention", "NoDataRetentionException", "does not retain data", kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("noretention")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.am.GetHLSStreamingSessionURL(bg, &tc.in)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.code || !strings.Contains(ae.ErrorMessage(), tc.msg) {
				t.Fatalf("want %s (%q), got %v", tc.code, tc.msg, err)
			}
		})
	}
	// LIVE and LIVE_REPLAY sessions of a stream with recent fragments.
	if _, err := r.am.GetHLSStreamingSessionURL(bg, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("a")}); err != nil {
		t.Fatalf("LIVE: %v", err)
	}
	out, err := r.am.GetHLSStreamingSessionURL(bg, &kinesisvideoarchivedmedia.GetHLSStreamingSessionURLInput{StreamName: aws.String("a"),
		PlaybackMode: types.HLSPlaybackModeLiveReplay, HLSFragmentSelector: &types.HLSFragmentSelector{
			FragmentSelectorType: types.HLSFragmentSelectorTypeServerTimestamp, TimestampRange: &types.HLSTimestampRange{StartTimestamp: aws.Time(start.Add(-time.Second))}}})
	if err != nil {
		t.Fatalf("LIVE_REPLAY: %v", err)
	}
	media := strings.Replace(aws.ToString(out.HLSStreamingSessionURL), "getHLSMasterPlaylist", "getHLSMediaPlaylist", 1)
	if status, _, body := get(t, media); status != 200 || !strings.Contains(string(body), "#EXT-X-PLAYLIST-TYPE:EVENT") || strings.Contains(string(body), "ENDLIST") {
		t.Fatalf("LIVE_REPLAY playlist: %d\n%s", status, body)
	}
}

func TestDASHSessionOnDemand(t *testing.T) {
	r := newSessionRig(t)
	start := time.Now().Add(-10 * time.Second)
	r.record(t, "a", start)
	out, err := r.am.GetDASHStreamingSessionURL(bg, &kinesisvideoarchivedmedia.GetDASHStreamingSessionURLInput{
		StreamName: aws.String("a"), PlaybackMode: types.DASHPlaybackModeOnDemand,
		DisplayFragmentTimestamp: types.DASHDisplayFragmentTimestampAlways,
		DASHFragmentSelector: &types.DASHFragmentSelector{FragmentSelectorType: types.DASHFragmentSelectorTypeProducerTimestamp,
			TimestampRange: &types.DASHTimestampRange{StartTimestamp: aws.Time(start.Add(-time.Second)), EndTimestamp: aws.Time(time.Now())}},
	})
	if err != nil {
		t.Fatal(err)
	}
	manifest := aws.ToString(out.DASHStreamingSessionURL)
	if !strings.Contains(manifest, "/getDASHManifest.mpd?SessionToken=") {
		t.Fatalf("DASH URL %s", manifest)
	}
	status, hdr, body := get(t, manifest)
	if status != 200 || hdr.Get("Content-Type") != "application/dash+xml" {
		t.Fatalf("manifest: %d %v\n%s", status, hdr, body)
	}
	var mpd struct {
		Type    string `xml:"type,attr"`
		Periods []struct {
			Reps []struct {
				Codecs string `xml:"codecs,attr"`
				List   struct {
					PTO  int64 `xml:"presentationTimeOffset,attr"`
					Init struct {
						URL string `xml:"sourceURL,attr"`
					} `xml:"Initialization"`
					S []struct {
						T  int64  `xml:"t,attr"`
						D  int64  `xml:"d,attr"`
						TS string `xml:"ts,attr"`
					} `xml:"SegmentTimeline>S"`
					URLs []struct {
						Media string `xml:"media,attr"`
					} `xml:"SegmentURL"`
				} `xml:"SegmentList"`
			} `xml:"AdaptationSet>Representation"`
		} `xml:"Period"`
	}
	if err := xml.Unmarshal(body, &mpd); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	if mpd.Type != "static" || len(mpd.Periods) != 1 || len(mpd.Periods[0].Reps) != 1 {
		t.Fatalf("manifest:\n%s", body)
	}
	rep := mpd.Periods[0].Reps[0]
	if len(rep.List.S) != 2 || len(rep.List.URLs) != 2 || rep.List.S[0].T != rep.List.PTO || rep.List.S[0].TS == "" ||
		rep.List.S[1].T != rep.List.S[0].T+rep.List.S[0].D || !strings.HasPrefix(rep.Codecs, "avc1.") {
		t.Fatalf("representation %+v\n%s", rep, body)
	}
	base, _ := url.Parse(manifest)
	resolve := func(s string) string { u, _ := base.Parse(s); return u.String() }
	_, _, all := get(t, resolve(rep.List.Init.URL))
	for _, s := range rep.List.URLs {
		_, _, b := get(t, resolve(s.Media))
		all = append(all, b...)
	}
	if n := probe(t, all); n["video"] != 100 {
		t.Fatalf("DASH media: %v", n)
	}
}
