package kvs_test

import (
	"encoding/base64"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
)

// TestListFragmentsManyPages pages through more fragments than one read
// of the index returns (and several blocks of its cache), by both
// selectors, twice: no fragment is skipped or repeated, and the answer is
// the same when the index comes from the cache.
func TestListFragmentsManyPages(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.create(&kinesisvideo.CreateStreamInput{StreamName: aws.String("cam"), DataRetentionInHours: aws.Int32(24)})
	producer0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	server0 := time.Now().UTC().Truncate(time.Millisecond).Add(-2 * time.Hour)
	const n = 2600
	numbers := e.appendFragments("cam", n, producer0, server0, 2*time.Second)
	for _, c := range []struct {
		sel      types.FragmentSelectorType
		t0       time.Time
		from, to int // the fragments the range selects
	}{
		{types.FragmentSelectorTypeServerTimestamp, server0, 0, n},
		{types.FragmentSelectorTypeProducerTimestamp, producer0, 0, n},
		{types.FragmentSelectorTypeServerTimestamp, server0, 1000, 2049},
		{types.FragmentSelectorTypeProducerTimestamp, producer0, 3, 1026},
	} {
		start, end := c.t0.Add(time.Duration(c.from)*2*time.Second), c.t0.Add(time.Duration(c.to-1)*2*time.Second)
		for _, max := range []int64{1000, 333, 1000} {
			got, pages := e.listAll(&kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("cam"), MaxResults: aws.Int64(max),
				FragmentSelector: selector(c.sel, start, end)})
			want := numbers[c.from:c.to]
			if !slices.Equal(numbersOf(got), want) {
				t.Fatalf("%s %d..%d by %d: %d fragments in %d pages, want %d", c.sel, c.from, c.to, max, len(got), pages, len(want))
			}
			if wantPages := (int64(len(want)) + max - 1) / max; int64(pages) != wantPages {
				t.Fatalf("%s %d..%d by %d: %d pages, want %d", c.sel, c.from, c.to, max, pages, wantPages)
			}
		}
	}
}

// TestListFragmentsTokenFormat resumes from tokens written as the token
// format (version 1) defines them, field by field, as earlier builds wrote
// them; one naming no fragment of the stream is InvalidArgumentException.
func TestListFragmentsTokenFormat(t *testing.T) {
	e := newEnv(t, envOptions{})
	s := e.create(&kinesisvideo.CreateStreamInput{StreamName: aws.String("cam"), DataRetentionInHours: aws.Int32(24)})
	producer0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	server0 := time.Now().UTC().Truncate(time.Millisecond).Add(-time.Hour)
	numbers := e.appendFragments("cam", 40, producer0, server0, 2*time.Second)
	token := func(doc string) *string {
		return aws.String(base64.StdEncoding.EncodeToString([]byte(doc)))
	}
	at := func(t0 time.Time, i int) int64 { return t0.Add(time.Duration(i) * 2 * time.Second).UnixNano() }

	// Everything, resuming after the 5th.
	old := fmt.Sprintf(`{"v":1,"op":"ListFragments","stream":"cam","created_ms":%d,"after":%q,"after_ns":%d}`,
		s.CreationTime.UnixMilli(), numbers[4], at(server0, 4))
	got, _ := e.listAll(&kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("cam"), NextToken: token(old), MaxResults: aws.Int64(7)})
	if !slices.Equal(numbersOf(got), numbers[5:]) {
		t.Fatalf("after the 5th: %v", numbersOf(got))
	}
	// A producer-time range [10, 30], resuming after the 12th: the token's
	// selector holds, whatever the request says.
	old = fmt.Sprintf(`{"v":1,"op":"ListFragments","stream":"cam","created_ms":%d,"producer":true,"start_ns":%d,"end_ns":%d,"after":%q,"after_ns":%d}`,
		s.CreationTime.UnixMilli(), at(producer0, 10), at(producer0, 30), numbers[12], at(producer0, 12))
	got, _ = e.listAll(&kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("cam"), NextToken: token(old), MaxResults: aws.Int64(5),
		FragmentSelector: selector(types.FragmentSelectorTypeServerTimestamp, server0, server0.Add(time.Second))})
	if !slices.Equal(numbersOf(got), numbers[13:31]) {
		t.Fatalf("producer range after the 12th: %v", numbersOf(got))
	}
	// A number that is no fragment number.
	bad := fmt.Sprintf(`{"v":1,"op":"ListFragments","stream":"cam","created_ms":%d,"after":"12345","after_ns":1}`, s.CreationTime.UnixMilli())
	_, err := e.am.ListFragments(bg, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("cam"), NextToken: token(bad)})
	wantAPIError(t, err, "InvalidArgumentException", 400, "is not a fragment number of stream cam")
}
