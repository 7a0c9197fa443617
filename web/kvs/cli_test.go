package kvs_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
)

// awsCLI is Debian's AWS CLI v2 (an older v1 may come first on PATH).
const awsCLI = "/usr/bin/aws"

// cli runs the AWS CLI against the env's server with dummy credentials
// and no user configuration, and returns its stdout, or its stderr and
// exit code when it fails.
func (e *env) cli(args ...string) (stdout []byte, stderr string, code int) {
	e.t.Helper()
	home := e.t.TempDir()
	cmd := exec.Command(awsCLI, append([]string{"--endpoint-url", e.srv.URL, "--output", "json", "--no-cli-pager"}, args...)...)
	cmd.Env = []string{
		"HOME=" + home, "LANG=C.UTF-8", "PATH=/usr/bin:/bin",
		"AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1",
	}
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	out, err := cmd.Output()
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		return out, errBuf.String(), ee.ExitCode()
	}
	if err != nil {
		e.t.Fatalf("aws %v: %v", args, err)
	}
	return out, errBuf.String(), 0
}

// cliJSON runs the CLI, which must succeed, and decodes its output.
func (e *env) cliJSON(v any, args ...string) {
	e.t.Helper()
	out, stderr, code := e.cli(args...)
	if code != 0 {
		e.t.Fatalf("aws %v: exit %d: %s", args, code, stderr)
	}
	if err := json.Unmarshal(out, v); err != nil {
		e.t.Fatalf("aws %v: %v in %s", args, err, out)
	}
}

func TestAWSCLI(t *testing.T) {
	if _, err := os.Stat(awsCLI); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the AWS CLI v2 is required in CI: %v", err)
		}
		t.Skipf("no AWS CLI v2: %v", err)
	}
	e := newEnv(t, envOptions{})

	var created struct{ StreamARN string }
	e.cliJSON(&created, "kinesisvideo", "create-stream", "--stream-name", "cli-cam", "--media-type", "video/h264", "--data-retention-in-hours", "24")
	if !strings.Contains(created.StreamARN, ":stream/cli-cam/") {
		t.Fatalf("create-stream: %+v", created)
	}
	e.waitActive("cli-cam")
	if _, err := e.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("cli-other")}); err != nil {
		t.Fatal(err)
	}

	var described struct {
		StreamInfo struct {
			StreamName, StreamARN, MediaType, Status, Version, CreationTime string
			DataRetentionInHours                                            int
		}
	}
	e.cliJSON(&described, "kinesisvideo", "describe-stream", "--stream-name", "cli-cam")
	info := described.StreamInfo
	createdAt, err := time.Parse(time.RFC3339, info.CreationTime)
	if err != nil || info.StreamARN != created.StreamARN || info.MediaType != "video/h264" || info.Status != "ACTIVE" ||
		info.DataRetentionInHours != 24 || info.Version == "" || time.Since(createdAt) > time.Minute {
		t.Fatalf("describe-stream: %+v (%v)", info, err)
	}
	_, stderr, code := e.cli("kinesisvideo", "describe-stream", "--stream-name", "nope")
	if code == 0 || !strings.Contains(stderr, "ResourceNotFoundException") || !strings.Contains(stderr, "Stream nope under account 000000000000 not found.") {
		t.Fatalf("describe-stream of a missing stream: exit %d: %s", code, stderr)
	}

	// The CLI pages through list-streams itself, one stream a call.
	var listed struct{ StreamInfoList []struct{ StreamName string } }
	e.cliJSON(&listed, "kinesisvideo", "list-streams", "--page-size", "1")
	var names []string
	for _, s := range listed.StreamInfoList {
		names = append(names, s.StreamName)
	}
	if !slices.Equal(names, []string{"cli-cam", "cli-other"}) {
		t.Fatalf("list-streams: %v", names)
	}

	// The CLI sends whole seconds; fragments start on whole seconds here.
	t0 := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
	numbers := e.appendFragments("cli-cam", 8, t0, t0, time.Second)
	var frags struct {
		Fragments []struct {
			FragmentNumber               string
			FragmentSizeInBytes          int64
			FragmentLengthInMilliseconds int64
			ServerTimestamp              string
		}
	}
	selector := `{"FragmentSelectorType":"SERVER_TIMESTAMP","TimestampRange":{"StartTimestamp":"` + t0.Add(time.Second).Format(time.RFC3339) +
		`","EndTimestamp":"` + t0.Add(6*time.Second).Format(time.RFC3339) + `"}}`
	e.cliJSON(&frags, "kinesis-video-archived-media", "list-fragments", "--stream-name", "cli-cam", "--fragment-selector", selector, "--page-size", "2")
	var got []string
	for i, f := range frags.Fragments {
		got = append(got, f.FragmentNumber)
		ts, err := time.Parse(time.RFC3339, f.ServerTimestamp)
		if err != nil || !ts.Equal(t0.Add(time.Duration(i+1)*time.Second)) || f.FragmentSizeInBytes != int64(1001+i) || f.FragmentLengthInMilliseconds != 2000 {
			t.Fatalf("fragment %d: %+v (%v)", i, f, err)
		}
	}
	if !slices.Equal(got, numbers[1:7]) {
		t.Fatalf("list-fragments: %v, want %v", got, numbers[1:7])
	}
	e.cliJSON(&frags, "kinesis-video-archived-media", "list-fragments", "--stream-arn", created.StreamARN)
	if len(frags.Fragments) != len(numbers) {
		t.Fatalf("list-fragments without a selector: %d fragments", len(frags.Fragments))
	}
}
