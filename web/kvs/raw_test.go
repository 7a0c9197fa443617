package kvs_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/streamstest"
	"github.com/sluice-dev/sluice/web/kvs"
)

// rawCases are requests that no SDK sends: malformed bodies, wrong JSON
// types, missing required members. They are also the seeds of FuzzRequest.
var rawCases = []struct {
	name, path, body string
	status           int
	typ, msg         string // typ "" for success
}{
	{"not JSON", "/createStream", `{"StreamName":`, 400, "InvalidArgumentException", "The request body is not valid JSON"},
	{"trailing garbage", "/listStreams", `{} x`, 400, "InvalidArgumentException", "not valid JSON"},
	{"string expected", "/createStream", `{"StreamName":5}`, 400, "InvalidArgumentException", "Cannot read member StreamName: expected a string, got a JSON number."},
	{"integer expected", "/createStream", `{"StreamName":"a","DataRetentionInHours":1.5}`, 400, "InvalidArgumentException", "member DataRetentionInHours: expected an integer"},
	{"integer overflow", "/listStreams", `{"MaxResults":1e30}`, 400, "InvalidArgumentException", "member MaxResults: expected an integer"},
	{"object expected", "/describeStream", `[]`, 400, "InvalidArgumentException", "Cannot read the request body: expected an object, got a JSON array."},
	{"nested type", "/listStreams", `{"StreamNameCondition":{"ComparisonValue":["a"]}}`, 400, "InvalidArgumentException", "member StreamNameCondition.ComparisonValue: expected a string"},
	{"map expected", "/tagStream", `{"StreamName":"a","Tags":["k"]}`, 400, "InvalidArgumentException", "member Tags: expected an object"},
	{"timestamp as string", "/listFragments", `{"StreamName":"a","FragmentSelector":{"FragmentSelectorType":"SERVER_TIMESTAMP","TimestampRange":{"StartTimestamp":"2024-01-01T00:00:00Z","EndTimestamp":1}}}`, 400, "InvalidArgumentException", "a timestamp must be a JSON number of epoch seconds"},
	{"timestamp out of range", "/listFragments", `{"StreamName":"a","FragmentSelector":{"FragmentSelectorType":"SERVER_TIMESTAMP","TimestampRange":{"StartTimestamp":1e300,"EndTimestamp":1}}}`, 400, "InvalidArgumentException", "is not a number of epoch seconds"},
	{"missing required", "/createStream", `{}`, 400, "InvalidArgumentException", "1 validation error detected: Value null at 'streamName' failed to satisfy constraint: Member must not be null"},
	{"empty body", "/createStream", ``, 400, "InvalidArgumentException", "Value null at 'streamName'"},
	{"null member", "/updateStream", `{"StreamName":"a","CurrentVersion":null}`, 400, "InvalidArgumentException", "Value null at 'currentVersion'"},
	{"empty name", "/createStream", `{"StreamName":""}`, 400, "InvalidArgumentException", "2 validation errors detected: Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1; Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"},
	{"delete needs ARN", "/deleteStream", `{"StreamName":"a"}`, 400, "InvalidArgumentException", "Value null at 'streamARN'"},
	{"selector without range", "/listFragments", `{"StreamName":"a","FragmentSelector":{"FragmentSelectorType":"SERVER_TIMESTAMP"}}`, 400, "InvalidArgumentException", "Value null at 'fragmentSelector.timestampRange'"},
	{"tag without value", "/TagResource", `{"ResourceARN":"arn:aws:kinesisvideo:us-east-1:000000000000:stream/a/1","Tags":[{"Key":"k"}]}`, 400, "InvalidArgumentException", "Value null at 'tags.1.member.value'"},
	{"untag bad key", "/UntagResource", `{"ResourceARN":"arn:aws:kinesisvideo:us-east-1:000000000000:stream/a/1","TagKeyList":["ok","b<d"]}`, 400, "InvalidArgumentException", "Value 'b<d' at 'tagKeyList.2.member'"},
	{"unicode name", "/createStream", `{"StreamName":"kamera-\u00e9"}`, 400, "InvalidArgumentException", "at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern"},
	{"unknown members ignored", "/listStreams", `{"Bogus":1,"MaxResults":5}`, 200, "", ""},
	{"unknown path", "/describeStreams", `{}`, 404, "UnknownOperationException", "Unknown operation POST /describeStreams."},
	{"wrong casing", "/tagresource", `{}`, 404, "UnknownOperationException", ""},
}

func TestRawRequests(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, c := range rawCases {
		t.Run(c.name, func(t *testing.T) {
			status, hdr, body := e.post(c.path, "application/json", []byte(c.body))
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, body)
			}
			if hdr.Get("x-amzn-RequestId") == "" || hdr.Get("Content-Type") != "application/json" {
				t.Fatalf("headers %v", hdr)
			}
			if c.typ == "" {
				return
			}
			typ, msg := errorOf(t, body)
			if typ != c.typ || hdr.Get("x-amzn-ErrorType") != c.typ || !strings.Contains(msg, c.msg) {
				t.Fatalf("got %s (header %s): %q; want %s: %q", typ, hdr.Get("x-amzn-ErrorType"), msg, c.typ, c.msg)
			}
		})
	}
}

func TestOversizedBody(t *testing.T) {
	e := newEnv(t, envOptions{})
	body := `{"StreamName":"a","DeviceName":"` + strings.Repeat("d", kvs.DefaultMaxBodyBytes) + `"}`
	status, _, b := e.post("/createStream", "application/json", []byte(body))
	typ, msg := errorOf(t, b)
	if status != 400 || typ != "InvalidArgumentException" || !strings.Contains(msg, "exceeds the limit of 1048576 bytes") {
		t.Fatalf("%d %s %s", status, typ, msg)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t, envOptions{})
	resp, err := e.srv.Client().Get(e.srv.URL + "/listStreams")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" || resp.Header.Get("x-amzn-ErrorType") != "MethodNotAllowedException" {
		t.Fatalf("GET /listStreams: %d %v", resp.StatusCode, resp.Header)
	}
}

// FuzzRequest sends arbitrary bodies to every operation: the answer is
// never a server error, and errors are well-formed.
func FuzzRequest(f *testing.F) {
	core := streamstest.Open(f, fragments.CoreConfig(streams.Config{}))
	lib := fragments.NewLibrary(core, fragments.LibraryConfig{})
	bucket, err := fs.Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	defer bucket.Close()
	h := kvs.New(lib, bucket, kvs.Config{})
	paths := h.Paths()
	for i, c := range rawCases {
		f.Add(i, c.body)
	}
	f.Fuzz(func(t *testing.T, op int, body string) {
		path := paths[uint(op)%uint(len(paths))]
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusOK {
			if typ, _ := errorOf(t, rec.Body.Bytes()); typ == "" || typ != rec.Header().Get("x-amzn-ErrorType") {
				t.Fatalf("POST %s %q: error %s without a type", path, body, rec.Body)
			}
		}
	})
}
