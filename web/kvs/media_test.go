package kvs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/web/webtest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/ingest"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
	"github.com/sluice-dev/sluice/web/kvs"
)

// mediaEnv is a Handler serving the media operations from a real
// recorder's archive and live edge, on loopback.
type mediaEnv struct {
	t      *testing.T
	lib    *fragments.Library
	bucket *gatedBucket
	hub    *fragments.Hub
	rec    *ingest.Recorder
	srv    *httptest.Server
	kv     *kinesisvideo.Client
	am     *kinesisvideoarchivedmedia.Client
}

// gatedBucket holds every Put while its gate is shut: fragments then stay
// on the live edge only, not archived nor indexed.
type gatedBucket struct {
	storage.Bucket
	mu   sync.Mutex
	open chan struct{} // closed while Puts may go through
}

func (b *gatedBucket) shut() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.open = make(chan struct{})
}

func (b *gatedBucket) reopen() {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.open)
}

func (b *gatedBucket) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	b.mu.Lock()
	open := b.open
	b.mu.Unlock()
	select {
	case <-open:
	case <-ctx.Done():
		return ctx.Err()
	}
	return b.Bucket.Put(ctx, key, r, size)
}

func newMediaEnv(t *testing.T) *mediaEnv {
	t.Helper()
	core := streamstest.Open(t, fragments.CoreConfig(streams.Config{}))
	lib := fragments.NewLibrary(core, fragments.LibraryConfig{})
	fsb, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsb.Close() })
	bucket := &gatedBucket{Bucket: fsb, open: make(chan struct{})}
	close(bucket.open)
	hub := fragments.NewHub(0)
	log := slog.New(slog.DiscardHandler)
	rec := ingest.NewRecorder(lib, bucket, hub, ingest.RecorderConfig{AutoCreate: true, Logger: log})
	t.Cleanup(func() { rec.Close(bg) })
	h := kvs.New(lib, bucket, kvs.Config{Logger: log, Playback: playback.NewSource(lib, bucket, hub, playback.SourceConfig{})})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")
	return &mediaEnv{
		t: t, lib: lib, bucket: bucket, hub: hub, rec: rec, srv: srv,
		kv: kinesisvideo.New(kinesisvideo.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds, Retryer: webtest.Retryer()}),
		am: kinesisvideoarchivedmedia.New(kinesisvideoarchivedmedia.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds, Retryer: webtest.Retryer()}),
	}
}

// record publishes the test media (4 s: 100 frames at 25 fps, keyframes
// every second, AAC) as one session starting at start, and waits until its
// fragments (2 of 2 s) are indexed.
func (e *mediaEnv) record(stream string, start time.Time) []fragments.Info {
	e.t.Helper()
	before := len(e.fragments(stream))
	e.publish(stream, start)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if all := e.fragments(stream); len(all) >= before+2 {
			return all
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the fragments of %s were not indexed", stream)
		}
	}
}

// publish publishes the test media without waiting for its archive.
func (e *mediaEnv) publish(stream string, start time.Time) {
	e.t.Helper()
	s, err := e.rec.Open(bg, stream, ingest.Source{Kind: "test"}, fragmentstest.Tracks(e.t))
	if err != nil {
		e.t.Fatal(err)
	}
	fragmentstest.Feed(e.t, start, false, s.Write)
	s.Close()
}

func (e *mediaEnv) fragments(stream string) []fragments.Info {
	e.t.Helper()
	var out []fragments.Info
	err := e.lib.Fragments(bg, stream, fragments.Selector{}, func(in fragments.Info) bool { out = append(out, in); return true })
	if err != nil && !strings.Contains(err.Error(), "not found") {
		e.t.Fatal(err)
	}
	return out
}

// probe writes media to a file and ffprobes it.
func probe(t *testing.T, media []byte) fragmentstest.Probe {
	t.Helper()
	return fragmentstest.FFprobe(t, media)
}

// clipStart is the producer (and server) time of the test media: a
// whole second in the past, so that ranges are exact in milliseconds.
var clipStart = time.Now().Add(-time.Hour).Truncate(time.Second)

