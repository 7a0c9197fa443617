package kvs_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
)

func TestListStreams(t *testing.T) {
	e := newEnv(t, envOptions{})
	var all, cams []string
	for i := range 13 {
		name := fmt.Sprintf("cam-%02d", i)
		all, cams = append(all, name), append(cams, name)
	}
	all = append(all, "cab", "door-1", "door-2", "z")
	for _, name := range all {
		if _, err := e.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String(name), DeviceName: aws.String("d-" + name)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range all {
		e.waitActive(name)
	}
	slices.Sort(all)

	// list pages through ListStreams by hand and returns the names and
	// the number of pages.
	list := func(max int32, cond *types.StreamNameCondition) ([]string, int) {
		t.Helper()
		var names []string
		pages := 0
		in := &kinesisvideo.ListStreamsInput{StreamNameCondition: cond}
		if max > 0 {
			in.MaxResults = aws.Int32(max)
		}
		for {
			out, err := e.kv.ListStreams(bg, in)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if max > 0 && len(out.StreamInfoList) > int(max) {
				t.Fatalf("page of %d with MaxResults %d", len(out.StreamInfoList), max)
			}
			for _, s := range out.StreamInfoList {
				if aws.ToString(s.DeviceName) != "d-"+aws.ToString(s.StreamName) || s.CreationTime == nil || aws.ToString(s.Version) == "" {
					t.Fatalf("StreamInfo %+v", s)
				}
				names = append(names, aws.ToString(s.StreamName))
			}
			if out.NextToken == nil {
				return names, pages
			}
			in.NextToken = out.NextToken
		}
	}

	if got, pages := list(0, nil); !slices.Equal(got, all) || pages != 1 {
		t.Fatalf("one page: %v in %d", got, pages)
	}
	if got, pages := list(5, nil); !slices.Equal(got, all) || pages != 4 {
		t.Fatalf("pages of 5: %v in %d", got, pages)
	}
	if got, pages := list(17, nil); !slices.Equal(got, all) || pages != 1 {
		t.Fatalf("exactly one full page: %v in %d", got, pages)
	}
	beginsWith := func(prefix string) *types.StreamNameCondition {
		return &types.StreamNameCondition{ComparisonOperator: types.ComparisonOperatorBeginsWith, ComparisonValue: aws.String(prefix)}
	}
	if got, pages := list(4, beginsWith("cam-")); !slices.Equal(got, cams) || pages != 4 {
		t.Fatalf("BEGINS_WITH cam-: %v in %d", got, pages)
	}
	if got, _ := list(0, beginsWith("door")); !slices.Equal(got, []string{"door-1", "door-2"}) {
		t.Fatalf("BEGINS_WITH door: %v", got)
	}
	if got, _ := list(0, beginsWith("nothing")); len(got) != 0 {
		t.Fatalf("BEGINS_WITH nothing: %v", got)
	}

	// A token names the last stream returned: streams deleted or added
	// between pages neither shift nor repeat the rest.
	first, err := e.kv.ListStreams(bg, &kinesisvideo.ListStreamsInput{MaxResults: aws.Int32(3)})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range first.StreamInfoList {
		if _, err := e.kv.DeleteStream(bg, &kinesisvideo.DeleteStreamInput{StreamARN: s.StreamARN}); err != nil {
			t.Fatal(err)
		}
		e.waitGone(aws.ToString(s.StreamName))
	}
	if _, err := e.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("a-first")}); err != nil {
		t.Fatal(err)
	}
	rest, err := e.kv.ListStreams(bg, &kinesisvideo.ListStreamsInput{NextToken: first.NextToken})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range rest.StreamInfoList {
		got = append(got, aws.ToString(s.StreamName))
	}
	if !slices.Equal(got, all[3:]) {
		t.Fatalf("after the first page: %v, want %v", got, all[3:])
	}

	// The SDK's paginator follows the tokens too.
	var paged []string
	p := kinesisvideo.NewListStreamsPaginator(e.kv, &kinesisvideo.ListStreamsInput{MaxResults: aws.Int32(2), StreamNameCondition: beginsWith("cam-1")})
	for p.HasMorePages() {
		out, err := p.NextPage(bg)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range out.StreamInfoList {
			paged = append(paged, aws.ToString(s.StreamName))
		}
	}
	if !slices.Equal(paged, []string{"cam-10", "cam-11", "cam-12"}) {
		t.Fatalf("paginator: %v", paged)
	}
}
