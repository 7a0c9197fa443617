package kds

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"reflect"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// Media types of the protocol.
const (
	mediaJSON11      = "application/x-amz-json-1.1"
	mediaJSON10      = "application/x-amz-json-1.0"
	mediaJSON        = "application/json"
	mediaCBOR        = "application/x-amz-cbor-1.1"
	mediaEventStream = "application/vnd.amazon.eventstream"
)

// codec is the body encoding of one exchange: JSON or CBOR. Responses use
// the request's media type.
type codec struct {
	cbor      bool
	mediaType string
	modes     *cborModes
}

// cborModes are the CBOR settings, built once per Handler (safe for
// concurrent use).
type cborModes struct {
	enc cbor.EncMode
	dec cbor.DecMode
}

func newCBORModes() *cborModes {
	enc, err := cbor.EncOptions{OmitEmpty: cbor.OmitEmptyGoValue}.EncMode()
	if err != nil {
		panic(err) // constant options: cannot fail
	}
	dec, err := cbor.DecOptions{MaxNestedLevels: 16}.DecMode()
	if err != nil {
		panic(err)
	}
	return &cborModes{enc: enc, dec: dec}
}

// pickCodec chooses the codec for a Content-Type header; ok is false for a
// media type the protocol does not know. An absent header means JSON 1.1.
func pickCodec(contentType string, modes *cborModes) (codec, bool) {
	if strings.TrimSpace(contentType) == "" {
		return codec{mediaType: mediaJSON11}, true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return codec{mediaType: mediaJSON11}, false
	}
	switch mt {
	case mediaJSON11, mediaJSON10, mediaJSON:
		return codec{mediaType: mt}, true
	case mediaCBOR:
		return codec{cbor: true, mediaType: mt, modes: modes}, true
	}
	return codec{mediaType: mediaJSON11}, false
}

// eventContentType is the :content-type of event stream payloads.
func (c codec) eventContentType() string {
	if c.cbor {
		return mediaCBOR
	}
	return mediaJSON
}

// decode reads a request body into v (a pointer to an input struct). An
// empty body reads as an empty object. Any malformation is a
// SerializationException.
func (c codec) decode(body []byte, v any) error {
	if c.cbor {
		return c.decodeCBOR(body, v)
	}
	return decodeJSON(body, v)
}

func decodeJSON(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil
	}
	if trimmed[0] != '{' {
		return newError(errSerialization, "Start of structure or map expected.")
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		return serializationError(err)
	}
	return nil
}

func (c codec) decodeCBOR(body []byte, v any) error {
	if len(body) == 0 {
		return nil
	}
	if body[0]>>5 != 5 { // major type 5: map
		return newError(errSerialization, "Start of structure or map expected.")
	}
	if err := c.modes.dec.Unmarshal(body, v); err != nil {
		return serializationError(err)
	}
	return nil
}

// serializationError turns a decoding failure into a SerializationException
// whose message names the member where it can.
func serializationError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var jt *json.UnmarshalTypeError
	if errors.As(err, &jt) {
		if jt.Field != "" {
			return newError(errSerialization, "Unexpected %s for member %s; expected %s.", jt.Value, jt.Field, wireTypeName(jt.Type))
		}
		return newError(errSerialization, "Unexpected %s; expected %s.", jt.Value, wireTypeName(jt.Type))
	}
	var ct *cbor.UnmarshalTypeError
	if errors.As(err, &ct) {
		return newError(errSerialization, "Unexpected CBOR %s; expected %s.", ct.CBORType, ct.GoType)
	}
	var b64 base64.CorruptInputError
	if errors.As(err, &b64) {
		return newError(errSerialization, "A blob member is not valid base64 (illegal base64 data at input byte %d).", int64(b64))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return newError(errSerialization, "Malformed JSON at byte %d: %v.", se.Offset, se)
	}
	return newError(errSerialization, "Malformed request body: %v.", err)
}

// wireTypeName names a Go type by the API model's type names.
func wireTypeName(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "String"
	case reflect.Bool:
		return "Boolean"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "Integer"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "Blob"
		}
		return "List"
	case reflect.Map:
		return "Map"
	case reflect.Struct:
		if t == reflect.TypeFor[epochTime]() {
			return "Timestamp"
		}
		return "Structure"
	}
	return t.String()
}

// encode serialises a response value.
func (c codec) encode(v any) ([]byte, error) {
	if c.cbor {
		return c.modes.enc.Marshal(v)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding response: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
