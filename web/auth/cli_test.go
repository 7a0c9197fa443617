package auth_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/web/auth"
)

// awsCLI is Debian's AWS CLI v2 (an older v1 may come first on PATH).
const awsCLI = "/usr/bin/aws"

// cli runs the AWS CLI as key k against e and returns its output and
// whether it succeeded.
func (e *env) cli(k auth.Key, args ...string) (string, bool) {
	e.t.Helper()
	cmd := exec.Command(awsCLI, append([]string{"--endpoint-url", e.srv.URL, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+k.ID, "AWS_SECRET_ACCESS_KEY="+k.Secret,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

func TestAWSCLI(t *testing.T) {
	if _, err := os.Stat(awsCLI); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required (scripts/test.sh installs it): %v", awsCLI, err)
		}
		t.Skipf("%s not installed", awsCLI)
	}
	e := newEnv(t, auth.Config{})
	mustCLI := func(k auth.Key, args ...string) string {
		t.Helper()
		out, ok := e.cli(k, args...)
		if !ok {
			t.Fatalf("aws %s: %s", strings.Join(args, " "), out)
		}
		return out
	}
	failCLI := func(want string, k auth.Key, args ...string) {
		t.Helper()
		out, ok := e.cli(k, args...)
		if ok || !strings.Contains(out, want) {
			t.Fatalf("aws %s as %s: want failure %s, got ok=%v: %s", strings.Join(args, " "), k.ID, want, ok, out)
		}
		if strings.Contains(out, adminKey.Secret) || strings.Contains(out, streamKey.Secret) {
			t.Fatalf("a secret is in the output: %s", out)
		}
	}
	mustCLI(adminKey, "kinesis", "create-stream", "--stream-name", "a-data", "--shard-count", "1")
	mustCLI(adminKey, "kinesis", "wait", "stream-exists", "--stream-name", "a-data")
	mustCLI(streamKey, "kinesis", "put-record", "--stream-name", "a-data", "--partition-key", "p",
		"--data", "hello", "--cli-binary-format", "raw-in-base64-out")
	mustCLI(adminKey, "kinesisvideo", "create-stream", "--stream-name", "a-cam", "--data-retention-in-hours", "1")
	mustCLI(adminKey, "kinesisvideo", "create-stream", "--stream-name", "b-cam", "--data-retention-in-hours", "1")
	waitVideoActive(t, e.video(as(adminKey)), "a-cam", "b-cam")
	mustCLI(streamKey, "kinesisvideo", "describe-stream", "--stream-name", "a-cam")
	mustCLI(streamKey, "kinesis-video-archived-media", "list-fragments", "--stream-name", "a-cam")

	wrong := auth.Key{ID: adminKey.ID, Secret: "not-the-secret"}
	failCLI("InvalidSignatureException", wrong, "kinesis", "list-streams")
	failCLI("InvalidSignatureException", wrong, "kinesisvideo", "list-streams")
	failCLI("UnrecognizedClientException", auth.Key{ID: "AKIDNOBODY", Secret: "x"}, "kinesis", "list-streams")
	failCLI("AccessDeniedException", streamKey, "kinesisvideo", "describe-stream", "--stream-name", "b-cam")
	failCLI("NotAuthorizedException", streamKey, "kinesis-video-archived-media", "list-fragments", "--stream-name", "b-cam")
	failCLI("AccessDeniedException", streamKey, "kinesis", "delete-stream", "--stream-name", "a-data")
}
