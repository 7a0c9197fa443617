package kvs_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"

	"github.com/sluice-dev/sluice/fragments"
)

// appendFragments indexes n fragments of 2 s each on the stream, the i-th
// starting at producer0 and server0 plus i*step, and returns their numbers.
func (e *env) appendFragments(stream string, n int, producer0, server0 time.Time, step time.Duration) []string {
	e.t.Helper()
	var numbers []string
	for i := range n {
		num, err := e.lib.Append(bg, stream, fragments.Info{
			Key: fmt.Sprintf("k%d", i), InitKey: "init", Duration: 2 * time.Second, Size: int64(1000 + i), Keyframe: true,
			ProducerTime: producer0.Add(time.Duration(i) * step),
			ServerTime:   server0.Add(time.Duration(i) * step),
			Samples:      map[int]int{1: 50},
		})
		if err != nil {
			e.t.Fatal(err)
		}
		numbers = append(numbers, num)
	}
	return numbers
}

// listAll pages through ListFragments and returns every fragment and the
// number of pages.
func (e *env) listAll(in *kinesisvideoarchivedmedia.ListFragmentsInput) ([]types.Fragment, int) {
	e.t.Helper()
	var all []types.Fragment
	for pages := 1; ; pages++ {
		out, err := e.am.ListFragments(bg, in)
		if err != nil {
			e.t.Fatal(err)
		}
		if in.MaxResults != nil && int64(len(out.Fragments)) > *in.MaxResults {
			e.t.Fatalf("page of %d with MaxResults %d", len(out.Fragments), *in.MaxResults)
		}
		all = append(all, out.Fragments...)
		if out.NextToken == nil {
			return all, pages
		}
		next := *in
		next.NextToken = out.NextToken
		in = &next
	}
}

func numbersOf(fs []types.Fragment) []string {
	var out []string
	for _, f := range fs {
		out = append(out, aws.ToString(f.FragmentNumber))
	}
	return out
}

func selector(typ types.FragmentSelectorType, start, end time.Time) *types.FragmentSelector {
	return &types.FragmentSelector{FragmentSelectorType: typ, TimestampRange: &types.TimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(end)}}
}

