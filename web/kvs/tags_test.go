package kvs_test

import (
	"fmt"
	"maps"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
)

func manyTags(prefix string, n int) map[string]string {
	tags := map[string]string{}
	for i := range n {
		tags[fmt.Sprintf("%s%02d", prefix, i)] = "v"
	}
	return tags
}

func TestTags(t *testing.T) {
	e := newEnv(t, envOptions{})
	s := e.create(&kinesisvideo.CreateStreamInput{StreamName: aws.String("cam"), Tags: map[string]string{"site": "lobby"}})
	arn := aws.String(s.ARN)

	streamTags := func() map[string]string {
		t.Helper()
		byName, err := e.kv.ListTagsForStream(bg, &kinesisvideo.ListTagsForStreamInput{StreamName: aws.String("cam")})
		if err != nil {
			t.Fatal(err)
		}
		byARN, err := e.kv.ListTagsForResource(bg, &kinesisvideo.ListTagsForResourceInput{ResourceARN: arn})
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(byName.Tags, byARN.Tags) || byName.NextToken != nil || byARN.NextToken != nil {
			t.Fatalf("ListTagsForStream %v, ListTagsForResource %v", byName, byARN)
		}
		return byName.Tags
	}
	want := func(w map[string]string) {
		t.Helper()
		if got := streamTags(); !maps.Equal(got, w) {
			t.Fatalf("tags %v, want %v", got, w)
		}
	}
	want(map[string]string{"site": "lobby"})

	if _, err := e.kv.TagStream(bg, &kinesisvideo.TagStreamInput{StreamARN: arn, Tags: map[string]string{"site": "gate", "floor": "2", "empty": ""}}); err != nil {
		t.Fatal(err)
	}
	want(map[string]string{"site": "gate", "floor": "2", "empty": ""})
	if _, err := e.kv.UntagStream(bg, &kinesisvideo.UntagStreamInput{StreamName: aws.String("cam"), TagKeyList: []string{"floor", "absent"}}); err != nil {
		t.Fatal(err)
	}
	want(map[string]string{"site": "gate", "empty": ""})
	if _, err := e.kv.TagResource(bg, &kinesisvideo.TagResourceInput{ResourceARN: arn, Tags: []types.Tag{
		{Key: aws.String("team"), Value: aws.String("ops")}, {Key: aws.String("site"), Value: aws.String("yard")},
	}}); err != nil {
		t.Fatal(err)
	}
	want(map[string]string{"site": "yard", "empty": "", "team": "ops"})
	if _, err := e.kv.UntagResource(bg, &kinesisvideo.UntagResourceInput{ResourceARN: arn, TagKeyList: []string{"site", "empty"}}); err != nil {
		t.Fatal(err)
	}
	want(map[string]string{"team": "ops"})

	// 50 tags in all is the limit: replacing existing keys does not count.
	if _, err := e.kv.TagStream(bg, &kinesisvideo.TagStreamInput{StreamARN: arn, Tags: manyTags("k", 49)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.kv.TagStream(bg, &kinesisvideo.TagStreamInput{StreamARN: arn, Tags: map[string]string{"team": "dev", "k00": "w"}}); err != nil {
		t.Fatalf("replacing tags at the limit: %v", err)
	}
	_, err := e.kv.TagStream(bg, &kinesisvideo.TagStreamInput{StreamARN: arn, Tags: map[string]string{"one-more": "v"}})
	wantAPIError(t, err, "TagsPerResourceExceededLimitException", 400, "this request would give it 51")
	_, err = e.kv.TagResource(bg, &kinesisvideo.TagResourceInput{ResourceARN: arn, Tags: []types.Tag{{Key: aws.String("one-more"), Value: aws.String("v")}}})
	wantAPIError(t, err, "TagsPerResourceExceededLimitException", 400, "")
	_, err = e.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("tagged"), Tags: manyTags("k", 51)})
	wantAPIError(t, err, "TagsPerResourceExceededLimitException", 400, "")
	if got := streamTags(); len(got) != 50 || got["team"] != "dev" || got["k00"] != "w" {
		t.Fatalf("after the refused calls: %v", got)
	}
}
