package security

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/internal/e2e"
	"github.com/sluice-dev/sluice/web/webtest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go"
)

// TestAccessKeys drives the binary with --access-key and a keys file: the
// SDK and the AWS CLI with the right key work; a wrong secret, an unknown
// key and no signature get the AWS errors; a key limited to streams "a*"
// cannot touch stream "b"; no secret reaches the log.
func TestAccessKeys(t *testing.T) {
	dir := t.TempDir()
	keysFile := dir + "/keys.yaml"
	if err := os.WriteFile(keysFile, []byte(`
- id: AKIDLIMITED
  secret: limited-secret-123
  streams: ["a*"]
  actions: [read, write]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := e2e.StartServerEnv(t, dir, []string{"SLUICE_ACCESS_KEY=AKIDADMIN:admin-secret-123"}, "--access-keys-file", keysFile)

	client := func(id, secret string) *kinesis.Client {
		var creds aws.CredentialsProvider = aws.AnonymousCredentials{}
		if id != "" {
			creds = credentials.NewStaticCredentialsProvider(id, secret, "")
		}
		return kinesis.New(kinesis.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds, Retryer: webtest.Retryer()})
	}
	wantCode := func(err error, code string) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != code {
			t.Fatalf("want %s, got %v", code, err)
		}
	}
	admin := client("AKIDADMIN", "admin-secret-123")
	for _, name := range []string{"a1", "b"} {
		if _, err := admin.CreateStream(context.Background(), &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(1)}); err != nil {
			t.Fatalf("CreateStream %s: %v", name, err)
		}
	}
	_, err := client("AKIDADMIN", "wrong-secret-123").ListStreams(context.Background(), &kinesis.ListStreamsInput{})
	wantCode(err, "InvalidSignatureException")
	_, err = client("AKIDNOBODY", "admin-secret-123").ListStreams(context.Background(), &kinesis.ListStreamsInput{})
	wantCode(err, "UnrecognizedClientException")
	_, err = client("", "").ListStreams(context.Background(), &kinesis.ListStreamsInput{})
	wantCode(err, "MissingAuthenticationTokenException")
	limited := client("AKIDLIMITED", "limited-secret-123")
	_, err = limited.DescribeStreamSummary(context.Background(), &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("b")})
	wantCode(err, "AccessDeniedException")
	if _, err := limited.DescribeStreamSummary(context.Background(), &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("a1")}); err != nil {
		t.Fatalf("limited key on a1: %v", err)
	}

	if _, err := os.Stat(e2e.AWSCLI); err == nil {
		cli := func(id, secret string, args ...string) (string, error) {
			cmd := exec.Command(e2e.AWSCLI, append([]string{"--endpoint-url", srv.URL, "--output", "json"}, args...)...)
			cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+id, "AWS_SECRET_ACCESS_KEY="+secret, "AWS_DEFAULT_REGION=us-east-1",
				"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
		if out, err := cli("AKIDADMIN", "admin-secret-123", "kinesis", "list-streams"); err != nil {
			t.Fatalf("aws kinesis list-streams: %v\n%s", err, out)
		}
		if out, err := cli("AKIDADMIN", "nope-nope-nope", "kinesis", "list-streams"); err == nil || !strings.Contains(out, "InvalidSignatureException") {
			t.Fatalf("aws with a wrong secret: %v\n%s", err, out)
		}
		if out, err := cli("AKIDLIMITED", "limited-secret-123", "kinesisvideo", "create-stream", "--stream-name", "a-cam"); err == nil || !strings.Contains(out, "AccessDeniedException") {
			t.Fatalf("aws create-stream with a read/write key: %v\n%s", err, out)
		}
	} else if os.Getenv("CI") != "" {
		t.Fatalf("%s is required: %v", e2e.AWSCLI, err)
	}

	if log := srv.Log.String(); strings.Contains(log, "admin-secret-123") || strings.Contains(log, "limited-secret-123") {
		t.Fatalf("a secret is in the log:\n%s", log)
	}
}
