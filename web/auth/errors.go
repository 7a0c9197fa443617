package auth

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"

	"github.com/sluice-dev/sluice/web/awswire"

	"github.com/fxamacker/cbor/v2"
)

// AWS error names the middleware answers with.
const (
	ErrMissingToken   = "MissingAuthenticationTokenException"
	ErrIncomplete     = "IncompleteSignatureException"
	ErrInvalidSig     = "InvalidSignatureException"
	ErrUnrecognized   = "UnrecognizedClientException"
	ErrAccessDenied   = "AccessDeniedException"
	ErrNotAuthorized  = "NotAuthorizedException" // KVS data plane's access denied
	ErrThrottling     = "ThrottlingException"
	errSerialization  = "SerializationException"   // KDS: unreadable body
	errInvalidArgment = "InvalidArgumentException" // KVS: unreadable body
)

// errorTable is the one mapping from error names to the HTTP status each
// protocol answers them with.
//
// KDS (JSON 1.1, a Coral service): every client error is 400, the auth
// family included (Kinesis answers "InvalidSignatureException: Signature
// expired ... status code: 400"; Java SDK v2 reports AccessDeniedException
// from Kinesis with "Status Code: 400").
//
// KVS (REST-JSON behind the AWS front end): signature and token failures
// are 403 (KVS answers UnrecognizedClientException "Status Code: 403",
// InvalidSignatureException 403 on PutMedia, "Signature expired" 403), and
// the models give AccessDeniedException (kinesisvideo) and
// NotAuthorizedException (archived media, media) status 401.
//
// Throttling of failed attempts: 400 on KDS (like every Coral client
// error, ThrottlingException is retried by the SDKs by name), 429 on KVS.
var errorTable = map[string]struct{ kds, kvs int }{
	ErrMissingToken:   {http.StatusBadRequest, http.StatusForbidden},
	ErrIncomplete:     {http.StatusBadRequest, http.StatusForbidden},
	ErrInvalidSig:     {http.StatusBadRequest, http.StatusForbidden},
	ErrUnrecognized:   {http.StatusBadRequest, http.StatusForbidden},
	ErrAccessDenied:   {http.StatusBadRequest, http.StatusUnauthorized},
	ErrNotAuthorized:  {http.StatusBadRequest, http.StatusUnauthorized},
	ErrThrottling:     {http.StatusBadRequest, http.StatusTooManyRequests},
	errSerialization:  {http.StatusBadRequest, http.StatusBadRequest},
	errInvalidArgment: {http.StatusBadRequest, http.StatusBadRequest},
}

// Status is the HTTP status of an error name on the KDS (kvs false) or KVS
// protocol; 0 for a name this package does not send.
func Status(name string, kvs bool) int {
	row, ok := errorTable[name]
	switch {
	case !ok:
		return 0
	case kvs:
		return row.kvs
	}
	return row.kds
}

// failure is a refused request: an AWS error name and its message. The
// message never holds a secret.
type failure struct {
	name string
	msg  string
	// counts: a failure of the credentials (counted by the limiter), not
	// a permission or body problem.
	counts bool
	// retryAfter, in seconds, is sent as Retry-After when positive.
	retryAfter int
}

func (f *failure) Error() string { return f.name + ": " + f.msg }

func fail(name, format string, args ...any) *failure {
	return &failure{name: name, msg: fmt.Sprintf(format, args...), counts: true}
}

// Messages AWS sends, where the text is fixed.
const (
	msgMissingToken = "Missing Authentication Token"
	msgUnrecognized = "The security token included in the request is invalid."
	msgMismatch     = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgThrottled    = "Too many failed authentication attempts from this address; try again later."
)

// errorBody is the body of an error response in either encoding.
type errorBody = awswire.Body

// writeKDS answers f in the request's encoding: CBOR when the request is
// application/x-amz-cbor-1.1, else JSON in the request's JSON media type.
func writeKDS(w http.ResponseWriter, r *http.Request, f *failure) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var b []byte
	switch mt {
	case "application/x-amz-cbor-1.1":
		b, _ = cbor.Marshal(errorBody{Type: f.name, Message: f.msg}) // plain strings: cannot fail
	case "application/x-amz-json-1.0", "application/json":
		b, _ = json.Marshal(errorBody{Type: f.name, Message: f.msg})
	default:
		mt = "application/x-amz-json-1.1"
		b, _ = json.Marshal(errorBody{Type: f.name, Message: f.msg})
	}
	write(w, mt, Status(f.name, false), f, b)
}

// writeKVS answers f as REST-JSON.
func writeKVS(w http.ResponseWriter, f *failure) {
	b, _ := json.Marshal(errorBody{Type: f.name, Message: f.msg})
	write(w, "application/json", Status(f.name, true), f, b)
}

func write(w http.ResponseWriter, mediaType string, status int, f *failure, b []byte) {
	h := w.Header()
	h.Set("Content-Type", mediaType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("x-amzn-ErrorType", f.name)
	h.Set("x-amzn-RequestId", awswire.RequestID())
	if f.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(f.retryAfter))
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
