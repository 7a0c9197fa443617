package auth_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/fxamacker/cbor/v2"

	"github.com/sluice-dev/sluice/web/auth"
)

func hashOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func credsOf(k auth.Key) aws.Credentials {
	return aws.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret}
}

// kdsRequest is an unsigned KDS call.
func (e *env) kdsRequest(action string, body string) *http.Request {
	r, err := http.NewRequest(http.MethodPost, e.srv.URL+"/", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "Kinesis_20131202."+action)
	return r
}

// sign signs r as the SDK does, with the payload hash given.
func sign(t *testing.T, r *http.Request, k auth.Key, service string, at time.Time, payloadHash string) {
	t.Helper()
	if err := v4.NewSigner().SignHTTP(bg, credsOf(k), r, payloadHash, service, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
}

// do sends r and returns the status, the error name (x-amzn-ErrorType)
// and the decoded body.
func (e *env) do(r *http.Request) (int, string, map[string]any) {
	e.t.Helper()
	resp, err := e.srv.Client().Do(r)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if strings.Contains(resp.Header.Get("Content-Type"), "cbor") {
		_ = cbor.Unmarshal(b, &m)
	} else {
		_ = json.Unmarshal(b, &m)
	}
	return resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), m
}

func (e *env) want(r *http.Request, status int, name, msgPart string) map[string]any {
	e.t.Helper()
	got, gotName, body := e.do(r)
	if got != status || gotName != name {
		e.t.Fatalf("want %d %s, got %d %q %v", status, name, got, gotName, body)
	}
	if name != "" && body["__type"] != name {
		e.t.Fatalf("__type: want %s, got %v", name, body)
	}
	if msg, _ := body["message"].(string); !strings.Contains(msg, msgPart) {
		e.t.Fatalf("message: want %q in %q", msgPart, msg)
	}
	return body
}

