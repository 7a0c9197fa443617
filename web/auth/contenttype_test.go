package auth_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"

	"github.com/sluice-dev/sluice/web/auth"
)

// TestKVSContentTypeCannotHideStream is the regression test of the audit's
// critical finding: a KVS body sent with the CBOR content type was read as
// CBOR by the auth layer (naming no stream) and as JSON by the handler, so
// a key limited to a* could describe, list, play and retag any stream.
func TestKVSContentTypeCannotHideStream(t *testing.T) {
	e := newEnv(t, auth.Config{})
	admin := e.video(as(adminKey))
	for _, name := range []string{"a-cam", "secret-cam"} {
		if _, err := admin.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String(name), DataRetentionInHours: aws.Int32(1)}); err != nil {
			t.Fatalf("CreateStream: %v", err)
		}
	}
	waitVideoActive(t, admin, "a-cam", "secret-cam")
	// The operations this rig serves (no playback: the media operations
	// are covered by the binary's doors test).
	paths := map[string]string{
		"/describeStream":      `{"StreamName":%q}`,
		"/listFragments":       `{"StreamName":%q}`,
		"/tagStream":           `{"StreamName":%q,"Tags":{"k":"v"}}`,
		"/updateDataRetention": `{"StreamName":%q,"CurrentVersion":"x","Operation":"INCREASE_DATA_RETENTION","DataRetentionChangeInHours":1}`,
		"/getDataEndpoint":     `{"StreamName":%q,"APIName":"GET_MEDIA"}`,
		"/listTagsForStream":   `{"StreamName":%q}`,
	}
	for path, tmpl := range paths {
		for _, ct := range []string{"application/x-amz-cbor-1.1", "application/json", "text/plain", "", "application/x-amz-json-1.1"} {
			body := strings.Replace(tmpl, "%q", `"secret-cam"`, 1)
			r, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
			sign(t, r, streamKey, "kinesisvideo", time.Now(), hashOf([]byte(body)))
			status, name, _ := e.do(r)
			if status < 400 {
				t.Errorf("%s as %q for another stream: %d, want a refusal", path, ct, status)
			} else if name != "AccessDeniedException" && name != "NotAuthorizedException" {
				t.Errorf("%s as %q for another stream: %d %s, want AccessDenied/NotAuthorized", path, ct, status, name)
			}
		}
	}
}
