package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/fxamacker/cbor/v2"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/ingest"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
	"github.com/sluice-dev/sluice/web/auth"
)

// The keys of the authorization rig: an admin, and a key that may only
// read streams named cam-*.
var (
	rigAdmin  = auth.Key{ID: "AKIDADMIN", Secret: "admin-secret-1", Policy: auth.FullAccess()}
	rigReader = auth.Key{ID: "AKIDREADER", Secret: "reader-secret-1", Policy: auth.Policy{Streams: []string{"cam-*"}, Actions: []string{"read"}}}
)

// secretPrefix starts the names of the streams rigReader may not touch.
const secretPrefix = "secret-"

// seen records the streams the stream cores and the archive were asked
// about, by name.
type seen struct {
	mu    sync.Mutex
	names map[string]int
	on    bool
}

func (s *seen) add(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.on {
		s.names[name]++
	}
}

// secrets returns the secret streams asked about since the last call.
func (s *seen) secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for n := range s.names {
		if strings.HasPrefix(n, secretPrefix) {
			out = append(out, n)
		}
	}
	clear(s.names)
	return out
}

func (s *seen) record(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.on = on
	clear(s.names)
}

// spyBucket is a storage decorator that records the video streams whose
// objects are asked for (keys video/s-<name>/...).
type spyBucket struct {
	storage.Bucket
	seen *seen
}

func (b spyBucket) note(key string) {
	if rest, ok := strings.CutPrefix(key, "video/s-"); ok {
		name, _, _ := strings.Cut(rest, "/")
		b.seen.add(name)
	}
}

func (b spyBucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	b.note(key)
	return b.Bucket.Get(ctx, key)
}

func (b spyBucket) GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	b.note(key)
	return b.Bucket.GetRange(ctx, key, off, length)
}

func (b spyBucket) Attributes(ctx context.Context, key string) (storage.ObjectInfo, error) {
	b.note(key)
	return b.Bucket.Attributes(ctx, key)
}

func (b spyBucket) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	b.note(prefix)
	return b.Bucket.List(ctx, prefix, fn)
}

// authzRig is the whole HTTP surface (web.New, as the binary wires it)
// with access keys, over real stream cores, an fs archive and recorded
// video, with spies on what the cores and the archive are asked.
type authzRig struct {
	srv  *httptest.Server
	seen *seen
	// vars fill the request templates, per stream.
	vars map[string]map[string]string
}

