package awswire

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// Error is a failure as it goes on the wire: the AWS error name (sent as
// x-amzn-ErrorType and as the body's "__type"), the HTTP status and the
// message. Its text never holds a secret.
type Error struct {
	Name   string // e.g. ResourceNotFoundException
	Status int
	Msg    string
	// RetryAfter, in seconds, is sent as Retry-After when positive.
	RetryAfter int
}

func (e *Error) Error() string { return e.Name + ": " + e.Msg }

// Body is the body of an error response, in JSON or CBOR. The Go SDK reads
// the name from x-amzn-ErrorType (or __type), botocore from
// x-amzn-ErrorType or __type; both read "message".
type Body struct {
	Type    string `json:"__type" cbor:"__type"`
	Message string `json:"message" cbor:"message"`
}

// Body returns e's response body.
func (e *Error) Body() Body { return Body{Type: e.Name, Message: e.Msg} }

// JSONFrontEndBody returns e's response body as AWS's JSON 1.x front end
// (Kinesis Data Streams) writes it: the type alone when e has no message
// (an unknown operation, an empty body), the message under "Message" for
// the front end's own SerializationException, else Body.
func (e *Error) JSONFrontEndBody() any {
	switch {
	case e.Msg == "":
		return typeOnlyBody{Type: e.Name}
	case e.Name == "SerializationException":
		return serializationBody{Type: e.Name, Message: e.Msg}
	}
	return e.Body()
}

type typeOnlyBody struct {
	Type string `json:"__type" cbor:"__type"`
}

type serializationBody struct {
	Type    string `json:"__type" cbor:"__type"`
	Message string `json:"Message" cbor:"Message"`
}

// Row is one line of an API's error table: failures of Kind (a sentinel;
// nil for errors the API raises itself by name) are sent as Name with
// Status.
type Row struct {
	Kind   error
	Name   string
	Status int
}

// Table is an API's one mapping from failures to AWS error names and HTTP
// statuses. The first row that matches wins. It is read-only.
type Table []Row

// New builds an Error whose status comes from the table's first row of
// that name (500 for a name the table lacks: a bug the table tests catch).
func (t Table) New(name, format string, args ...any) *Error {
	return &Error{Name: name, Status: t.Status(name), Msg: fmt.Sprintf(format, args...)}
}

// Status is the HTTP status of an error name, 500 for one the table lacks.
func (t Table) Status(name string) int {
	for _, row := range t {
		if row.Name == name {
			return row.Status
		}
	}
	return 500
}

// RequestID returns a random version 4 UUID, the form of AWS request IDs
// (x-amzn-RequestId).
func RequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = 0x40 | b[6]&0x0f // version 4
	b[8] = 0x80 | b[8]&0x3f // RFC 9562 variant
	x := hex.EncodeToString(b[:])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}
