package kds

import (
	"context"
	"maps"
	"slices"
	"strings"
	"unicode"
)

// AddTagsToStream, RemoveTagsFromStream, ListTagsForStream, TagResource,
// UntagResource, ListTagsForResource.

// maxListTags is ListTagsForStream's largest Limit, and its default: a
// stream holds at most 50 tags.
const maxListTags = 50

// checkTagChars refuses tag keys and values outside the characters AWS
// allows in tags.
func checkTagChars(tags map[string]string, keys []string) error {
	ok := func(s string) bool {
		return !strings.ContainsFunc(s, func(r rune) bool {
			return !(unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Z, r) || strings.ContainsRune("_.:/=+-@", r))
		})
	}
	for k, val := range tags {
		if !ok(k) || !ok(val) {
			return newError(errInvalid, "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . : / = + - @.")
		}
	}
	for _, k := range keys {
		if !ok(k) {
			return newError(errInvalid, "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . : / = + - @.")
		}
	}
	return nil
}

type addTagsInput struct {
	StreamName *string           `json:"StreamName"`
	Tags       map[string]string `json:"Tags"`
	StreamARN  *string           `json:"StreamARN"`
}

func (in *addTagsInput) validate(v *validator) {
	v.str("streamName", in.StreamName, streamNameRule)
	v.tagMap("tags", in.Tags, true)
	v.str("streamARN", in.StreamARN, streamARNRule)
}

func (h *Handler) addTagsToStream(ctx context.Context, in *addTagsInput) (noOutput, error) {
	name, err := h.streamName(in.StreamName, in.StreamARN)
	if err != nil {
		return noOutput{}, err
	}
	if err := checkTagChars(in.Tags, nil); err != nil {
		return noOutput{}, err
	}
	return noOutput{}, h.core.AddTags(ctx, name, in.Tags)
}

type removeTagsInput struct {
	StreamName *string  `json:"StreamName"`
	TagKeys    []string `json:"TagKeys"`
	StreamARN  *string  `json:"StreamARN"`
}

func (in *removeTagsInput) validate(v *validator) {
	v.str("streamName", in.StreamName, streamNameRule)
	v.strList("tagKeys", in.TagKeys, true, 1, 50, tagKeyRule)
	v.str("streamARN", in.StreamARN, streamARNRule)
}

func (h *Handler) removeTagsFromStream(ctx context.Context, in *removeTagsInput) (noOutput, error) {
	name, err := h.streamName(in.StreamName, in.StreamARN)
	if err != nil {
		return noOutput{}, err
	}
	if err := checkTagChars(nil, in.TagKeys); err != nil {
		// As AWS: an unknown stream is said first.
		if _, derr := h.core.DescribeStream(ctx, name); derr != nil {
			return noOutput{}, derr
		}
		return noOutput{}, err
	}
	return noOutput{}, h.core.RemoveTags(ctx, name, in.TagKeys)
}

type listTagsForStreamInput struct {
	StreamName           *string `json:"StreamName"`
	ExclusiveStartTagKey *string `json:"ExclusiveStartTagKey"`
	Limit                *int    `json:"Limit"`
	StreamARN            *string `json:"StreamARN"`
}

func (in *listTagsForStreamInput) validate(v *validator) {
	v.required("streamName", in.StreamName != nil || in.StreamARN != nil) // as AWS: a ValidationException
	v.str("streamName", in.StreamName, streamNameRule)
	v.str("exclusiveStartTagKey", in.ExclusiveStartTagKey, tagKeyRule)
	v.intRange("limit", in.Limit, bound(1), bound(maxListTags))
	v.str("streamARN", in.StreamARN, streamARNRule)
}

type listTagsForStreamOutput struct {
	Tags        []tagOut `json:"Tags"`
	HasMoreTags bool     `json:"HasMoreTags"`
}

func (h *Handler) listTagsForStream(ctx context.Context, in *listTagsForStreamInput) (listTagsForStreamOutput, error) {
	name, err := h.streamName(in.StreamName, in.StreamARN)
	if err != nil {
		return listTagsForStreamOutput{}, err
	}
	s, err := h.core.DescribeStream(ctx, name)
	if err != nil {
		return listTagsForStreamOutput{}, err
	}
	limit := deref(in.Limit)
	if limit == 0 {
		limit = maxListTags
	}
	out := listTagsForStreamOutput{Tags: []tagOut{}}
	for _, k := range slices.Sorted(maps.Keys(s.Tags)) {
		if in.ExclusiveStartTagKey != nil && k <= *in.ExclusiveStartTagKey {
			continue
		}
		if len(out.Tags) == limit {
			out.HasMoreTags = true
			break
		}
		out.Tags = append(out.Tags, tagOut{Key: k, Value: s.Tags[k]})
	}
	return out, nil
}

// resourceStream returns the stream a ResourceARN names. Consumer ARNs are
// refused: the core keeps no tags on consumers.
func (h *Handler) resourceStream(arn string) (string, error) {
	if isConsumerARN(arn) {
		return "", newError(errInvalid, "Tags on consumers are not supported: %s names a consumer; tag its stream instead.", arn)
	}
	return h.nameFromARN(arn)
}

type tagResourceInput struct {
	Tags        map[string]string `json:"Tags"`
	ResourceARN *string           `json:"ResourceARN"`
}

func (in *tagResourceInput) validate(v *validator) {
	v.tagMap("tags", in.Tags, true)
	v.reqStr("resourceARN", in.ResourceARN, resourceARNRule)
}

func (h *Handler) tagResource(ctx context.Context, in *tagResourceInput) (noOutput, error) {
	name, err := h.resourceStream(*in.ResourceARN)
	if err != nil {
		return noOutput{}, err
	}
	if err := checkTagChars(in.Tags, nil); err != nil {
		return noOutput{}, err
	}
	return noOutput{}, h.core.AddTags(ctx, name, in.Tags)
}

type untagResourceInput struct {
	TagKeys     []string `json:"TagKeys"`
	ResourceARN *string  `json:"ResourceARN"`
}

func (in *untagResourceInput) validate(v *validator) {
	v.strList("tagKeys", in.TagKeys, true, 1, 50, tagKeyRule)
	v.reqStr("resourceARN", in.ResourceARN, resourceARNRule)
}

func (h *Handler) untagResource(ctx context.Context, in *untagResourceInput) (noOutput, error) {
	name, err := h.resourceStream(*in.ResourceARN)
	if err != nil {
		return noOutput{}, err
	}
	return noOutput{}, h.core.RemoveTags(ctx, name, in.TagKeys)
}

type listTagsForResourceInput struct {
	ResourceARN *string `json:"ResourceARN"`
}

func (in *listTagsForResourceInput) validate(v *validator) {
	v.reqStr("resourceARN", in.ResourceARN, resourceARNRule)
}

type listTagsForResourceOutput struct {
	Tags []tagOut `json:"Tags"`
}

func (h *Handler) listTagsForResource(ctx context.Context, in *listTagsForResourceInput) (listTagsForResourceOutput, error) {
	name, err := h.resourceStream(*in.ResourceARN)
	if err != nil {
		return listTagsForResourceOutput{}, err
	}
	s, err := h.core.DescribeStream(ctx, name)
	if err != nil {
		return listTagsForResourceOutput{}, err
	}
	out := listTagsForResourceOutput{Tags: []tagOut{}}
	for _, k := range slices.Sorted(maps.Keys(s.Tags)) {
		out.Tags = append(out.Tags, tagOut{Key: k, Value: s.Tags[k]})
	}
	return out, nil
}
