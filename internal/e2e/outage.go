package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sluice-dev/sluice/storage/s3/s3test"
)

// OutageDuration is how long the bucket stays down in the outage tests:
// 20 s, or 120 s with SLUICE_LONG=1.
func OutageDuration() time.Duration {
	if os.Getenv("SLUICE_LONG") == "1" {
		return 120 * time.Second
	}
	return 20 * time.Second
}

// StartGateway starts a versitygw of the test's own (one it can kill and
// restart) with a new bucket, and returns sluice's --storage URL and the
// environment with its credentials.
func StartGateway(t *testing.T) (g *s3test.Gateway, bucket, storage string, env []string) {
	t.Helper()
	bin, err := s3test.FindVersitygw()
	if err != nil {
		t.Fatalf("%v; %s", err, s3test.InstallHint)
	}
	g, err = s3test.StartGateway(bin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)
	bucket = "sluice-outage-" + s3test.RandomHex(4)
	if _, err := S3Client(g.Server).CreateBucket(context.Background(), &sdk.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	storage = fmt.Sprintf("s3://%s/archive?endpoint=%s&region=us-east-1&path-style=true", bucket, g.Endpoint)
	env = []string{"AWS_ACCESS_KEY_ID=" + g.AccessKey, "AWS_SECRET_ACCESS_KEY=" + g.SecretKey, "AWS_REGION=us-east-1"}
	return g, bucket, storage, env
}

// Metric reads one unlabelled metric of the server.
func Metric(t *testing.T, url, name string) float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %q", name, v)
			}
			return f
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// BucketKeys counts the objects under prefix in the bucket.
func BucketKeys(t *testing.T, g *s3test.Gateway, bucket, prefix string) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	p := sdk.NewListObjectsV2Paginator(S3Client(g.Server), &sdk.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			keys[*o.Key] = true
		}
	}
	return keys
}
