package browser

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/sluice-dev/sluice/internal/e2e"
)

// TestKinesisFromAPage: a page of another origin, allowed by
// --cors-origins, uses the AWS SDK's browser build (@aws-sdk/client-kinesis
// bundled by esbuild) in headless Chromium to put records into a Sluice
// data stream and read them back; it reads request IDs and a typed error
// (the exposed headers). The same page served from an origin not listed
// is refused by the browser.
func TestKinesisFromAPage(t *testing.T) {
	e2e.RequireBrowser(t)
	dir := t.TempDir()
	e2e.BundleKinesis(t, dir)
	allowed := e2e.ServePage(t, dir, "127.0.0.1")
	other := e2e.ServePage(t, dir, "localhost") // another origin: not listed
	srv := e2e.StartServer(t, t.TempDir(), "--cors-origins", allowed)
	kc := e2e.KinesisClient(srv.URL)
	if _, err := kc.CreateStream(context.Background(), &kinesis.CreateStreamInput{StreamName: aws.String("page"), ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	e2e.WaitStreamActive(t, kc, "page")

	p := e2e.RunKinesisPage(t, allowed+"/kinesis.html", srv.URL, "page")
	slices.Sort(p.Data)
	want := []string{"from-a-page-0", "from-a-page-1", "from-a-page-2"}
	if len(p.Errors) > 0 || !slices.Equal(p.Data, want) || p.Failed != 0 {
		t.Fatalf("the page at %s: read %v (want %v), failed %d, errors %v, console %v", allowed, p.Data, want, p.Failed, p.Errors, p.Console)
	}
	if len(p.RequestIDs) != 1 || p.RequestIDs[0] == "" || p.NotFound != "ResourceNotFoundException" || p.NotFoundRequestID == "" {
		t.Fatalf("the page could not read the request IDs or the error: %+v", p)
	}
	t.Logf("a page of %s put 3 records and read them back; request %s; the error read as %s", p.Origin, p.RequestIDs[0], p.NotFound)

	p = e2e.RunKinesisPage(t, other+"/kinesis.html", srv.URL, "page")
	if len(p.Errors) != 1 || len(p.Data) != 0 || !strings.Contains(strings.Join(p.Console, " "), "CORS") {
		t.Fatalf("a page of an origin not listed (%s) was not refused by the browser: %+v", other, p)
	}
}
