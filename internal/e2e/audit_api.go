package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// SignedCall sends a SigV4-signed POST (KDS when target is set, else the
// KVS path) as id:secret and returns the status, error name and body.
// unsigned signs UNSIGNED-PAYLOAD instead of the body's hash.
func SignedCall(t *testing.T, base, id, secret, target, path, contentType string, body []byte, unsigned bool) (int, string, []byte) {
	t.Helper()
	service := "kinesisvideo"
	if target != "" {
		service, path = "kinesis", "/"
	}
	req, err := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if target != "" {
		req.Header.Set("X-Amz-Target", "Kinesis_20131202."+target)
	}
	req.Header.Set("Content-Type", contentType)
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	if unsigned {
		hash = "UNSIGNED-PAYLOAD"
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, req, hash, service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), b
}

// WriteKeys writes an access keys file (YAML) into dir and returns its
// path.
func WriteKeys(t *testing.T, dir, yaml string) string {
	t.Helper()
	keys := filepath.Join(dir, "keys.yaml")
	if err := os.WriteFile(keys, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return keys
}

// RssKiB is a process's resident set size.
func RssKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.Fields(v)[0])
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

func Base64URL(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
