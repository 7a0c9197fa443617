package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sluice-dev/sluice/fragments/fragmentstest"
	"github.com/sluice-dev/sluice/storage/s3/s3test"
)

// startS3 returns a real S3 server for the test (versitygw, or the one the
// environment names) with a new bucket.
func startS3(t *testing.T) (s3test.Server, string) {
	t.Helper()
	srv, ok := s3test.FromEnv()
	if !ok {
		bin, err := s3test.FindVersitygw()
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%v; %s", err, s3test.InstallHint)
			}
			t.Skipf("%v; %s", err, s3test.InstallHint)
		}
		g, err := s3test.StartGateway(bin)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(g.Stop)
		srv = g.Server
	}
	bucket := "sluice-e2e-" + s3test.RandomHex(4)
	if _, err := s3Client(srv).CreateBucket(context.Background(), &sdk.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return srv, bucket
}

// startServerOnS3 runs sluice archiving to a new bucket of a real S3 server.
func startServerOnS3(t *testing.T) (*server, s3test.Server, string) {
	t.Helper()
	s3srv, bucket := startS3(t)
	storageURL := fmt.Sprintf("s3://%s/archive?endpoint=%s&region=us-east-1&path-style=true", bucket, s3srv.Endpoint)
	srv := startServerEnv(t, t.TempDir(),
		[]string{"AWS_ACCESS_KEY_ID=" + s3srv.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3srv.SecretKey, "AWS_REGION=us-east-1"},
		"--storage", storageURL)
	return srv, s3srv, bucket
}

// onEachStorage runs test against a server archiving to files, then
// against one archiving to a bucket on versitygw.
func onEachStorage(t *testing.T, test func(t *testing.T, srv *server)) {
	t.Run("fs", func(t *testing.T) { test(t, startServer(t, t.TempDir())) })
	t.Run("s3", func(t *testing.T) {
		srv, _, _ := startServerOnS3(t)
		test(t, srv)
	})
}

func s3Client(srv s3test.Server) *sdk.Client {
	return sdk.New(sdk.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
	})
}

// TestArchiveToS3 runs the binary with --storage on versitygw: published
// fragments are objects in the bucket, one per indexed fragment, and decode.
func TestArchiveToS3(t *testing.T) {
	requireFFmpeg(t)
	requireTool(t, awsCLI)
	srv, s3srv, bucket := startServerOnS3(t)
	if err := publish(t, srv.rtsp+"/s3cam", "libx264", "tcp", 6).Wait(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	listed := listFragments(t, srv.url, "s3cam")
	if len(listed) < 2 {
		t.Fatalf("%d fragments listed", len(listed))
	}

	ctx := context.Background()
	client := s3Client(s3srv)
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
	srv.stop(t)
}