func newAuthzRig(t testing.TB) *authzRig {
	t.Helper()
	sn := &seen{names: map[string]int{}}
	quiet := slog.New(slog.DiscardHandler)
	data := streamstest.Open(t, streams.Config{Observe: sn.add})
	video := streamstest.Open(t, fragments.CoreConfig(streams.Config{Observe: sn.add}))
	lib := fragments.NewLibrary(video, fragments.LibraryConfig{})
	dir, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dir.Close() })
	bucket := spyBucket{Bucket: dir, seen: sn}
	hub := fragments.NewHub(0)
	rec := ingest.NewRecorder(lib, bucket, hub, ingest.RecorderConfig{AutoCreate: true, Logger: quiet})
	t.Cleanup(func() { rec.Close(bg) })
	v := auth.New(auth.Config{Keys: []auth.Key{rigAdmin, rigReader}, Logger: quiet})
	src := playback.NewSource(lib, bucket, hub, playback.SourceConfig{})
	signer := playback.NewSigner([]byte("test key"), nil)
	s := New(Config{Logger: quiet, Auth: v}, Deps{Streams: data, Video: lib, Archive: bucket, Playback: src, Signer: signer})
	rig := &authzRig{srv: httptest.NewServer(s.Handler()), seen: sn, vars: map[string]map[string]string{}}
	t.Cleanup(rig.srv.Close)

	start := time.Now().Add(-time.Minute)
	for _, name := range []string{"cam-1", secretPrefix + "cam"} {
		// A data stream with a consumer and an iterator.
		if err := data.CreateStream(bg, name, streams.CreateOptions{ShardCount: 1}); err != nil {
			t.Fatal(err)
		}
		var ds streams.Stream
		for deadline := time.Now().Add(10 * time.Second); ds.Status != streams.StatusActive; time.Sleep(10 * time.Millisecond) {
			if ds, err = data.DescribeStream(bg, name); err != nil || time.Now().After(deadline) {
				t.Fatalf("data stream %s: %+v %v", name, ds, err)
			}
		}
		c, err := data.RegisterConsumer(bg, name, "c1")
		if err != nil {
			t.Fatal(err)
		}
		it, err := data.GetShardIterator(bg, name, "shardId-000000000000", streams.TrimHorizon, "", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		// A video stream with two recorded fragments.
		sess, err := rec.Open(bg, name, ingest.Source{Kind: "test"}, fragmentstest.Tracks(t))
		if err != nil {
			t.Fatal(err)
		}
		fragmentstest.Feed(t, start, false, sess.Write)
		sess.Close()
		var first string
		for deadline := time.Now().Add(10 * time.Second); first == ""; time.Sleep(10 * time.Millisecond) {
			_ = lib.Fragments(bg, name, fragments.Selector{}, func(f fragments.Info) bool { first = f.Number; return false })
			if time.Now().After(deadline) {
				t.Fatalf("%s: no fragment indexed", name)
			}
		}
		vs, err := lib.Describe(bg, name)
		if err != nil {
			t.Fatal(err)
		}
		rig.vars[name] = map[string]string{
			"{S}": name, "{ARN}": ds.ARN, "{CARN}": c.ARN, "{IT}": it, "{VARN}": vs.ARN, "{FRAG}": first,
			"{T0}": jsonNumber(float64(start.UnixMilli()) / 1000), "{T1}": jsonNumber(float64(start.Add(4*time.Second).UnixMilli()) / 1000),
		}
	}
	// Every fragment archived and indexed: nothing of the setup goes on
	// asking the cores about the streams while the cases run (a late
	// archiver's reads were once taken for a case's).
	rec.Close(bg)
	return rig
}

func jsonNumber(f float64) string { b, _ := json.Marshal(f); return string(b) }

// call signs a request as key and sends it: target set for KDS
// (X-Amz-Target), path for KVS. It returns the status and error name.
func (r *authzRig) call(t testing.TB, key auth.Key, kds bool, op, contentType string, body []byte) (int, string) {
	st, name, _ := r.callRead(t, key, kds, op, contentType, body, false)
	return st, name
}

// callRead is call, and also returns the answer's body when read is set.
func (r *authzRig) callRead(t testing.TB, key auth.Key, kds bool, op, contentType string, body []byte, read bool) (int, string, []byte) {
	t.Helper()
	path, service := "/", "kinesis"
	if !kds {
		path, service = op, "kinesisvideo"
	}
	req, err := http.NewRequest(http.MethodPost, r.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if kds {
		req.Header.Set("X-Amz-Target", "Kinesis_20131202."+op)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: key.ID, SecretAccessKey: key.Secret}
	if err := v4.NewSigner().SignHTTP(bg, creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bg, 20*time.Second)
	defer cancel()
	resp, err := r.srv.Client().Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s %s: %v", op, contentType, err)
	}
	defer resp.Body.Close() // unread unless asked: some answers stream (GetMedia, SubscribeToShard)
	var b []byte
	if read {
		b, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	}
	return resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), b
}

// fill replaces the template's variables with those of stream.
func (r *authzRig) fill(tmpl, stream string) string {
	for k, v := range r.vars[stream] {
		tmpl = strings.ReplaceAll(tmpl, k, v)
	}
	return tmpl
}

