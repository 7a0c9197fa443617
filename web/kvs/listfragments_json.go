package kvs

import (
	"encoding/json"
	"slices"
	"strconv"
)

// jsonAppender is a response that writes its own JSON, byte for byte what
// encoding/json would write for it, without reflection: for responses of
// thousands of items.
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

var _ jsonAppender = (*listFragmentsOutput)(nil)

// appendJSON writes the page as encoding/json does (members in field
// order, NextToken omitted when empty).
func (o *listFragmentsOutput) appendJSON(b []byte) []byte {
	b = slices.Grow(b, 32+len(o.NextToken)+200*len(o.Fragments))
	b = append(b, `{"Fragments":[`...)
	for i, f := range o.Fragments {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"FragmentNumber":`...)
		b = appendJSONString(b, f.FragmentNumber)
		b = append(b, `,"FragmentSizeInBytes":`...)
		b = strconv.AppendInt(b, f.FragmentSizeInBytes, 10)
		b = append(b, `,"ProducerTimestamp":`...)
		b = appendEpoch(b, f.ProducerTimestamp)
		b = append(b, `,"ServerTimestamp":`...)
		b = appendEpoch(b, f.ServerTimestamp)
		b = append(b, `,"FragmentLengthInMilliseconds":`...)
		b = strconv.AppendInt(b, f.FragmentLengthInMilliseconds, 10)
		b = append(b, '}')
	}
	b = append(b, ']')
	if o.NextToken != "" {
		b = append(b, `,"NextToken":`...)
		b = appendJSONString(b, o.NextToken)
	}
	return append(b, '}')
}

// appendJSONString writes s as a JSON string: directly when it holds only
// characters that need no escaping (fragment numbers, base64 tokens), else
// through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
