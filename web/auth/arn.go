package auth

import "strings"

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