// encode is body as the content type carries it: CBOR for KDS with the
// CBOR content type, JSON otherwise (KVS reads JSON whatever it says).
func encode(t testing.TB, kds bool, contentType, body string) []byte {
	if !kds || !strings.Contains(contentType, "cbor") {
		return []byte(body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("template %s: %v", body, err)
	}
	b, err := cbor.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readTemplates are valid requests of every read operation, by stream
// name and by ARN ("" where the operation takes no such form).
var readTemplates = map[string][2]string{
	// Kinesis Data Streams.
	"DescribeStream":         {`{"StreamName":"{S}"}`, `{"StreamARN":"{ARN}"}`},
	"DescribeStreamSummary":  {`{"StreamName":"{S}"}`, `{"StreamARN":"{ARN}"}`},
	"DescribeStreamConsumer": {`{"StreamARN":"{ARN}","ConsumerName":"c1"}`, `{"ConsumerARN":"{CARN}"}`},
	"ListShards":             {`{"StreamName":"{S}"}`, `{"StreamARN":"{ARN}"}`},
	"ListStreamConsumers":    {"", `{"StreamARN":"{ARN}"}`},
	"ListTagsForStream":      {`{"StreamName":"{S}"}`, `{"StreamARN":"{ARN}"}`},
	"ListTagsForResource":    {"", `{"ResourceARN":"{ARN}"}`},
	"GetShardIterator":       {`{"StreamName":"{S}","ShardId":"shardId-000000000000","ShardIteratorType":"TRIM_HORIZON"}`, `{"StreamARN":"{ARN}","ShardId":"shardId-000000000000","ShardIteratorType":"TRIM_HORIZON"}`},
	"GetRecords":             {`{"ShardIterator":"{IT}"}`, `{"ShardIterator":"{IT}","StreamARN":"{ARN}"}`},
	"SubscribeToShard":       {"", `{"ConsumerARN":"{CARN}","ShardId":"shardId-000000000000","StartingPosition":{"Type":"TRIM_HORIZON"}}`},

	// Kinesis Video Streams.
	"/describeStream":             {`{"StreamName":"{S}"}`, `{"StreamARN":"{VARN}"}`},
	"/getDataEndpoint":            {`{"StreamName":"{S}","APIName":"GET_MEDIA"}`, `{"StreamARN":"{VARN}","APIName":"GET_MEDIA"}`},
	"/listTagsForStream":          {`{"StreamName":"{S}"}`, `{"StreamARN":"{VARN}"}`},
	"/ListTagsForResource":        {"", `{"ResourceARN":"{VARN}"}`},
	"/listFragments":              {`{"StreamName":"{S}"}`, `{"StreamARN":"{VARN}"}`},
	"/getHLSStreamingSessionURL":  {`{"StreamName":"{S}","PlaybackMode":"ON_DEMAND","HLSFragmentSelector":{"FragmentSelectorType":"PRODUCER_TIMESTAMP","TimestampRange":{"StartTimestamp":{T0},"EndTimestamp":{T1}}}}`, `{"StreamARN":"{VARN}","PlaybackMode":"ON_DEMAND","HLSFragmentSelector":{"FragmentSelectorType":"PRODUCER_TIMESTAMP","TimestampRange":{"StartTimestamp":{T0},"EndTimestamp":{T1}}}}`},
	"/getDASHStreamingSessionURL": {`{"StreamName":"{S}","PlaybackMode":"ON_DEMAND","DASHFragmentSelector":{"FragmentSelectorType":"PRODUCER_TIMESTAMP","TimestampRange":{"StartTimestamp":{T0},"EndTimestamp":{T1}}}}`, `{"StreamARN":"{VARN}","PlaybackMode":"ON_DEMAND","DASHFragmentSelector":{"FragmentSelectorType":"PRODUCER_TIMESTAMP","TimestampRange":{"StartTimestamp":{T0},"EndTimestamp":{T1}}}}`},
	"/getClip":                    {`{"StreamName":"{S}","ClipFragmentSelector":{"FragmentSelectorType":"PRODUCER_TIMESTAMP","TimestampRange":{"StartTimestamp":{T0},"EndTimestamp":{T1}}}}`, `{"StreamARN":"{VARN}","ClipFragmentSelector":{"FragmentSelectorType":"PRODUCER_TIMESTAMP","TimestampRange":{"StartTimestamp":{T0},"EndTimestamp":{T1}}}}`},
	"/getMediaForFragmentList":    {`{"StreamName":"{S}","Fragments":["{FRAG}"]}`, `{"StreamARN":"{VARN}","Fragments":["{FRAG}"]}`},
	"/getMedia":                   {`{"StreamName":"{S}","StartSelector":{"StartSelectorType":"EARLIEST"}}`, `{"StreamARN":"{VARN}","StartSelector":{"StartSelectorType":"EARLIEST"}}`},
}

// everything names a stream in every member that can carry one.
const everything = `{"StreamName":"{S}","StreamARN":"{ARN}","ConsumerARN":"{CARN}","ResourceARN":"{ARN}","ShardIterator":"{IT}","ConsumerName":"c1","ShardId":"shardId-000000000000","ShardIteratorType":"TRIM_HORIZON","APIName":"GET_MEDIA","Fragments":["{FRAG}"],"StartingPosition":{"Type":"TRIM_HORIZON"}}`

// noStream are the read operations that name no stream (their inputs
// have no member that could).
var noStream = map[string]bool{"DescribeLimits": true, "ListStreams": true, "/listStreams": true}

// refusal: the error names a refused call may have (an operation of the
// models Sluice does not serve answers UnknownOperationException, whoever
// asks).
func refusal(name string) bool {
	switch name {
	case "AccessDeniedException", "NotAuthorizedException", "UnknownOperationException":
		return true
	}
	return false
}

// TestOperationMatrix: every KDS and KVS operation of the API models, in
// the JSON and the CBOR content type, naming the key's own stream or
// another by name, by ARN and in every member at once. The key limited
// to reading cam-* is served every read of its own stream and never
// anything of another: the answer is AccessDenied/NotAuthorized, and
// neither the stream cores nor the archive were even asked about it.
func TestOperationMatrix(t *testing.T) {
	rig := newAuthzRig(t)
	own, other := "cam-1", secretPrefix+"cam"
	for _, op := range auth.Operations() {
		kds := strings.HasPrefix(op.Action, "kinesis:")
		if !kds && !strings.HasPrefix(op.Action, "kinesisvideo:") {
			continue // Sluice's own actions: web/api, Guard
		}
		name := strings.TrimPrefix(op.Action, "kinesis:")
		if !kds {
			name = op.Path
		}
		tmpl := readTemplates[name]
		for _, ct := range []string{"application/x-amz-json-1.1", "application/json", "application/x-amz-cbor-1.1"} {
			if !kds && ct == "application/x-amz-json-1.1" {
				continue
			}
			// Its own stream: every read operation is served.
			if op.Class == auth.ClassRead && op.Action != "kinesisvideo:PutMedia" {
				for i, body := range tmpl {
					if body == "" {
						continue
					}
					st, errName := rig.call(t, rigReader, kds, name, ct, encode(t, kds, ct, rig.fill(body, own)))
					// A consumer takes one subscription of a shard at a
					// time: the one before may still hold it.
					busy := name == "SubscribeToShard" && errName == "ResourceInUseException"
					if st != http.StatusOK && !busy {
						t.Errorf("%s %s (form %d) of its own stream: %d %s", name, ct, i, st, errName)
					}
				}
			}
			// Another stream: never.
			bodies := []string{rig.fill(everything, other)}
			for _, body := range tmpl {
				if body != "" {
					bodies = append(bodies, rig.fill(body, other))
				}
			}
			if !kds {
				bodies = append(bodies, strings.ReplaceAll(rig.fill(everything, other), rig.vars[other]["{ARN}"], rig.vars[other]["{VARN}"]))
			}
			if noStream[name] {
				// It names no stream; what it lists or counts must not
				// show another's.
				st, errName, answer := rig.callRead(t, rigReader, kds, name, ct, encode(t, kds, ct, bodies[0]), true)
				if st != http.StatusOK || bytes.Contains(answer, []byte(secretPrefix)) {
					t.Errorf("%s %s: %d %s %.300s", name, ct, st, errName, answer)
				}
				continue
			}
			for _, body := range bodies {
				rig.seen.record(true)
				st, errName := rig.call(t, rigReader, kds, name, ct, encode(t, kds, ct, body))
				asked := rig.seen.secrets()
				rig.seen.record(false)
				unrouted := st == http.StatusNotFound && errName == "" // a path Sluice does not serve
				if st < 300 || !refusal(errName) && !unrouted {
					t.Errorf("%s %s of another stream: %d %q, want a refusal (body %.200s)", name, ct, st, errName, body)
				}
				if len(asked) > 0 {
					t.Errorf("%s %s of another stream: the core or archive was asked about %v", name, ct, asked)
				}
			}
		}
	}
}

// FuzzAuthorization sends random operations of both APIs, in random
// content types, with random bodies in which {S}, {ARN}, {VARN}, {CARN},
// {IT} and {FRAG} stand for another stream's name, ARNs, consumer,
// iterator and fragment, as the key limited to reading cam-*. Whatever
// the answer, neither the stream cores nor the archive may have been
// asked about the other stream, and no call naming it succeeds (except
// those that name no stream at all).
func FuzzAuthorization(f *testing.F) {
	rig := newAuthzRig(f)
	var ops []auth.Operation
	for _, op := range auth.Operations() {
		if strings.HasPrefix(op.Action, "kinesis:") || strings.HasPrefix(op.Action, "kinesisvideo:") {
			ops = append(ops, op)
		}
	}
	cts := []string{"application/x-amz-json-1.1", "application/json", "application/x-amz-cbor-1.1", "text/plain", "", "application/x-amz-json-1.0; charset=utf-8", "application/x-www-form-urlencoded"}
	for i, op := range ops {
		name := strings.TrimPrefix(op.Action, "kinesis:")
		if op.Path != "" {
			name = op.Path
		}
		bodies := []string{everything}
		for _, b := range readTemplates[name] {
			if b != "" {
				bodies = append(bodies, b)
			}
		}
		for j, b := range bodies {
			f.Add(uint8(i), uint8(j), []byte(b), j%2 == 0)
		}
	}
	f.Add(uint8(0), uint8(2), []byte(`{"StreamName":"{S}","streamname":"cam-1"}`), false)
	f.Add(uint8(0), uint8(1), []byte(`{"StreamName":"cam-1","StreamName":"{S}"}`), true)
	f.Add(uint8(3), uint8(1), []byte("\xa1jStreamNamejsecret-cam"), false)
	other := secretPrefix + "cam"
	f.Fuzz(func(t *testing.T, opIndex, ctIndex uint8, body []byte, asCBOR bool) {
		op := ops[int(opIndex)%len(ops)]
		ct := cts[int(ctIndex)%len(cts)]
		kds := op.Path == ""
		name := strings.TrimPrefix(op.Action, "kinesis:")
		if !kds {
			name = op.Path
		}
		filled := []byte(rig.fill(string(body), other))
		if asCBOR {
			var m map[string]any
			if json.Unmarshal(filled, &m) == nil {
				if b, err := cbor.Marshal(m); err == nil {
					filled = b
				}
			}
		}
		rig.seen.record(true)
		st, errName := rig.call(t, rigReader, kds, name, ct, filled)
		asked := rig.seen.secrets()
		rig.seen.record(false)
		if len(asked) > 0 {
			t.Fatalf("%s %q body %q: the core or archive was asked about %v (answer %d %s)", name, ct, filled, asked, st, errName)
		}
		if st < 300 && bytes.Contains(filled, []byte(other)) && !noStream[name] {
			t.Fatalf("%s %q body %q naming another stream: answered %d", name, ct, filled, st)
		}
	})
}
