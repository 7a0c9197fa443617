package auth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/web/webtest"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	"github.com/aws/smithy-go"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
	"github.com/sluice-dev/sluice/web/auth"
	"github.com/sluice-dev/sluice/web/kds"
	"github.com/sluice-dev/sluice/web/kvs"
)

var bg = context.Background()

// Keys of the test server.
var (
	adminKey  = auth.Key{ID: "AKIDADMIN", Secret: "admin-secret-1234", Policy: auth.FullAccess()}
	streamKey = auth.Key{ID: "AKIDA", Secret: "only-a-streams-99", Policy: auth.Policy{Streams: []string{"a*"}, Actions: []string{"read", "write"}}}
)

// env is the real KDS and KVS handlers, wired as web/server.go wires them,
// behind the middleware, on loopback.
type env struct {
	t   *testing.T
	srv *httptest.Server
	v   *auth.Verifier
}

func newEnv(t *testing.T, cfg auth.Config) *env {
	t.Helper()
	nc := streamstest.Connect(t)
	ctx, cancel := context.WithTimeout(bg, 30*time.Second)
	defer cancel()
	quiet := slog.New(slog.DiscardHandler)
	data, err := streams.Open(ctx, nc, streams.Config{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { data.Close() })
	video, err := streams.Open(ctx, nc, fragments.CoreConfig(streams.Config{Logger: quiet}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { video.Close() })
	bucket, err := fs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bucket.Close() })

	if cfg.Keys == nil {
		cfg.Keys = []auth.Key{adminKey, streamKey}
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	v := auth.New(cfg)
	kh := kds.New(data, kds.Config{Logger: quiet, Authorize: v.Authorize, Tokens: v})
	t.Cleanup(func() { kh.Close() })
	kv := kvs.New(fragments.NewLibrary(video, fragments.LibraryConfig{}), bucket, kvs.Config{Logger: quiet, Authorize: v.Authorize, Tokens: v})
	mux := http.NewServeMux()
	mux.Handle("POST /{$}", v.KDS(kh))
	for _, p := range kv.Paths() {
		mux.Handle("POST "+p, v.KVS(kv))
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, v: v}
}

type clientOpts struct {
	id, secret, region string
	anonymous          bool
}

func (o clientOpts) creds() aws.CredentialsProvider {
	if o.anonymous {
		return aws.AnonymousCredentials{}
	}
	return credentials.NewStaticCredentialsProvider(o.id, o.secret, "")
}

func (o clientOpts) reg() string {
	if o.region == "" {
		return "us-east-1"
	}
	return o.region
}

func as(k auth.Key) clientOpts { return clientOpts{id: k.ID, secret: k.Secret} }

func (e *env) kinesis(o clientOpts) *kinesis.Client {
	return kinesis.New(kinesis.Options{Region: o.reg(), BaseEndpoint: aws.String(e.srv.URL),
		Credentials: o.creds(), Retryer: webtest.Retryer()})
}

func (e *env) video(o clientOpts) *kinesisvideo.Client {
	return kinesisvideo.New(kinesisvideo.Options{Region: o.reg(), BaseEndpoint: aws.String(e.srv.URL),
		Credentials: o.creds(), Retryer: webtest.Retryer()})
}

func (e *env) archived(o clientOpts) *kinesisvideoarchivedmedia.Client {
	return kinesisvideoarchivedmedia.New(kinesisvideoarchivedmedia.Options{Region: o.reg(), BaseEndpoint: aws.String(e.srv.URL),
		Credentials: o.creds(), Retryer: webtest.Retryer()})
}

// wantAPIError checks an SDK error's AWS error code and HTTP status.
func wantAPIError(t *testing.T, err error, code string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s (%d), got %v", code, status, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("no HTTP response in %v", err)
	}
	if re.HTTPStatusCode() != status {
		t.Fatalf("%s: want status %d, got %d", code, status, re.HTTPStatusCode())
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// mustRead reads r's body and puts it back.
func mustRead(t *testing.T, r *http.Request) []byte {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
