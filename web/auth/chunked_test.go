package auth_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sluice-dev/sluice/web/auth"
)

// awsChunked encodes chunks as aws-chunked, signing each chained from seed
// with the SDK's stream signer (the same string to sign).
func awsChunked(t *testing.T, k auth.Key, seed string, at time.Time, chunks [][]byte) []byte {
	t.Helper()
	prev, _ := hex.DecodeString(seed)
	s := v4.NewStreamSigner(credsOf(k), "kinesisvideo", "us-east-1", prev)
	var b bytes.Buffer
	for _, c := range append(chunks, nil) {
		sig, err := s.GetSignature(bg, nil, c, at)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%x;chunk-signature=%x\r\n", len(c), sig)
		b.Write(c)
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

func TestStreamingPayload(t *testing.T) {
	v := auth.New(auth.Config{Keys: []auth.Key{adminKey, streamKey}, Logger: quietLogger()})
	var got []byte
	var readErr error
	srv := httptest.NewServer(v.KVS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, readErr = io.ReadAll(r.Body)
		if auth.KeyID(r.Context()) != adminKey.ID {
			t.Errorf("KeyID = %q", auth.KeyID(r.Context()))
		}
	})))
	defer srv.Close()

	chunks := [][]byte{bytes.Repeat([]byte("a"), 65536), []byte("tail")}
	decoded := 65536 + 4
	send := func(tamper bool) int {
		at := time.Now()
		// The chunked body's length must be known to sign Content-Length:
		// encode once with a dummy seed to learn it (lengths do not depend
		// on signatures).
		size := len(awsChunked(t, adminKey, strings.Repeat("0", 64), at, chunks))
		r, _ := http.NewRequest(http.MethodPost, srv.URL+"/putMedia", nil)
		r.ContentLength = int64(size)
		r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
		r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(decoded))
		r.Header.Set("Content-Encoding", "aws-chunked")
		r.Header.Set("X-Amzn-Stream-Name", "a-cam")
		sign(t, r, adminKey, "kinesisvideo", at, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
		_, seed, _ := strings.Cut(r.Header.Get("Authorization"), "Signature=")
		body := awsChunked(t, adminKey, seed, at, chunks)
		if tamper {
			body[100] ^= 1
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		resp, err := srv.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := send(false); code != 200 || readErr != nil || !bytes.Equal(got, bytes.Join(chunks, nil)) {
		t.Fatalf("status %d, read err %v, got %d bytes", code, readErr, len(got))
	}
	send(true)
	if readErr == nil || !strings.Contains(readErr.Error(), "chunk signature") {
		t.Fatalf("tampered chunk: read err %v, got %d bytes", readErr, len(got))
	}
	if len(got) != 0 {
		t.Fatalf("tampered chunk: %d unverified bytes delivered", len(got))
	}
}