func TestGetClip(t *testing.T) {
	e := newMediaEnv(t)
	e.record("cam", clipStart)
	for _, c := range []struct {
		name     string
		typ      amtypes.ClipFragmentSelectorType
		from, to time.Duration
		frames   int
	}{
		{"all", amtypes.ClipFragmentSelectorTypeProducerTimestamp, -time.Minute, time.Minute, 100},
		{"from mid-GOP, end trimmed", amtypes.ClipFragmentSelectorTypeProducerTimestamp, 1500 * time.Millisecond, 3300 * time.Millisecond, 58},
		{"server timestamps", amtypes.ClipFragmentSelectorTypeServerTimestamp, 2200 * time.Millisecond, 2600 * time.Millisecond, 15},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := e.am.GetClip(bg, &kinesisvideoarchivedmedia.GetClipInput{
				StreamName: aws.String("cam"),
				ClipFragmentSelector: &amtypes.ClipFragmentSelector{
					FragmentSelectorType: c.typ,
					TimestampRange:       &amtypes.ClipTimestampRange{StartTimestamp: aws.Time(clipStart.Add(c.from)), EndTimestamp: aws.Time(clipStart.Add(c.to))},
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer out.Payload.Close()
			body, err := io.ReadAll(out.Payload)
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(out.ContentType) != "video/mp4" {
				t.Errorf("Content-Type %q", aws.ToString(out.ContentType))
			}
			p := probe(t, body)
			if p.Packets["video"] != c.frames || p.Packets["audio"] == 0 {
				t.Errorf("clip has %v packets, want %d video frames and audio", p.Packets, c.frames)
			}
		})
	}
}

// TestGetClipLiveEdge: a clip over archived fragments and fragments that
// are only on the live edge (their storage is held back) has every frame
// once.
func TestGetClipLiveEdge(t *testing.T) {
	e := newMediaEnv(t)
	e.record("cam", clipStart)
	e.bucket.shut()
	defer e.bucket.reopen()
	e.publish("cam", clipStart.Add(4*time.Second)) // right after the first session
	for deadline := time.Now().Add(10 * time.Second); len(e.hub.View("cam").Fragments) < 4; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second session's fragments are not on the live edge")
		}
	}
	if n := len(e.fragments("cam")); n != 2 {
		t.Fatalf("%d fragments indexed, want the first session's 2", n)
	}
	out, err := e.am.GetClip(bg, &kinesisvideoarchivedmedia.GetClipInput{
		StreamName: aws.String("cam"),
		ClipFragmentSelector: &amtypes.ClipFragmentSelector{
			FragmentSelectorType: amtypes.ClipFragmentSelectorTypeProducerTimestamp,
			TimestampRange:       &amtypes.ClipTimestampRange{StartTimestamp: aws.Time(clipStart), EndTimestamp: aws.Time(clipStart.Add(time.Minute))},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(out.Payload)
	out.Payload.Close()
	if err != nil {
		t.Fatal(err)
	}
	if p := probe(t, body); p.Packets["video"] != 200 || math.Abs(p.Duration-8) > 0.05 {
		t.Fatalf("clip over the archive and the live edge: %+v, want 200 video frames in 8 s", p)
	}
}

func TestGetClipErrors(t *testing.T) {
	e := newMediaEnv(t)
	e.record("cam", clipStart)
	if _, err := e.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("live-only"), DataRetentionInHours: aws.Int32(0)}); err != nil {
		t.Fatal(err)
	}
	clip := func(stream string, from, to time.Duration) error {
		out, err := e.am.GetClip(bg, &kinesisvideoarchivedmedia.GetClipInput{
			StreamName: aws.String(stream),
			ClipFragmentSelector: &amtypes.ClipFragmentSelector{
				FragmentSelectorType: amtypes.ClipFragmentSelectorTypeProducerTimestamp,
				TimestampRange:       &amtypes.ClipTimestampRange{StartTimestamp: aws.Time(clipStart.Add(from)), EndTimestamp: aws.Time(clipStart.Add(to))},
			},
		})
		if err == nil {
			out.Payload.Close()
		}
		return err
	}
	wantAPIError(t, clip("cam", time.Hour, 2*time.Hour), "ResourceNotFoundException", 404, "No fragments")
	wantAPIError(t, clip("cam", time.Second, time.Second), "InvalidArgumentException", 400, "later than the StartTimestamp")
	wantAPIError(t, clip("cam", 0, 25*time.Hour), "InvalidArgumentException", 400, "within 24h0m0s")
	wantAPIError(t, clip("nope", 0, time.Second), "ResourceNotFoundException", 404, "")
	wantAPIError(t, clip("live-only", 0, time.Second), "NoDataRetentionException", 400, "does not retain data")
	// The SDK refuses a missing selector itself: send the request raw.
	resp, err := http.Post(e.srv.URL+"/getClip", "application/json", strings.NewReader(`{"StreamName":"cam"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("x-amzn-ErrorType") != "InvalidArgumentException" || !strings.Contains(string(body), "clipFragmentSelector") {
		t.Fatalf("GetClip without a selector: %d %s %s", resp.StatusCode, resp.Header.Get("x-amzn-ErrorType"), body)
	}
}

// tagValues finds the values of a Matroska SimpleTag in bytes, in order:
// TagName, then TagString (ID 0x4487) with a one-byte size.
func tagValues(b []byte, name string) []string {
	var out []string
	for {
		i := bytes.Index(b, []byte(name))
		if i < 0 {
			return out
		}
		b = b[i+len(name):]
		if len(b) > 3 && b[0] == 0x44 && b[1] == 0x87 && b[2]&0x80 != 0 && len(b) >= 3+int(b[2]&0x7f) {
			out = append(out, string(b[3:3+int(b[2]&0x7f)]))
		}
	}
}

func fragmentNumbers(b []byte) []string { return tagValues(b, "AWS_KINESISVIDEO_FRAGMENT_NUMBER") }

func TestGetMediaForFragmentList(t *testing.T) {
	e := newMediaEnv(t)
	frags := e.record("cam", clipStart)
	order := []string{frags[1].Number, frags[0].Number}
	out, err := e.am.GetMediaForFragmentList(bg, &kinesisvideoarchivedmedia.GetMediaForFragmentListInput{StreamName: aws.String("cam"), Fragments: order})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(out.Payload)
	out.Payload.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got := fragmentNumbers(body); strings.Join(got, ",") != strings.Join(order, ",") {
		t.Fatalf("fragments in the output: %v, want %v", got, order)
	}
	path := filepath.Join(t.TempDir(), "list.mkv")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	if p := fragmentstest.FFprobeFile(t, path); p.Packets["video"] != 100 {
		t.Fatalf("ffprobe reads %v", p.Packets)
	}
	_, err = e.am.GetMediaForFragmentList(bg, &kinesisvideoarchivedmedia.GetMediaForFragmentListInput{StreamName: aws.String("cam"), Fragments: []string{frags[0].Number, "12345"}})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "12345")
	_, err = e.am.GetMediaForFragmentList(bg, &kinesisvideoarchivedmedia.GetMediaForFragmentListInput{StreamName: aws.String("cam"), Fragments: []string{"x1"}})
	wantAPIError(t, err, "InvalidArgumentException", 400, "fragments.1.member")
}

// getMedia starts a GetMedia call (raw HTTP: the SDK has no client for
// the kinesis-video-media model here) and returns its body.
func (e *mediaEnv) getMedia(ctx context.Context, selector map[string]any) io.ReadCloser {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"StreamName": "cam", "StartSelector": selector})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/getMedia", bytes.NewReader(body))
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "video/x-matroska" {
		b, _ := io.ReadAll(resp.Body)
		e.t.Fatalf("GetMedia: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	return resp.Body
}

// readFragments reads a GetMedia body until it holds n fragments' tags.
func readFragments(t *testing.T, r io.Reader, n int) []byte {
	t.Helper()
	var got []byte
	buf := make([]byte, 64<<10)
	for bytes.Count(got, []byte("AWS_KINESISVIDEO_CONTINUATION_TOKEN")) < n {
		k, err := r.Read(buf)
		got = append(got, buf[:k]...)
		if err != nil {
			t.Fatalf("after %d bytes: %v", len(got), err)
		}
	}
	return got
}

// TestGetMedia follows a stream: the archived fragments, then those of a
// session that starts while the call is open; a continuation token
// resumes after its fragment.
func TestGetMedia(t *testing.T) {
	e := newMediaEnv(t)
	first := e.record("cam", clipStart)
	ctx, cancel := context.WithTimeout(bg, 30*time.Second)
	defer cancel()
	body := e.getMedia(ctx, map[string]any{"StartSelectorType": "EARLIEST"})
	defer body.Close()
	got := readFragments(t, body, 2)
	all := e.record("cam", clipStart.Add(time.Minute))
	got = append(got, readFragments(t, body, 2)...)
	if nums := fragmentNumbers(got); len(nums) != 4 || nums[0] != first[0].Number || nums[3] != all[3].Number {
		t.Fatalf("GetMedia sent fragments %v; the stream has %v", nums, all)
	}
	if p := probe(t, got); p.Packets["video"] != 200 {
		t.Fatalf("ffprobe reads %v of GetMedia's output, want 200 video frames", p.Packets)
	}
	tokens := tagValues(got, "AWS_KINESISVIDEO_CONTINUATION_TOKEN")
	if len(tokens) != 4 || !bytes.Contains(got, []byte("AWS_KINESISVIDEO_MILLIS_BEHIND_NOW")) {
		t.Fatalf("%d continuation tokens", len(tokens))
	}

	for _, c := range []struct {
		name     string
		selector map[string]any
		want     string
	}{
		{"continuation token", map[string]any{"StartSelectorType": "CONTINUATION_TOKEN", "ContinuationToken": tokens[1]}, all[2].Number},
		{"after fragment", map[string]any{"StartSelectorType": "FRAGMENT_NUMBER", "AfterFragmentNumber": all[0].Number}, all[1].Number},
		{"producer timestamp", map[string]any{"StartSelectorType": "PRODUCER_TIMESTAMP", "StartTimestamp": float64(clipStart.Add(time.Minute+2500*time.Millisecond).UnixMilli()) / 1000}, all[3].Number},
		{"now", map[string]any{"StartSelectorType": "NOW"}, all[3].Number},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(bg, 10*time.Second)
			defer cancel()
			b := e.getMedia(ctx, c.selector)
			defer b.Close()
			if nums := fragmentNumbers(readFragments(t, b, 1)); nums[0] != c.want {
				t.Fatalf("starts with fragment %s, want %s", nums[0], c.want)
			}
		})
	}
	status, _, resp := (&env{t: t, srv: e.srv}).post("/getMedia", "application/json", []byte(`{"StreamName":"cam","StartSelector":{"StartSelectorType":"FRAGMENT_NUMBER"}}`))
	if typ, msg := errorOf(t, resp); status != 400 || typ != "InvalidArgumentException" || !strings.Contains(msg, "AfterFragmentNumber") {
		t.Fatalf("GetMedia without AfterFragmentNumber: %d %s %s", status, typ, msg)
	}
}
