// Package e2e runs the sluice binary for end-to-end tests: it builds the
// binary once per test package (Main), starts servers on free loopback
// ports (StartServer), and holds the helpers those tests share (real
// peers: ffmpeg, the AWS CLI, Chromium, versitygw, the fake camera). The
// tests themselves live in packages under cmd/sluice/e2e, which go test
// runs in parallel.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Root is the repository's root directory, found from this file's path
// (the tests run in their own package directories).
var Root = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}()

// Main builds the sluice binary into a temporary directory (with -race
// when SLUICE_E2E_RACE is set: every server's log is then checked for data
// races), runs the package's tests and removes it. Call it from TestMain.
func Main(m *testing.M) {
	dir, err := os.MkdirTemp("", "sluice-e2e")
	if err != nil {
		panic(err)
	}
	Binary = filepath.Join(dir, "sluice")
	args := []string{"build", "-o", Binary}
	if os.Getenv("SLUICE_E2E_RACE") != "" {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./cmd/sluice")...)
	cmd.Dir = Root
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building sluice: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
