package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sluice-dev/sluice/storage/s3/s3test"
)

// StartS3 returns a real S3 server for the test (versitygw, or the one the
// environment names) with a new bucket.
func StartS3(t *testing.T) (s3test.Server, string) {
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
	if _, err := S3Client(srv).CreateBucket(context.Background(), &sdk.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	return srv, bucket
}

// StartServerOnS3 runs sluice archiving to a new bucket of a real S3 server.
func StartServerOnS3(t *testing.T) (*Server, s3test.Server, string) {
	t.Helper()
	s3srv, bucket := StartS3(t)
	storageURL := fmt.Sprintf("s3://%s/archive?endpoint=%s&region=us-east-1&path-style=true", bucket, s3srv.Endpoint)
	srv := StartServerEnv(t, t.TempDir(),
		[]string{"AWS_ACCESS_KEY_ID=" + s3srv.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3srv.SecretKey, "AWS_REGION=us-east-1"},
		"--storage", storageURL)
	return srv, s3srv, bucket
}

// OnEachStorage runs test against a server archiving to files, then
// against one archiving to a bucket on versitygw.
func OnEachStorage(t *testing.T, test func(t *testing.T, srv *Server)) {
	t.Run("fs", func(t *testing.T) { test(t, StartServer(t, t.TempDir())) })
	t.Run("s3", func(t *testing.T) {
		srv, _, _ := StartServerOnS3(t)
		test(t, srv)
	})
}

func S3Client(srv s3test.Server) *sdk.Client {
	return sdk.New(sdk.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, ""),
	})
}
