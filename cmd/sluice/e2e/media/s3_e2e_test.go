package media

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/internal/e2e"
)

// TestArchiveToS3 runs the binary with --storage on versitygw: published
// fragments are objects in the bucket, one per indexed fragment, and decode.
func TestArchiveToS3(t *testing.T) {
	e2e.RequireFFmpeg(t)
	e2e.RequireTool(t, e2e.AWSCLI)
	srv, s3srv, bucket := e2e.StartServerOnS3(t)
	if err := e2e.Publish(t, srv.RTSP+"/s3cam", "libx264", "tcp", 6).Wait(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	listed := e2e.ListFragments(t, srv.URL, "s3cam")
	if len(listed) < 2 {
		t.Fatalf("%d fragments listed", len(listed))
	}

	ctx := context.Background()
	client := e2e.S3Client(s3srv)
	out, err := client.ListObjectsV2(ctx, &sdk.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("archive/video/s-s3cam/")})
	if err != nil {
		t.Fatal(err)
	}
	var init []byte
	var frags []string
	get := func(key string) []byte {
		o, err := client.GetObject(ctx, &sdk.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		defer o.Body.Close()
		b, _ := io.ReadAll(o.Body)
		return b
	}
	for _, o := range out.Contents {
		switch k := *o.Key; {
		case strings.Contains(k, "/init/"):
			init = get(k)
		case strings.Contains(k, "/fragments/"):
			frags = append(frags, k)
		}
	}
	if init == nil || len(frags) != len(listed) {
		t.Fatalf("bucket holds init=%v and %d fragments; %d are indexed", init != nil, len(frags), len(listed))
	}
	probe := fragmentstest.FFprobe(t, init, get(frags[0]))
	if want := int(listed[0].FragmentLengthInMilliseconds * 25 / 1000); probe.Packets["video"] != want {
		t.Fatalf("first fragment from S3: %v, want %d video frames", probe.Packets, want)
	}
	srv.Stop(t)
}
