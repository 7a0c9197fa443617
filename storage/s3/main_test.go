package s3_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sluice-dev/sluice/storage"
	"github.com/sluice-dev/sluice/storage/s3"
	"github.com/sluice-dev/sluice/storage/s3/s3test"
)

// withTimeout is a context for TestMain's own requests.
func withTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), time.Minute)
}

// The test run's S3 server and bucket; unavailable says why there are none.
var (
	testServer  s3test.Server
	testBucket  string
	unavailable error
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	testServer, _ = s3test.FromEnv()
	if testServer.Endpoint == "" {
		bin, err := s3test.FindVersitygw()
		if err != nil {
			unavailable = err
			return m.Run()
		}
		g, err := s3test.StartGateway(bin)
		if err != nil {
			fmt.Fprintf(os.Stderr, "s3 tests: %v\n", err)
			return 1
		}
		defer g.Stop()
		testServer = g.Server
	}
	testBucket = "sluice-test-" + s3test.RandomHex(6)
	if err := createBucket(testBucket); err != nil {
		fmt.Fprintf(os.Stderr, "s3 tests: creating bucket %s at %s: %v\n", testBucket, testServer.Endpoint, err)
		return 1
	}
	defer removeBucket(testBucket)
	return m.Run()
}

// requireServer skips the test when there is no S3 server, or fails it
// under CI, where a skipped S3 suite would pass unnoticed.
func requireServer(t *testing.T) {
	t.Helper()
	if unavailable == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("no S3 server for the s3 tests: %v; %s", unavailable, s3test.InstallHint)
	}
	t.Skipf("no S3 server: %v; %s", unavailable, s3test.InstallHint)
}

// testConfig is a Config for the test bucket under prefix.
func testConfig(prefix string) s3.Config {
	return s3.Config{
		Bucket:          testBucket,
		Prefix:          prefix,
		Endpoint:        testServer.Endpoint,
		Region:          "us-east-1",
		PathStyle:       true,
		AccessKeyID:     testServer.AccessKey,
		SecretAccessKey: testServer.SecretKey,
		PartSize:        s3.MinPartSize,
	}
}

// rawClient is an SDK client for setup and for checks below the storage
// API.
func rawClient() *sdk.Client {
	return sdk.New(sdk.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(testServer.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(testServer.AccessKey, testServer.SecretKey, ""),
	})
}

func createBucket(name string) error {
	ctx, cancel := withTimeout()
	defer cancel()
	_, err := rawClient().CreateBucket(ctx, &sdk.CreateBucketInput{Bucket: aws.String(name)})
	return err
}

// removeBucket empties and deletes the run's bucket, so that a shared
// server (the environment's) is left as found.
func removeBucket(name string) {
	b, err := s3.New(context.Background(), testConfig(""))
	if err != nil {
		return
	}
	ctx, cancel := withTimeout()
	defer cancel()
	var keys []string
	b.List(ctx, "", func(o storage.ObjectInfo) error {
		keys = append(keys, o.Key)
		return nil
	})
	for _, k := range keys {
		b.Delete(ctx, k)
	}
	if _, err := rawClient().DeleteBucket(ctx, &sdk.DeleteBucketInput{Bucket: aws.String(name)}); err != nil && !errors.Is(err, ctx.Err()) {
		fmt.Fprintf(os.Stderr, "s3 tests: removing bucket %s: %v\n", name, err)
	}
}
