package auth_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/web/auth"
)

// countingBody counts what is read of a body.
type countingBody struct {
	r    io.Reader
	read atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func (c *countingBody) Close() error { return nil }

// TestBodyReadAfterSignatureHead (audit finding 3): a request without a
// valid signature head (none, an unknown key, an expired date) is refused
// before a byte of its body is read; an oversized body is refused by its
// Content-Length; a non-record operation takes at most 1 MiB.
func TestBodyReadAfterSignatureHead(t *testing.T) {
	v := auth.New(auth.Config{Keys: []auth.Key{adminKey}, Logger: quietLogger()})
	served := false
	h := v.KDS(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { served = true }))
	big := strings.Repeat("x", 15<<20)
	for _, c := range []struct {
		name string
		sign func(r *http.Request)
		want string
	}{
		{"no signature", func(*http.Request) {}, "MissingAuthenticationTokenException"},
		{"unknown key", func(r *http.Request) {
			sign(t, r, auth.Key{ID: "AKIDNOBODY", Secret: "whatever-1"}, "kinesis", time.Now(), hashOf([]byte(big)))
		}, "UnrecognizedClientException"},
		{"expired", func(r *http.Request) {
			sign(t, r, adminKey, "kinesis", time.Now().Add(-time.Hour), hashOf([]byte(big)))
		}, "InvalidSignatureException"},
	} {
		body := &countingBody{r: strings.NewReader(big)}
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Body, r.ContentLength = body, int64(len(big))
		r.Header.Set("Content-Type", "application/x-amz-json-1.1")
		r.Header.Set("X-Amz-Target", "Kinesis_20131202.PutRecords")
		c.sign(r)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got := w.Header().Get("X-Amzn-Errortype"); got != c.want || body.read.Load() != 0 {
			t.Errorf("%s: %d %s after reading %d bytes; want %s before reading any", c.name, w.Code, got, body.read.Load(), c.want)
		}
	}
	// Signed by a known key, a DescribeStream of 2 MiB is refused by its
	// Content-Length, unread.
	desc := `{"StreamName":"` + strings.Repeat("a", 2<<20) + `"}`
	body := &countingBody{r: strings.NewReader(desc)}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Body, r.ContentLength = body, int64(len(desc))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "Kinesis_20131202.DescribeStream")
	sign(t, r, adminKey, "kinesis", time.Now(), hashOf([]byte(desc)))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if got := w.Header().Get("X-Amzn-Errortype"); got != "SerializationException" || body.read.Load() != 0 || served {
		t.Errorf("2 MiB DescribeStream: %d %s, %d bytes read, served %v", w.Code, got, body.read.Load(), served)
	}
}

// TestBodyBudget: bodies held at once while their signatures are checked
// are bounded; past the budget a request waits BodyWait, then is refused
// with ThrottlingException, and the budget's use is reported.
func TestBodyBudget(t *testing.T) {
	v := auth.New(auth.Config{Keys: []auth.Key{adminKey}, Logger: quietLogger(), BodyBudget: auth.DefaultMaxBodyBytes, BodyWait: 50 * time.Millisecond})
	h := v.KDS(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	const size = 10 << 20
	payload := bytes.Repeat([]byte("x"), size)
	request := func(body io.ReadCloser) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Body, r.ContentLength = body, size
		r.Header.Set("Content-Type", "application/x-amz-json-1.1")
		r.Header.Set("X-Amz-Target", "Kinesis_20131202.PutRecords")
		sign(t, r, adminKey, "kinesis", time.Now(), hashOf(payload))
		return r
	}
	// The first body arrives slowly: it holds 10 MiB of the 16.
	pr, pw := io.Pipe()
	first := make(chan int, 1)
	go func() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, request(pr))
		first <- w.Code
	}()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if held, _ := v.BodyStats(); held == size {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first body never reserved its bytes")
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, request(io.NopCloser(bytes.NewReader(payload))))
	if got := w.Header().Get("X-Amzn-Errortype"); got != "ThrottlingException" {
		t.Fatalf("a second 10 MiB body within a 16 MiB budget: %d %q", w.Code, got)
	}
	if _, refused := v.BodyStats(); refused != 1 {
		t.Fatalf("refused %d, want 1", refused)
	}
	go func() { pw.Write(payload); pw.Close() }()
	if code := <-first; code != http.StatusOK {
		t.Fatalf("first request: %d", code)
	}
	if held, _ := v.BodyStats(); held != 0 {
		t.Fatalf("%d bytes still held after the request", held)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, request(io.NopCloser(bytes.NewReader(payload))))
	if w.Code != http.StatusOK {
		t.Fatalf("after the first one: %d %s", w.Code, w.Header().Get("X-Amzn-Errortype"))
	}
}
