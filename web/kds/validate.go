package kds

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// maxValidationErrors is how many constraint violations one
// ValidationException lists, as AWS does.
const maxValidationErrors = 10

// validator collects constraint violations of one request in the form AWS
// prints them: "Value 'x' at 'streamName' failed to satisfy constraint:
// Member must ...". Paths are the lower-camel member names, list elements
// are "records.3.member" (1-based).
type validator struct {
	errs []string
}

// validatable is an input shape that checks itself against the API model.
type validatable interface {
	validate(v *validator)
}

func (v *validator) fail(value, path, constraint string) {
	if len(v.errs) >= maxValidationErrors {
		return
	}
	if value != "null" {
		value = "'" + value + "'"
	}
	v.errs = append(v.errs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", value, path, constraint))
}

// err returns the ValidationException for the violations found, or nil.
func (v *validator) err() error {
	switch len(v.errs) {
	case 0:
		return nil
	case 1:
		return newError(errValidation, "1 validation error detected: %s", v.errs[0])
	}
	return newError(errValidation, "%d validation errors detected: %s", len(v.errs), strings.Join(v.errs, "; "))
}

// pattern is a model regular expression, matched against the whole value
// as Java's String.matches does.
type pattern struct {
	src string
	re  *regexp.Regexp
}

func mustPattern(src string) *pattern {
	return &pattern{src: src, re: regexp.MustCompile(`^(?:` + src + `)$`)}
}

// strRule is the model's constraints on a string member.
type strRule struct {
	min, max int // length bounds in UTF-16 code units; max 0 means none
	pattern  *pattern
	enum     []string
}

// Model constraints shared by several shapes (service-2.json).
var (
	streamNameRule   = strRule{min: 1, max: 128, pattern: mustPattern(`[a-zA-Z0-9_.-]+`)}
	streamARNRule    = strRule{min: 1, max: 2048, pattern: mustPattern(`arn:aws.*:kinesis:.*:\d{12}:stream/\S+`)}
	resourceARNRule  = strRule{min: 1, max: 2048, pattern: mustPattern(`arn:aws.*:kinesis:.*:\d{12}:.*stream/\S+`)}
	consumerARNRule  = strRule{min: 1, max: 2048, pattern: mustPattern(`^(arn):aws.*:kinesis:.*:\d{12}:.*stream\/[a-zA-Z0-9_.-]+\/consumer\/[a-zA-Z0-9_.-]+:[0-9]+`)}
	consumerNameRule = strRule{min: 1, max: 128, pattern: mustPattern(`[a-zA-Z0-9_.-]+`)}
	shardIDRule      = strRule{min: 1, max: 128, pattern: mustPattern(`[a-zA-Z0-9_.-]+`)}
	hashKeyRule      = strRule{pattern: mustPattern(`0|([1-9]\d{0,38})`)}
	seqNumberRule    = strRule{pattern: mustPattern(`0|([1-9]\d{0,128})`)}
	partitionKeyRule = strRule{min: 1, max: 256}
	nextTokenRule    = strRule{min: 1, max: 1048576}
	iteratorRule     = strRule{min: 1, max: 512}
	keyIDRule        = strRule{min: 1, max: 2048}
	tagKeyRule       = strRule{min: 1, max: 128}
	tagValueRule     = strRule{min: 0, max: 256}
	iteratorTypeRule = strRule{enum: []string{"AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"}}
	streamModeRule   = strRule{enum: []string{"PROVISIONED", "ON_DEMAND"}}
	encryptionRule   = strRule{enum: []string{"NONE", "KMS"}}
	scalingTypeRule  = strRule{enum: []string{"UNIFORM_SCALING"}}
	shardFilterRule  = strRule{enum: []string{"AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST", "AT_TIMESTAMP", "FROM_TIMESTAMP"}}
	metricsNames     = []string{"IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords", "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded", "IteratorAgeMilliseconds", "ALL"}
)

// javaLen is a string's length as Java counts it (UTF-16 code units).
func javaLen(s string) int {
	n := 0
	for _, r := range s {
		if utf16.RuneLen(r) == 2 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// required reports a missing member.
func (v *validator) required(path string, present bool) bool {
	if !present {
		v.fail("null", path, "Member must not be null")
	}
	return present
}

// str checks an optional string member (nil: absent).
func (v *validator) str(path string, s *string, r strRule) {
	if s == nil {
		return
	}
	v.strValue(path, *s, r)
}

// reqStr checks a required string member.
func (v *validator) reqStr(path string, s *string, r strRule) {
	if v.required(path, s != nil) {
		v.strValue(path, *s, r)
	}
}

func (v *validator) strValue(path, s string, r strRule) {
	if r.pattern != nil && !r.pattern.re.MatchString(s) {
		v.fail(s, path, "Member must satisfy regular expression pattern: "+r.pattern.src)
	}
	n := javaLen(s)
	if r.min > 0 && n < r.min {
		v.fail(s, path, "Member must have length greater than or equal to "+strconv.Itoa(r.min))
	}
	if r.max > 0 && n > r.max {
		v.fail(s, path, "Member must have length less than or equal to "+strconv.Itoa(r.max))
	}
	if r.enum != nil && !slices.Contains(r.enum, s) {
		v.fail(s, path, "Member must satisfy enum value set: ["+strings.Join(r.enum, ", ")+"]")
	}
}

// intRange checks an optional integer member against inclusive bounds
// (nil bound: none).
func (v *validator) intRange(path string, n *int, lo, hi *int) {
	if n == nil {
		return
	}
	if lo != nil && *n < *lo {
		v.fail(strconv.Itoa(*n), path, "Member must have value greater than or equal to "+strconv.Itoa(*lo))
	}
	if hi != nil && *n > *hi {
		v.fail(strconv.Itoa(*n), path, "Member must have value less than or equal to "+strconv.Itoa(*hi))
	}
}

func bound(n int) *int { return &n }

// blob checks a blob member's length; nil is absent.
func (v *validator) blob(path string, b []byte, required bool, max int) {
	if b == nil {
		if required {
			v.required(path, false)
		}
		return
	}
	if len(b) > max {
		v.fail(blobString(b), path, "Member must have length less than or equal to "+strconv.Itoa(max))
	}
}

// blobString is how AWS prints a blob in a validation message.
func blobString(b []byte) string {
	return fmt.Sprintf("java.nio.HeapByteBuffer[pos=0 lim=%d cap=%d]", len(b), len(b))
}

// listLen checks the element count of a list member; value is how the list
// prints.
func (v *validator) listLen(path string, n int, value func() string, lo, hi int) {
	if n < lo {
		v.fail(value(), path, "Member must have length greater than or equal to "+strconv.Itoa(lo))
	}
	if hi > 0 && n > hi {
		v.fail(value(), path, "Member must have length less than or equal to "+strconv.Itoa(hi))
	}
}

// strList checks a list of strings: its length, then every element against
// r, reported once for the list as AWS does.
func (v *validator) strList(path string, list []string, required bool, lo, hi int, r strRule) {
	if list == nil {
		if required {
			v.required(path, false)
		}
		return
	}
	value := func() string { return "[" + strings.Join(list, ", ") + "]" }
	v.listLen(path, len(list), value, lo, hi)
	var sub validator
	for i, s := range list {
		sub.strValue(path+"."+strconv.Itoa(i+1), s, r)
		if len(sub.errs) > 0 {
			break
		}
	}
	if len(sub.errs) > 0 {
		v.fail(value(), path, "Member must satisfy constraint: ["+memberConstraints(r)+"]")
	}
}

// memberConstraints lists a rule's constraints the way AWS nests them in
// list and map messages.
func memberConstraints(r strRule) string {
	var parts []string
	if r.max > 0 {
		parts = append(parts, "Member must have length less than or equal to "+strconv.Itoa(r.max))
	}
	if r.min > 0 {
		parts = append(parts, "Member must have length greater than or equal to "+strconv.Itoa(r.min))
	}
	if r.pattern != nil {
		parts = append(parts, "Member must satisfy regular expression pattern: "+r.pattern.src)
	}
	if r.enum != nil {
		parts = append(parts, "Member must satisfy enum value set: ["+strings.Join(r.enum, ", ")+"]")
	}
	return strings.Join(parts, ", ")
}

// tagMap checks a TagMap member: 1 to 200 entries, keys 1 to 128 and
// values 0 to 256 characters.
func (v *validator) tagMap(path string, tags map[string]string, required bool) {
	if tags == nil {
		if required {
			v.required(path, false)
		}
		return
	}
	keys := slices.Sorted(maps.Keys(tags))
	value := func() string {
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + tags[k]
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	v.listLen(path, len(tags), value, 1, 200)
	for _, k := range keys {
		if n := javaLen(k); n < tagKeyRule.min || n > tagKeyRule.max {
			v.fail(value(), path, "Map keys must satisfy constraint: ["+memberConstraints(tagKeyRule)+"]")
			break
		}
	}
	for _, k := range keys {
		if javaLen(tags[k]) > tagValueRule.max {
			v.fail(value(), path, "Map value must satisfy constraint: ["+memberConstraints(tagValueRule)+"]")
			break
		}
	}
}
