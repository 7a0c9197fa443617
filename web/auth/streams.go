package auth

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// names is what a request body says about streams: the members of either
// API that name one. Unknown members are ignored.
type names struct {
	StreamName    string
	StreamARN     string
	ConsumerARN   string
	ResourceARN   string
	ShardIterator string
}

// cborDecoder reads KDS CBOR bodies; built once, safe for concurrent use.
var cborDecoder = func() cbor.DecMode {
	dm, err := cbor.DecOptions{MaxNestedLevels: 16}.DecMode()
	if err != nil {
		panic(err) // constant options: cannot fail
	}
	return dm
}()

// decodeNames reads the stream-naming members of a JSON or CBOR body. A
// body that does not decode names nothing: the handler refuses it.
func decodeNames(contentType string, body []byte) names {
	var n names
	if len(bytes.TrimSpace(body)) == 0 {
		return n
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/x-amz-cbor-1.1" {
		_ = cborDecoder.Unmarshal(body, &n)
		return n
	}
	_ = json.Unmarshal(body, &n)
	return n
}

// streamsOf lists the streams a request acts on, from its body members and
// (KVS) the x-amzn-stream-name / x-amzn-stream-arn headers. known is false
// when it names a stream only through something this package cannot read
// (a GetRecords ShardIterator without Config.IteratorStream).
func (v *Verifier) streamsOf(r *http.Request, n names) (list []string, known bool) {
	add := func(s string) {
		if s != "" && !contains(list, s) {
			list = append(list, s)
		}
	}
	add(n.StreamName)
	for _, arn := range []string{n.StreamARN, n.ConsumerARN, n.ResourceARN,
		r.Header.Get("X-Amzn-Stream-Arn")} {
		if arn != "" {
			add(streamOfARN(arn))
		}
	}
	add(r.Header.Get("X-Amzn-Stream-Name"))
	known = true
	if n.ShardIterator != "" {
		if v.cfg.IteratorStream == nil {
			known = false
		} else if s, ok := v.cfg.IteratorStream(n.ShardIterator); ok {
			add(s)
		} else {
			known = false
		}
	}
	return list, known
}

// streamOfARN is the stream name of a Kinesis or Kinesis Video stream or
// consumer ARN:
//
//	arn:aws:kinesis:us-east-1:123456789012:stream/NAME
//	arn:aws:kinesis:us-east-1:123456789012:stream/NAME/consumer/C:1
//	arn:aws:kinesisvideo:us-east-1:123456789012:stream/NAME/1700000000000
//
// Anything else is returned whole, so that only a policy for every stream
// ("*") matches it.
func streamOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return arn
	}
	res, ok := strings.CutPrefix(parts[5], "stream/")
	if !ok {
		return arn
	}
	name, _, _ := strings.Cut(res, "/")
	if name == "" {
		return arn
	}
	return name
}
