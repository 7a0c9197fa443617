package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// StartDynalite runs dynalite (a DynamoDB in Node.js, from web/browsertest's
// npm packages) on a loopback port the kernel picks, in memory, and
// returns its endpoint URL; it is stopped at cleanup. Tests use it for
// the lease tables of KCL applications.
func StartDynalite(t *testing.T) string {
	t.Helper()
	mod := filepath.Join(Browsertest, "node_modules", "dynalite")
	if _, err := os.Stat(mod); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required (scripts/test.sh runs npm ci in web/browsertest): %v", mod, err)
		}
		t.Skipf("%s missing (scripts/test.sh installs it)", mod)
	}
	script := `const s = require(process.argv[1])({createTableMs: 50, deleteTableMs: 50, updateTableMs: 50});
s.listen(0, '127.0.0.1', () => console.log('port ' + s.address().port));`
	cmd := exec.Command("node", "-e", script, mod)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("node (dynalite): %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "port "); ok {
				port <- p
			}
		}
	}()
	select {
	case p := <-port:
		return "http://127.0.0.1:" + p
	case <-time.After(20 * time.Second):
		t.Fatal("dynalite did not start within 20 s")
		return ""
	}
}
