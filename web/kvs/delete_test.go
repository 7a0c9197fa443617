package kvs_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/web/kvs"
)

func (e *env) put(keys ...string) {
	e.t.Helper()
	for _, k := range keys {
		if err := e.bucket.Put(bg, k, strings.NewReader(k), int64(len(k))); err != nil {
			e.t.Fatalf("Put %s: %v", k, err)
		}
	}
}

func (e *env) keys(prefix string) []string {
	e.t.Helper()
	var keys []string
	if err := e.bucket.List(bg, prefix, func(o storage.ObjectInfo) error {
		keys = append(keys, o.Key)
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
	return keys
}

// mediaKeys returns n fragment keys and an init segment under prefix.
func mediaKeys(prefix string, n int) []string {
	keys := []string{prefix + "init.mp4"}
	for i := range n {
		keys = append(keys, prefix+"f/"+string(rune('a'+i))+".m4s")
	}
	return keys
}

func TestDeleteStreamRemovesMedia(t *testing.T) {
	e := newEnv(t, envOptions{})
	kvs.SetPurgeBatch(e.h, 3) // several listing rounds
	old := e.create(&kinesisvideo.CreateStreamInput{StreamName: aws.String("cam"), DataRetentionInHours: aws.Int32(1)})
	neighbour := e.create(&kinesisvideo.CreateStreamInput{StreamName: aws.String("cam-2")})
	prefix := fragments.MediaPrefix(old)
	media := mediaKeys(prefix, 10)
	e.put(media...)
	kept := append(mediaKeys(fragments.MediaPrefix(neighbour), 2), "video/s-cam/1/orphan.m4s")
	e.put(kept...)
	now := time.Now().UTC()
	for i, key := range media[1:] {
		if _, err := e.lib.Append(bg, "cam", fragments.Info{Key: key, InitKey: media[0], ServerTime: now.Add(time.Duration(i) * time.Second), ProducerTime: now, Duration: time.Second, Size: 1}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := e.am.ListFragments(bg, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("cam"), MaxResults: aws.Int64(2)})
	if err != nil || len(page.Fragments) != 2 || page.NextToken == nil {
		t.Fatalf("before the delete: %+v %v", page, err)
	}

	if _, err := e.kv.DeleteStream(bg, &kinesisvideo.DeleteStreamInput{StreamARN: aws.String(old.ARN)}); err != nil {
		t.Fatal(err)
	}
	if left := e.keys(prefix); len(left) != 0 {
		t.Fatalf("media left after DeleteStream: %v", left)
	}
	if got := e.keys("video/"); !slices.Equal(got, slices.Sorted(slices.Values(kept))) {
		t.Fatalf("other objects: %v, want %v", got, kept)
	}

	// The same name again is a new, empty stream. (Wait for the next
	// second: ARNs and media prefixes tell incarnations apart by their
	// creation second.)
	e.waitGone("cam")
	time.Sleep(time.Until(old.CreationTime.Add(time.Second)))
	fresh := e.create(&kinesisvideo.CreateStreamInput{StreamName: aws.String("cam")})
	if fresh.ARN == old.ARN || fragments.MediaPrefix(fresh) == prefix {
		t.Fatalf("new incarnation has the old ARN %s or prefix %s", fresh.ARN, prefix)
	}
	out, err := e.am.ListFragments(bg, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("cam")})
	if err != nil || len(out.Fragments) != 0 {
		t.Fatalf("fragments of the new stream: %+v %v", out, err)
	}
	if left := e.keys(fragments.MediaPrefix(fresh)); len(left) != 0 {
		t.Fatalf("media of the new stream: %v", left)
	}
	_, err = e.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamARN: aws.String(old.ARN)})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "")
	_, err = e.am.ListFragments(bg, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String("cam"), NextToken: page.NextToken})
	wantAPIError(t, err, "InvalidArgumentException", 400, "not a token of a listing of stream cam")
}

// failingDeletes is a bucket whose Delete fails for chosen keys.
type failingDeletes struct {
	storage.Bucket
	fail func(key string) bool
}

func (b failingDeletes) Delete(ctx context.Context, key string) error {
	if b.fail(key) {
		return errors.New("injected failure")
	}
	return b.Bucket.Delete(ctx, key)
}

func TestDeleteStreamPartialFailure(t *testing.T) {
	e := newEnv(t, envOptions{wrapBucket: func(b storage.Bucket) storage.Bucket {
		return failingDeletes{Bucket: b, fail: func(key string) bool { return strings.Contains(key, "bad") }}
	}})
	kvs.SetPurgeBatch(e.h, 2)
	s := e.create(&kinesisvideo.CreateStreamInput{StreamName: aws.String("cam")})
	prefix := fragments.MediaPrefix(s)
	media := mediaKeys(prefix, 5)
	bad := []string{prefix + "bad-1.m4s", prefix + "f/bad-2.m4s"}
	e.put(media...)
	e.put(bad...)

	_, err := e.kv.DeleteStream(bg, &kinesisvideo.DeleteStreamInput{StreamARN: aws.String(s.ARN)})
	wantAPIError(t, err, "InternalFailure", 500, "Stream cam was deleted, but removing its media failed: 6 objects removed, 2 could not be; what is left is orphaned under "+prefix)
	// The registry entry went first: no index points at what is gone.
	e.waitGone("cam")
	if left := e.keys(prefix); !slices.Equal(left, bad) {
		t.Fatalf("left: %v, want %v", left, bad)
	}
}
