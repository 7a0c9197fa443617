package kvs

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
)

// maxTags is how many tags a stream can carry.
const maxTags = 50

// tagLimit refuses a stream that would carry more than maxTags tags.
func tagLimit(stream string, n int) error {
	if n > maxTags {
		return newError(errTagLimit, "The stream %s can have at most %d tags; this request would give it %d.", stream, maxTags, n)
	}
	return nil
}

// checkTagMap checks a ResourceTags member: 1 or more tags, keys and
// values of the model's shapes. More than maxTags is left to tagLimit.
func checkTagMap(v *violations, path string, tags map[string]string) {
	if tags == nil {
		return
	}
	v.count(path, tags, len(tags), 1, -1)
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		val := tags[k]
		v.str(path+".key", &k, shapeTagKey)
		v.str(path+".value", &val, shapeTagValue)
	}
}

// checkKeyList checks a TagKeyList member: 1 to 50 keys of the TagKey shape.
func checkKeyList(v *violations, path string, keys []string) {
	v.required(path, keys != nil)
	if keys == nil {
		return
	}
	v.count(path, keys, len(keys), 1, maxTags)
	for i := range keys {
		v.str(fmt.Sprintf("%s.%d.member", path, i+1), &keys[i], shapeTagKey)
	}
}

// addTags adds or replaces tags of a stream, refusing with
// TagsPerResourceExceededLimitException a result of more than maxTags.
func (h *Handler) addTags(ctx context.Context, name, arn *string, tags map[string]string) error {
	s, err := h.resolve(ctx, name, arn)
	if err != nil {
		return err
	}
	n := len(s.Tags)
	for k := range tags {
		if _, ok := s.Tags[k]; !ok {
			n++
		}
	}
	if err := tagLimit(s.Name, n); err != nil {
		return err
	}
	return h.lib.Tag(ctx, s.Name, tags)
}

func (h *Handler) removeTags(ctx context.Context, name, arn *string, keys []string) error {
	s, err := h.resolve(ctx, name, arn)
	if err != nil {
		return err
	}
	return h.lib.Untag(ctx, s.Name, keys)
}

type tagsOutput struct {
	NextToken string `json:",omitempty"` // never set: 50 tags fit one page
	Tags      map[string]string
}

func (h *Handler) listTags(ctx context.Context, name, arn *string) (*tagsOutput, error) {
	s, err := h.resolve(ctx, name, arn)
	if err != nil {
		return nil, err
	}
	out := &tagsOutput{Tags: s.Tags}
	if out.Tags == nil {
		out.Tags = map[string]string{}
	}
	return out, nil
}

// The stream-named operations (TagStream, UntagStream, ListTagsForStream)
// take StreamName or StreamARN and tags as a map.

type tagStreamInput struct {
	StreamName, StreamARN *string
	Tags                  map[string]string
}

func (h *Handler) tagStream(ctx context.Context, _ *http.Request, in *tagStreamInput) (*struct{}, error) {
	var v violations
	v.str("streamName", in.StreamName, shapeStreamName)
	v.str("streamARN", in.StreamARN, shapeARN)
	v.required("tags", in.Tags != nil)
	checkTagMap(&v, "tags", in.Tags)
	if err := v.err(); err != nil {
		return nil, err
	}
	return done(h.addTags(ctx, in.StreamName, in.StreamARN, in.Tags))
}

type untagStreamInput struct {
	StreamName, StreamARN *string
	TagKeyList            []string
}

func (h *Handler) untagStream(ctx context.Context, _ *http.Request, in *untagStreamInput) (*struct{}, error) {
	var v violations
	v.str("streamName", in.StreamName, shapeStreamName)
	v.str("streamARN", in.StreamARN, shapeARN)
	checkKeyList(&v, "tagKeyList", in.TagKeyList)
	if err := v.err(); err != nil {
		return nil, err
	}
	return done(h.removeTags(ctx, in.StreamName, in.StreamARN, in.TagKeyList))
}

type listTagsForStreamInput struct {
	StreamName, StreamARN *string
	NextToken             *string
}

func (h *Handler) listTagsForStream(ctx context.Context, _ *http.Request, in *listTagsForStreamInput) (*tagsOutput, error) {
	var v violations
	v.str("streamName", in.StreamName, shapeStreamName)
	v.str("streamARN", in.StreamARN, shapeARN)
	v.str("nextToken", in.NextToken, shapeListToken)
	if err := v.err(); err != nil {
		return nil, err
	}
	return h.listTags(ctx, in.StreamName, in.StreamARN)
}

// The resource operations (TagResource, UntagResource, ListTagsForResource)
// take the stream's ARN as ResourceARN, and tags as a list.

type tag struct {
	Key, Value *string
}

type tagResourceInput struct {
	ResourceARN *string
	Tags        []tag
}

func (h *Handler) tagResource(ctx context.Context, _ *http.Request, in *tagResourceInput) (*struct{}, error) {
	var v violations
	v.reqStr("resourceARN", in.ResourceARN, shapeARN)
	v.required("tags", in.Tags != nil)
	if in.Tags != nil {
		v.count("tags", in.Tags, len(in.Tags), 1, -1)
	}
	tags := make(map[string]string, len(in.Tags))
	for i, t := range in.Tags {
		path := fmt.Sprintf("tags.%d.member", i+1)
		v.reqStr(path+".key", t.Key, shapeTagKey)
		v.reqStr(path+".value", t.Value, shapeTagValue)
		if t.Key != nil && t.Value != nil {
			tags[*t.Key] = *t.Value
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := tagLimit(*in.ResourceARN, len(in.Tags)); err != nil {
		return nil, err
	}
	return done(h.addTags(ctx, nil, in.ResourceARN, tags))
}

type untagResourceInput struct {
	ResourceARN *string
	TagKeyList  []string
}

func (h *Handler) untagResource(ctx context.Context, _ *http.Request, in *untagResourceInput) (*struct{}, error) {
	var v violations
	v.reqStr("resourceARN", in.ResourceARN, shapeARN)
	checkKeyList(&v, "tagKeyList", in.TagKeyList)
	if err := v.err(); err != nil {
		return nil, err
	}
	return done(h.removeTags(ctx, nil, in.ResourceARN, in.TagKeyList))
}

type listTagsForResourceInput struct {
	ResourceARN *string
	NextToken   *string
}

func (h *Handler) listTagsForResource(ctx context.Context, _ *http.Request, in *listTagsForResourceInput) (*tagsOutput, error) {
	var v violations
	v.reqStr("resourceARN", in.ResourceARN, shapeARN)
	v.str("nextToken", in.NextToken, shapeListToken)
	if err := v.err(); err != nil {
		return nil, err
	}
	return h.listTags(ctx, nil, in.ResourceARN)
}
