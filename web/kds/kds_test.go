package kds_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/sluice-dev/sluice/web/webtest"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
	"github.com/sluice-dev/sluice/web/kds"
	"go.uber.org/goleak"
)

// TestMain fails the package's tests if they leave goroutines behind
// (event streams, subscriptions, cores, connections). nats-server's access
// time ticker is not ours: one process-wide goroutine, reference-counted
// by every file and memory store of every embedded server, which a store
// created while its server shuts down can keep alive (seen once in the
// race pass); the servers themselves are shut down at each test's end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/nats-io/nats-server/v2/server/ats.Register.func1"))
}

// env is a KDS endpoint on loopback over a real core: HTTP/1.1 and h2c.
type env struct {
	core   *streams.Core
	h      *kds.Handler
	srv    *httptest.Server
	reg    *prometheus.Registry
	client *kinesis.Client
}

func newEnv(t testing.TB, scfg streams.Config, kcfg kds.Config) *env {
	t.Helper()
	core := streamstest.Open(t, scfg)
	reg := prometheus.NewRegistry()
	if kcfg.Logger == nil {
		kcfg.Logger = slog.New(slog.DiscardHandler)
	}
	if kcfg.Metrics == nil {
		kcfg.Metrics = reg
	}
	h := kds.New(core, kcfg)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	t.Cleanup(func() {
		h.Close()
		srv.Close()
	})
	return &env{core: core, h: h, srv: srv, reg: reg, client: newClient(srv.URL, webtest.StableBodies(srv.Client()))}
}

func newClient(url string, hc *http.Client) *kinesis.Client {
	return kinesis.New(kinesis.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRETTEST", ""),
		HTTPClient:   hc,
		Retryer:      webtest.Retryer(),
	})
}

// h2cClient speaks HTTP/2 without TLS (prior knowledge) only.
func h2cClient(t testing.TB) *http.Client {
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: p}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// testClock is a Now hook that tests move forward.
type testClock struct{ off atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *testClock) advance(d time.Duration) { c.off.Add(int64(d)) }

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (e *env) create(t testing.TB, name string, shards int32) {
	t.Helper()
	if _, err := e.client.CreateStream(ctxT(t), &kinesis.CreateStreamInput{StreamName: &name, ShardCount: &shards}); err != nil {
		t.Fatalf("CreateStream %s: %v", name, err)
	}
	e.waitActive(t, name)
}

func (e *env) waitActive(t testing.TB, name string) *types.StreamDescriptionSummary {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := e.client.DescribeStreamSummary(ctxT(t), &kinesis.DescribeStreamSummaryInput{StreamName: &name})
		if err == nil && out.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
			return out.StreamDescriptionSummary
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s not ACTIVE: %v", name, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) waitConsumerActive(t testing.TB, arn string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := e.client.DescribeStreamConsumer(ctxT(t), &kinesis.DescribeStreamConsumerInput{ConsumerARN: &arn})
		if err == nil && out.ConsumerDescription.ConsumerStatus == types.ConsumerStatusActive {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer %s not ACTIVE: %v", arn, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// apiCode returns the AWS error name of err ("" if none).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	if got := apiCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

// rawResponse is a decoded raw exchange.
type rawResponse struct {
	Status  int
	Header  http.Header
	Body    []byte
	Type    string // __type
	Message string
}

// raw posts body with the given target and content type.
func (e *env) raw(t testing.TB, target, contentType string, body []byte) rawResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
	if resp.StatusCode != http.StatusOK && !strings.Contains(contentType, "cbor") {
		var eb struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(b, &eb); err != nil {
			t.Fatalf("error body %q is not JSON: %v", b, err)
		}
		r.Type, r.Message = eb.Type, eb.Message
	}
	return r
}

func target(action string) string { return "Kinesis_20131202." + action }

const jsonType = "application/x-amz-json-1.1"

// metric returns the value of the counter or gauge series name{labels...}
// (label name, value pairs), 0 if absent.
func (e *env) metric(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	families, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue next
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}
