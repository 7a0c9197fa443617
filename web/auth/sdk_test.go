package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kdstypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	kvstypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	kvamtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"

	"github.com/sluice-dev/sluice/web/auth"
)

func createDataStream(t *testing.T, c *kinesis.Client, name string) {
	t.Helper()
	if _, err := c.CreateStream(bg, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatalf("CreateStream %s: %v", name, err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		out, err := c.DescribeStreamSummary(bg, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(name)})
		if err == nil && out.StreamDescriptionSummary.StreamStatus == kdstypes.StreamStatusActive {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s not active: %v", name, err)
		}
	}
}

func TestKinesisSDK(t *testing.T) {
	e := newEnv(t, auth.Config{})
	admin := e.kinesis(as(adminKey))
	createDataStream(t, admin, "a1")
	createDataStream(t, admin, "b")

	put := func(c *kinesis.Client, stream string) error {
		_, err := c.PutRecord(bg, &kinesis.PutRecordInput{StreamName: aws.String(stream), PartitionKey: aws.String("k"), Data: []byte("hello")})
		return err
	}
	describe := func(c *kinesis.Client, stream string) error {
		_, err := c.DescribeStream(bg, &kinesis.DescribeStreamInput{StreamName: aws.String(stream)})
		return err
	}
	if err := put(admin, "b"); err != nil {
		t.Fatalf("admin PutRecord: %v", err)
	}

	t.Run("limited key", func(t *testing.T) {
		c := e.kinesis(as(streamKey))
		if err := put(c, "a1"); err != nil {
			t.Fatalf("PutRecord a1: %v", err)
		}
		if err := describe(c, "a1"); err != nil {
			t.Fatalf("DescribeStream a1: %v", err)
		}
		wantAPIError(t, describe(c, "b"), "AccessDeniedException", 400)
		wantAPIError(t, put(c, "b"), "AccessDeniedException", 400)
		arn := "arn:aws:kinesis:us-east-1:000000000000:stream/b"
		_, err := c.DescribeStreamSummary(bg, &kinesis.DescribeStreamSummaryInput{StreamARN: aws.String(arn)})
		wantAPIError(t, err, "AccessDeniedException", 400)
		_, err = c.DeleteStream(bg, &kinesis.DeleteStreamInput{StreamName: aws.String("a1")})
		wantAPIError(t, err, "AccessDeniedException", 400) // admin class not granted
		if _, err := c.ListStreams(bg, &kinesis.ListStreamsInput{}); err != nil {
			t.Fatalf("ListStreams (no stream, read): %v", err)
		}
		// ListStreams shows only the key's streams.
		ls, err := c.ListStreams(bg, &kinesis.ListStreamsInput{})
		if err != nil || len(ls.StreamNames) != 1 || ls.StreamNames[0] != "a1" {
			t.Fatalf("ListStreams of the a* key: %v %v", ls.StreamNames, err)
		}
		// GetRecords names its stream only through the iterator, which the
		// handler decodes (TestKinesisIteratorStream).
		it, err := c.GetShardIterator(bg, &kinesis.GetShardIteratorInput{StreamName: aws.String("a1"),
			ShardId: aws.String("shardId-000000000000"), ShardIteratorType: kdstypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetRecords(bg, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator}); err != nil {
			t.Fatalf("GetRecords of its own stream: %v", err)
		}
		if _, err := admin.GetRecords(bg, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator}); err != nil {
			t.Fatalf("admin GetRecords: %v", err)
		}
	})

	t.Run("wrong secret", func(t *testing.T) {
		err := describe(e.kinesis(clientOpts{id: adminKey.ID, secret: "not-the-secret"}), "a1")
		wantAPIError(t, err, "InvalidSignatureException", 400)
		if !strings.Contains(err.Error(), "The request signature we calculated does not match") {
			t.Fatalf("message: %v", err)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		wantAPIError(t, describe(e.kinesis(clientOpts{id: "AKIDNOBODY", secret: "whatever-1234"}), "a1"), "UnrecognizedClientException", 400)
	})
	t.Run("other region", func(t *testing.T) {
		o := as(adminKey)
		o.region = "eu-west-1"
		wantAPIError(t, describe(e.kinesis(o), "a1"), "InvalidSignatureException", 400)
	})
	t.Run("no signature", func(t *testing.T) {
		wantAPIError(t, describe(e.kinesis(clientOpts{anonymous: true}), "a1"), "MissingAuthenticationTokenException", 400)
	})
}

// TestKinesisIteratorStream: GetRecords is authorized against the stream
// of its shard iterator, read by the handler from the decoded input.
func TestKinesisIteratorStream(t *testing.T) {
	e := newEnv(t, auth.Config{})
	admin := e.kinesis(as(adminKey))
	createDataStream(t, admin, "a1")
	createDataStream(t, admin, "b1")
	iterator := func(c *kinesis.Client, stream string) *string {
		t.Helper()
		it, err := c.GetShardIterator(bg, &kinesis.GetShardIteratorInput{StreamName: aws.String(stream),
			ShardId: aws.String("shardId-000000000000"), ShardIteratorType: kdstypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		return it.ShardIterator
	}
	c := e.kinesis(as(streamKey))
	if _, err := c.GetRecords(bg, &kinesis.GetRecordsInput{ShardIterator: iterator(c, "a1")}); err != nil {
		t.Fatalf("GetRecords: %v", err)
	}
	// An iterator of another stream, obtained by the admin, is refused.
	_, err := c.GetRecords(bg, &kinesis.GetRecordsInput{ShardIterator: iterator(admin, "b1")})
	wantAPIError(t, err, "AccessDeniedException", 400)
}

func TestKinesisVideoSDK(t *testing.T) {
	e := newEnv(t, auth.Config{})
	admin := e.video(as(adminKey))
	for _, name := range []string{"a-cam", "b-cam"} {
		if _, err := admin.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String(name), DataRetentionInHours: aws.Int32(1)}); err != nil {
			t.Fatalf("CreateStream: %v", err)
		}
	}
	waitVideoActive(t, admin, "a-cam", "b-cam")
	lim := e.video(as(streamKey))
	describe := func(c *kinesisvideo.Client, name string) error {
		_, err := c.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String(name)})
		return err
	}
	list := func(c *kinesisvideoarchivedmedia.Client, name string) error {
		_, err := c.ListFragments(bg, &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: aws.String(name)})
		return err
	}
	if err := describe(lim, "a-cam"); err != nil {
		t.Fatalf("DescribeStream a-cam: %v", err)
	}
	if err := list(e.archived(as(streamKey)), "a-cam"); err != nil {
		t.Fatalf("ListFragments a-cam: %v", err)
	}
	wantAPIError(t, describe(lim, "b-cam"), "AccessDeniedException", 401)
	err := list(e.archived(as(streamKey)), "b-cam")
	wantAPIError(t, err, "NotAuthorizedException", 401)
	var na *kvamtypes.NotAuthorizedException
	if !errorsAs(err, &na) {
		t.Fatalf("not the modelled NotAuthorizedException: %T", err)
	}
	_, err = lim.DeleteStream(bg, &kinesisvideo.DeleteStreamInput{StreamARN: aws.String("arn:aws:kinesisvideo:us-east-1:000000000000:stream/a-cam/1")})
	wantAPIError(t, err, "AccessDeniedException", 401)

	wantAPIError(t, describe(e.video(clientOpts{id: adminKey.ID, secret: "wrong-secret-00"}), "a-cam"), "InvalidSignatureException", 403)
	wantAPIError(t, describe(e.video(clientOpts{id: "AKIDNOBODY", secret: "wrong-secret-00"}), "a-cam"), "UnrecognizedClientException", 403)
	wantAPIError(t, describe(e.video(clientOpts{anonymous: true}), "a-cam"), "MissingAuthenticationTokenException", 403)
	o := as(adminKey)
	o.region = "ap-south-1"
	wantAPIError(t, list(e.archived(o), "a-cam"), "InvalidSignatureException", 403)
}

// waitVideoActive waits until the video streams are ACTIVE.
func waitVideoActive(t *testing.T, c *kinesisvideo.Client, names ...string) {
	t.Helper()
	for _, name := range names {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			out, err := c.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String(name)})
			if err == nil && out.StreamInfo.Status == kvstypes.StatusActive {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("video stream %s not active: %v", name, err)
			}
		}
	}
}
