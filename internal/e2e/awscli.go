package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// awsCLI is Debian's AWS CLI v2 (an older v1 may come first on PATH).
const AWSCLI = "/usr/bin/aws"

func RequireTool(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required (scripts/test.sh installs it): %v", path, err)
		}
		t.Skipf("%s not installed (scripts/test.sh installs it)", path)
	}
}

// RunAWS runs the CLI against url and decodes its JSON output into out.
func RunAWS(t *testing.T, url string, out any, args ...string) {
	t.Helper()
	cmd := exec.Command(AWSCLI, append([]string{"--endpoint-url", url, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true")
	b, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	if out != nil && len(strings.TrimSpace(string(b))) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
}
