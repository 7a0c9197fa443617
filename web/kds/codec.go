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
		return newError(errSerialization, "") // as AWS: an empty body is refused, with the type alone
	}
	if trimmed[0] != '{' {
		return newError(errSerialization, "Start of structure or map expected.")
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		var jt *json.UnmarshalTypeError
		if errors.As(err, &jt) {
			return newError(errSerialization, "%s", typeErrorText(jt, trimmed))
		}
		return serializationError(err)
	}
	return nil
}

func (c codec) decodeCBOR(body []byte, v any) error {
	if len(body) == 0 {
		return newError(errSerialization, "") // as AWS: an empty body is refused, with the type alone
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
		return newError(errSerialization, "%s", cborTypeErrorText(ct))
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

// typeErrorText is what AWS's JSON front end says of a member of the wrong
// JSON type (as Java's classes name them: a number is a
// TruncatingBigNumber, and "an String" is AWS's grammar).
func typeErrorText(jt *json.UnmarshalTypeError, body []byte) string {
	target := wireTypeName(jt.Type)
	switch jt.Value {
	case "array":
		return "Start of list found where not expected"
	case "object":
		return "Start of structure or map found where not expected."
	}
	switch target {
	case "List":
		return "Expected list or null"
	case "Map":
		return "Expected map or null"
	case "Structure":
		return "Expected null"
	}
	article := "an"
	if target == "Blob" {
		article = "a"
	}
	switch jt.Value {
	case "bool":
		return fmt.Sprintf("class java.lang.Boolean can not be converted to %s %s", article, target)
	case "string":
		if target == "Boolean" {
			if s, ok := stringBefore(body, jt.Offset); ok {
				return fmt.Sprintf("'%s' can not be converted to an Boolean", strings.ToUpper(s))
			}
		}
		return fmt.Sprintf("class java.lang.String can not be converted to %s %s", article, target)
	}
	if strings.HasPrefix(jt.Value, "number") {
		return fmt.Sprintf("class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to %s %s", article, target)
	}
	return fmt.Sprintf("Unexpected %s; expected %s.", jt.Value, target)
}

// cborTypeErrorText is typeErrorText for CBOR: the same texts, by the
// CBOR major type (a CBOR simple value, true, false or a float, is taken
// as the Boolean it usually is).
func cborTypeErrorText(ct *cbor.UnmarshalTypeError) string {
	value := map[string]string{"array": "array", "map": "object", "positive integer": "number", "negative integer": "number",
		"UTF-8 text string": "string", "primitives": "bool"}[ct.CBORType]
	var target reflect.Type
	switch g := ct.GoType; {
	case g == "string":
		target = reflect.TypeFor[string]()
	case g == "bool":
		target = reflect.TypeFor[bool]()
	case g == "int" || g == "int32" || g == "int64":
		target = reflect.TypeFor[int]()
	case g == "[]uint8":
		target = reflect.TypeFor[[]byte]()
	case strings.HasPrefix(g, "[]"):
		target = reflect.TypeFor[[]string]()
	case strings.HasPrefix(g, "map["):
		target = reflect.TypeFor[map[string]string]()
	case strings.HasSuffix(g, "epochTime"):
		target = reflect.TypeFor[epochTime]()
	default:
		target = reflect.TypeFor[struct{}]()
	}
	if value == "" {
		return fmt.Sprintf("Unexpected CBOR %s; expected %s.", ct.CBORType, wireTypeName(target))
	}
	return typeErrorText(&json.UnmarshalTypeError{Value: value, Type: target}, nil)
}

// stringBefore returns the JSON string literal that ends at offset in body
// (where encoding/json reports a type error), unquoted.
func stringBefore(body []byte, offset int64) (string, bool) {
	if offset <= 0 || offset > int64(len(body)) || body[offset-1] != '"' {
		return "", false
	}
	for i := offset - 2; i >= 0; i-- {
		if body[i] == '"' && (i == 0 || body[i-1] != '\\') {
			var s string
			if json.Unmarshal(body[i:offset], &s) != nil {
				return "", false
			}
			return s, true
		}
	}
	return "", false
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