func TestListFragments(t *testing.T) {
	e := newEnv(t, envOptions{})
	s := e.create(&kinesisvideo.CreateStreamInput{StreamName: aws.String("cam"), DataRetentionInHours: aws.Int32(24)})
	producer0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(123 * time.Millisecond) // a camera clock years off
	server0 := time.Now().UTC().Truncate(time.Millisecond).Add(-time.Hour)
	numbers := e.appendFragments("cam", 30, producer0, server0, 2*time.Second)

	// Everything, in time order, with every member.
	out, err := e.am.ListFragments(bg, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("cam")})
	if err != nil {
		t.Fatal(err)
	}
	if out.NextToken != nil || !slices.Equal(numbersOf(out.Fragments), numbers) {
		t.Fatalf("all fragments: %v, token %v", numbersOf(out.Fragments), out.NextToken)
	}
	for i, f := range out.Fragments {
		step := time.Duration(i) * 2 * time.Second
		if f.FragmentSizeInBytes != int64(1000+i) || f.FragmentLengthInMilliseconds != 2000 ||
			!aws.ToTime(f.ProducerTimestamp).Equal(producer0.Add(step)) || !aws.ToTime(f.ServerTimestamp).Equal(server0.Add(step)) {
			t.Fatalf("fragment %d: %+v (producer %v, server %v)", i, f, aws.ToTime(f.ProducerTimestamp), aws.ToTime(f.ServerTimestamp))
		}
	}

	// Both selectors include both ends of the range.
	got, _ := e.listAll(&kinesisvideoarchivedmedia.ListFragmentsInput{StreamARN: aws.String(s.ARN),
		FragmentSelector: selector(types.FragmentSelectorTypeServerTimestamp, server0.Add(10500*time.Millisecond), server0.Add(20*time.Second))})
	if !slices.Equal(numbersOf(got), numbers[6:11]) {
		t.Fatalf("server range: %v, want %v", numbersOf(got), numbers[6:11])
	}
	got, _ = e.listAll(&kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("cam"),
		FragmentSelector: selector(types.FragmentSelectorTypeProducerTimestamp, producer0.Add(10*time.Second), producer0.Add(20*time.Second))})
	if !slices.Equal(numbersOf(got), numbers[5:11]) {
		t.Fatalf("producer range: %v, want %v", numbersOf(got), numbers[5:11])
	}
	got, _ = e.listAll(&kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("cam"),
		FragmentSelector: selector(types.FragmentSelectorTypeProducerTimestamp, server0, server0.Add(time.Hour))})
	if len(got) != 0 {
		t.Fatalf("producer range at server times: %v", numbersOf(got))
	}

	// Pages of MaxResults, through tokens by hand and through the SDK's
	// paginator, add up to the single answer.
	for _, max := range []int64{1, 4, 6, 1000} {
		got, pages := e.listAll(&kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("cam"), MaxResults: aws.Int64(max),
			FragmentSelector: selector(types.FragmentSelectorTypeProducerTimestamp, producer0.Add(time.Second), producer0.Add(time.Hour))})
		wantPages := int((29 + max - 1) / max)
		if !slices.Equal(numbersOf(got), numbers[1:]) || pages != wantPages {
			t.Fatalf("MaxResults %d: %d pages (want %d): %v", max, pages, wantPages, numbersOf(got))
		}
	}
	p := kinesisvideoarchivedmedia.NewListFragmentsPaginator(e.am, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("cam"), MaxResults: aws.Int64(7),
		FragmentSelector: selector(types.FragmentSelectorTypeServerTimestamp, server0, server0.Add(time.Hour))})
	var paged []string
	for p.HasMorePages() {
		page, err := p.NextPage(bg)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, numbersOf(page.Fragments)...)
	}
	if !slices.Equal(paged, numbers) {
		t.Fatalf("paginator: %v", paged)
	}

	// A token belongs to its stream.
	e.create(&kinesisvideo.CreateStreamInput{StreamName: aws.String("other")})
	first, err := e.am.ListFragments(bg, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("cam"), MaxResults: aws.Int64(2)})
	if err != nil || first.NextToken == nil {
		t.Fatalf("first page: %+v %v", first, err)
	}
	_, err = e.am.ListFragments(bg, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("other"), NextToken: first.NextToken})
	wantAPIError(t, err, "InvalidArgumentException", 400, "not a token of a listing of stream other")
	// An empty stream lists an empty array.
	status, _, body := e.post("/listFragments", "application/json", []byte(`{"StreamName":"other"}`))
	if status != 200 || !strings.Contains(string(body), `"Fragments":[]`) {
		t.Fatalf("empty stream: %d %s", status, body)
	}
}

// TestListFragmentsDefaultPage checks the default MaxResults (100).
func TestListFragmentsDefaultPage(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.create(&kinesisvideo.CreateStreamInput{StreamName: aws.String("cam")})
	now := time.Now().UTC()
	numbers := e.appendFragments("cam", 120, now, now, time.Second)
	out, err := e.am.ListFragments(bg, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("cam")})
	if err != nil || len(out.Fragments) != 100 || out.NextToken == nil {
		t.Fatalf("first page: %d fragments, token %v, %v", len(out.Fragments), out.NextToken, err)
	}
	rest, err := e.am.ListFragments(bg, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("cam"), NextToken: out.NextToken})
	if err != nil || rest.NextToken != nil || !slices.Equal(numbersOf(rest.Fragments), numbers[100:]) {
		t.Fatalf("second page: %v, token %v, %v", numbersOf(rest.Fragments), rest.NextToken, err)
	}
}

// TestListFragmentsEqualTimes pages through fragments that share start
// times: a page boundary inside a run of equal times neither repeats nor
// skips a fragment.
func TestListFragmentsEqualTimes(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.create(&kinesisvideo.CreateStreamInput{StreamName: aws.String("cam")})
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	var numbers []string
	for _, offset := range []time.Duration{0, 0, 0, time.Second, time.Second, 2 * time.Second, 2 * time.Second} {
		numbers = append(numbers, e.appendFragments("cam", 1, t0.Add(offset), t0.Add(offset), 0)...)
	}
	for _, sel := range []types.FragmentSelectorType{types.FragmentSelectorTypeServerTimestamp, types.FragmentSelectorTypeProducerTimestamp} {
		for _, max := range []int64{1, 2, 3} {
			got, _ := e.listAll(&kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("cam"), MaxResults: aws.Int64(max),
				FragmentSelector: selector(sel, t0, t0.Add(time.Minute))})
			if !slices.Equal(numbersOf(got), numbers) {
				t.Fatalf("%s, MaxResults %d: %v, want %v", sel, max, numbersOf(got), numbers)
			}
		}
	}
}
