package kvs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/web/webtest"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	"github.com/aws/smithy-go"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
	"github.com/sluice-dev/sluice/web/kvs"
)

var bg = context.Background()

// env is a Handler on a real stream core and fs bucket, served on
// loopback, with SDK clients pointed at it.
type env struct {
	t      *testing.T
	lib    *fragments.Library
	bucket storage.Bucket
	h      *kvs.Handler
	srv    *httptest.Server
	kv     *kinesisvideo.Client
	am     *kinesisvideoarchivedmedia.Client
}

type envOptions struct {
	core       streams.Config // passed through fragments.CoreConfig
	cfg        kvs.Config
	wrapBucket func(storage.Bucket) storage.Bucket
}

func newEnv(t *testing.T, opts envOptions) *env {
	t.Helper()
	core := streamstest.Open(t, fragments.CoreConfig(opts.core))
	lib := fragments.NewLibrary(core, fragments.LibraryConfig{})
	b, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	var bucket storage.Bucket = b
	if opts.wrapBucket != nil {
		bucket = opts.wrapBucket(b)
	}
	if opts.cfg.Logger == nil {
		opts.cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := kvs.New(lib, bucket, opts.cfg)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")
	return &env{
		t: t, lib: lib, bucket: bucket, h: h, srv: srv,
		kv: kinesisvideo.New(kinesisvideo.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds, Retryer: webtest.Retryer(),
		}),
		am: kinesisvideoarchivedmedia.New(kinesisvideoarchivedmedia.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds, Retryer: webtest.Retryer(),
		}),
	}
}

// create makes a stream through the API and waits until it is ACTIVE.
func (e *env) create(in *kinesisvideo.CreateStreamInput) fragments.Stream {
	e.t.Helper()
	if _, err := e.kv.CreateStream(bg, in); err != nil {
		e.t.Fatalf("CreateStream %s: %v", aws.ToString(in.StreamName), err)
	}
	return e.waitActive(*in.StreamName)
}

func (e *env) waitActive(name string) fragments.Stream {
	e.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		s, err := e.lib.Describe(bg, name)
		if err == nil && s.Status == "ACTIVE" {
			return s
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("stream %s not ACTIVE: %+v %v", name, s, err)
		}
	}
}

// post sends a raw request and returns the status, headers and body.
func (e *env) post(path, contentType string, body []byte) (int, http.Header, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// wantAPIError checks an SDK error's code, HTTP status and (when not
// empty) that its message contains msg.
func wantAPIError(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Fatalf("%s: want HTTP %d, got %v", code, status, err)
	}
	if msg != "" && !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("%s: message %q does not contain %q", code, ae.ErrorMessage(), msg)
	}
}

// errorOf decodes an error response body.
func errorOf(t *testing.T, b []byte) (typ, msg string) {
	t.Helper()
	var body struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	return body.Type, body.Message
}

func TestConfigValidate(t *testing.T) {
	if err := (kvs.Config{}).Validate(); err != nil {
		t.Fatalf("zero Config: %v", err)
	}
	if err := (kvs.Config{PublicURL: "https://video.example.com/kvs/"}).Validate(); err != nil {
		t.Fatalf("good PublicURL: %v", err)
	}
	err := (kvs.Config{PublicURL: "video.example.com", MaxBodyBytes: -1}).Validate()
	if err == nil || !strings.Contains(err.Error(), "PublicURL") || !strings.Contains(err.Error(), "MaxBodyBytes") {
		t.Fatalf("want both fields reported, got %v", err)
	}
}

func TestPaths(t *testing.T) {
	e := newEnv(t, envOptions{})
	want := []string{
		"/ListTagsForResource", "/TagResource", "/UntagResource", "/createStream", "/deleteStream",
		"/describeStream", "/getDataEndpoint", "/listFragments", "/listStreams", "/listTagsForStream",
		"/tagStream", "/untagStream", "/updateDataRetention", "/updateStream",
	}
	if got := e.h.Paths(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("Paths() = %v", got)
	}
}