func TestPresigned(t *testing.T) {
	e := newEnv(t, auth.Config{})
	presign := func(at time.Time, expires int, k auth.Key) *http.Request {
		r := e.kdsRequest("ListStreams", "{}")
		q := r.URL.Query()
		q.Set("X-Amz-Expires", strconv.Itoa(expires))
		r.URL.RawQuery = q.Encode()
		// Hoisting off: X-Amz-Target must stay a header for the handler.
		signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableHeaderHoisting = true })
		u, hdr, err := signer.PresignHTTP(bg, credsOf(k), r, hashOf([]byte("{}")), "kinesis", "us-east-1", at)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := http.NewRequest(http.MethodPost, u, strings.NewReader("{}"))
		for name, v := range hdr {
			if !strings.EqualFold(name, "host") && !strings.EqualFold(name, "content-length") {
				out.Header[name] = v
			}
		}
		return out
	}
	e.want(presign(time.Now(), 300, adminKey), 200, "", "")
	e.want(presign(time.Now().Add(-2*time.Hour), 60, adminKey), 400, "InvalidSignatureException", "Signature expired")
	e.want(presign(time.Now(), 300, auth.Key{ID: adminKey.ID, Secret: "wrong-secret-00"}), 400, "InvalidSignatureException", "does not match")

	// A presigned KVS call (UNSIGNED-PAYLOAD, as S3-style presigners do).
	r, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/listStreams", nil)
	q := r.URL.Query()
	q.Set("X-Amz-Expires", "60")
	r.URL.RawQuery = q.Encode()
	u, _, err := v4.NewSigner().PresignHTTP(bg, credsOf(adminKey), r, "UNSIGNED-PAYLOAD", "kinesisvideo", "us-east-1", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	expired, _ := http.NewRequest(http.MethodPost, u, nil)
	e.want(expired, 403, "InvalidSignatureException", "Signature expired")
	// Fresh, it is still refused: a JSON API's body must be signed
	// (audit finding 10).
	u, _, _ = v4.NewSigner().PresignHTTP(bg, credsOf(adminKey), r, "UNSIGNED-PAYLOAD", "kinesisvideo", "us-east-1", time.Now())
	fresh, _ := http.NewRequest(http.MethodPost, u, nil)
	// (its signature is checked against the body's hash only).
	e.want(fresh, 403, "InvalidSignatureException", "does not match")
	// Signed with the (empty) body's hash, it is served.
	u, _, _ = v4.NewSigner().PresignHTTP(bg, credsOf(adminKey), r, hashOf(nil), "kinesisvideo", "us-east-1", time.Now())
	fresh, _ = http.NewRequest(http.MethodPost, u, nil)
	e.want(fresh, 200, "", "")

	// A presigned KDS URL that does not sign X-Amz-Target could be
	// replayed as any action: refused.
	plain, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/", strings.NewReader("{}"))
	q = plain.URL.Query()
	q.Set("X-Amz-Expires", "60")
	plain.URL.RawQuery = q.Encode()
	u, _, err = v4.NewSigner().PresignHTTP(bg, credsOf(adminKey), plain, hashOf([]byte("{}")), "kinesis", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	replay, _ := http.NewRequest(http.MethodPost, u, strings.NewReader("{}"))
	replay.Header.Set("Content-Type", "application/x-amz-json-1.1")
	replay.Header.Set("X-Amz-Target", "Kinesis_20131202.DeleteStream")
	e.want(replay, 400, "IncompleteSignatureException", "X-Amz-Target must be among the signed headers")
}

func TestTamperedBody(t *testing.T) {
	e := newEnv(t, auth.Config{})
	orig := `{"StreamName":"a1"}`
	r := e.kdsRequest("DescribeStream", `{"StreamName":"zz"}`)
	sign(t, r, adminKey, "kinesis", time.Now(), hashOf([]byte(orig)))
	e.want(r, 400, "InvalidSignatureException", "The request signature we calculated does not match")

	// The body is checked against x-amz-content-sha256 when it is sent.
	r = e.kdsRequest("DescribeStream", `{"StreamName":"zz"}`)
	r.Header.Set("X-Amz-Content-Sha256", hashOf([]byte(orig)))
	sign(t, r, adminKey, "kinesis", time.Now(), hashOf([]byte(orig)))
	e.want(r, 400, "InvalidSignatureException", "x-amz-content-sha256")

	// UNSIGNED-PAYLOAD does not cover the body: a captured PutRecord
	// could be replayed with any body. Refused on the JSON APIs (audit
	// finding 10).
	r = e.kdsRequest("PutRecord", `{"StreamName":"a1","PartitionKey":"k","Data":"aGk="}`)
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	sign(t, r, adminKey, "kinesis", time.Now(), "UNSIGNED-PAYLOAD")
	e.want(r, 400, "IncompleteSignatureException", "UNSIGNED-PAYLOAD is not accepted for kinesis:PutRecord")

	// A signed header changed after signing.
	r = e.kdsRequest("ListStreams", `{}`)
	sign(t, r, adminKey, "kinesis", time.Now(), hashOf([]byte(`{}`)))
	r.Header.Set("X-Amz-Target", "Kinesis_20131202.DescribeLimits")
	e.want(r, 400, "InvalidSignatureException", "does not match")
}

func TestClockSkew(t *testing.T) {
	e := newEnv(t, auth.Config{})
	for _, c := range []struct {
		off  time.Duration
		code int
		name string
		msg  string
	}{
		{-14 * time.Minute, 200, "", ""},
		{14 * time.Minute, 200, "", ""},
		{-16 * time.Minute, 400, "InvalidSignatureException", "Signature expired"},
		{16 * time.Minute, 400, "InvalidSignatureException", "Signature not yet current"},
	} {
		r := e.kdsRequest("ListStreams", "{}")
		sign(t, r, adminKey, "kinesis", time.Now().Add(c.off), hashOf([]byte("{}")))
		e.want(r, c.code, c.name, c.msg)
	}
	// The KVS protocol answers the same errors with 403.
	r, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/listStreams", strings.NewReader("{}"))
	sign(t, r, adminKey, "kinesisvideo", time.Now().Add(-time.Hour), hashOf([]byte("{}")))
	e.want(r, 403, "InvalidSignatureException", "Signature expired")
	// Signed for the wrong service.
	r = e.kdsRequest("ListStreams", "{}")
	sign(t, r, adminKey, "kinesisvideo", time.Now(), hashOf([]byte("{}")))
	e.want(r, 400, "InvalidSignatureException", "correct service: 'kinesis'")
}

func TestMalformedAuthorization(t *testing.T) {
	e := newEnv(t, auth.Config{})
	for _, h := range []string{
		"AWS4-HMAC-SHA256 Credential=AKIDADMIN/20240101/us-east-1/kinesis/aws4_request",
		"AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" + strings.Repeat("0", 64),
		"AWS AKIDADMIN:c2lnbmF0dXJl",
		"Bearer abc",
	} {
		r := e.kdsRequest("ListStreams", "{}")
		r.Header.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
		r.Header.Set("Authorization", h)
		e.want(r, 400, "IncompleteSignatureException", "")
	}
	r := e.kdsRequest("ListStreams", "{}")
	e.want(r, 400, "MissingAuthenticationTokenException", "Missing Authentication Token")
}

func TestCBORErrors(t *testing.T) {
	e := newEnv(t, auth.Config{})
	body, _ := cbor.Marshal(map[string]any{"StreamName": "b"})
	r := e.kdsRequest("DescribeStream", string(body))
	r.Header.Set("Content-Type", "application/x-amz-cbor-1.1")
	e.want(r, 400, "MissingAuthenticationTokenException", "")

	// The stream of a CBOR body is checked too.
	r = e.kdsRequest("DescribeStream", string(body))
	r.Header.Set("Content-Type", "application/x-amz-cbor-1.1")
	sign(t, r, streamKey, "kinesis", time.Now(), hashOf(body))
	e.want(r, 400, "AccessDeniedException", "stream/b")
}

func TestFailureLimit(t *testing.T) {
	e := newEnv(t, auth.Config{FailureLimit: auth.FailureLimit{Max: 3, Window: time.Minute, Block: time.Minute}})
	bad := auth.Key{ID: adminKey.ID, Secret: "guess-guess-guess"}
	for i := range 3 {
		r := e.kdsRequest("ListStreams", "{}")
		sign(t, r, bad, "kinesis", time.Now(), hashOf([]byte("{}")))
		if code, name, _ := e.do(r); name != "InvalidSignatureException" {
			t.Fatalf("attempt %d: %d %s", i, code, name)
		}
	}
	r := e.kdsRequest("ListStreams", "{}")
	sign(t, r, bad, "kinesis", time.Now(), hashOf([]byte("{}")))
	e.want(r, 400, "ThrottlingException", "Too many failed")
	r, _ = http.NewRequest(http.MethodPost, e.srv.URL+"/listStreams", nil)
	e.want(r, 429, "ThrottlingException", "")
	// A valid signature from the same address is still served.
	r = e.kdsRequest("ListStreams", "{}")
	sign(t, r, adminKey, "kinesis", time.Now(), hashOf([]byte("{}")))
	e.want(r, 200, "", "")
}

func TestOpenMode(t *testing.T) {
	e := newEnv(t, auth.Config{Keys: []auth.Key{}})
	if !e.v.Open() {
		t.Fatal("not open")
	}
	e.want(e.kdsRequest("ListStreams", "{}"), 200, "", "")
}

// TestRestoredBody: the handler sees the body the middleware read.
func TestRestoredBody(t *testing.T) {
	e := newEnv(t, auth.Config{})
	c := e.kinesis(as(adminKey))
	createDataStream(t, c, "a1")
	data := bytes.Repeat([]byte("x"), 100_000)
	r := e.kdsRequest("PutRecord", `{"StreamName":"a1","PartitionKey":"p","Data":"`+b64(data)+`"}`)
	sign(t, r, adminKey, "kinesis", time.Now(), hashOf(mustRead(t, r)))
	e.want(r, 200, "", "")
}

// TestSignatureErrorTexts: the texts AWS's front end sends for requests
// without a signature, with an incomplete one, and with both forms.
func TestSignatureErrorTexts(t *testing.T) {
	e := newEnv(t, auth.Config{})
	exact := func(r *http.Request, name, msg string) {
		t.Helper()
		status, gotName, body := e.do(r)
		if got, _ := body["message"].(string); status != 400 || gotName != name || got != msg {
			t.Fatalf("%d %s %q\n want 400 %s %q", status, gotName, got, name, msg)
		}
	}
	exact(e.kdsRequest("ListStreams", "{}"), "MissingAuthenticationTokenException", "Missing Authentication Token")

	r := e.kdsRequest("ListStreams", "{}")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Signature=b, Credential=a")
	r.Header.Set("X-Amz-Date", "20260102T030405Z")
	exact(r, "IncompleteSignatureException", "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Signature=b, Credential=a")

	r = e.kdsRequest("ListStreams", "{}")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=a")
	exact(r, "IncompleteSignatureException", "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "+
		"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=a")

	r = e.kdsRequest("ListStreams", "{}")
	r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a"
	exact(r, "IncompleteSignatureException", "AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. "+
		"AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.")

	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=a")
	exact(r, "InvalidSignatureException", "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.")
}
