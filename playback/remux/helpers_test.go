package remux_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/fragments/fragmentstest"
)

// start is the producer time of the test media.
var start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// session writes the test media (4 s of H.264 at 25 fps, keyframes every
// second, and AAC) as one session starting at at, in fragments of about
// target.
func session(t testing.TB, name string, at time.Time, target time.Duration, notBefore time.Time) []*fragments.Fragment {
	t.Helper()
	var out []*fragments.Fragment
	w, err := fragments.NewWriter(fragments.WriterConfig{
		Session: name, TargetDuration: target, NotBefore: notBefore,
		OnFragment: func(f *fragments.Fragment) { out = append(out, f) },
	}, fragmentstest.Tracks(t))
	if err != nil {
		t.Fatal(err)
	}
	fragmentstest.Feed(t, at, false, func(u fragments.Unit) { w.Write(u) })
	w.Close()
	return out
}

// requireTool fails under CI (which installs the tool) and skips elsewhere.
func requireTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required (scripts/test.sh installs it): %v", name, err)
		}
		t.Skipf("%s not installed (scripts/test.sh installs it)", name)
	}
}

func writeTemp(t testing.TB, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// packet is one packet as ffprobe reports it.
type packet struct {
	kind     string // codec_type
	pts, dts float64
	key      bool
}

// probePackets lists a file's packets in file order.
func probePackets(t testing.TB, path string, format ...string) []packet {
	t.Helper()
	requireTool(t, "ffprobe")
	args := []string{"-v", "error"}
	if len(format) > 0 {
		args = append(args, "-f", format[0])
	}
	args = append(args, "-show_entries", "packet=codec_type,pts_time,dts_time,flags", "-of", "csv=p=0", path)
	out, err := exec.Command("ffprobe", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	var ps []packet
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(l, ",")
		if len(f) < 4 {
			continue
		}
		p := packet{kind: f[0], key: strings.HasPrefix(f[3], "K")}
		p.pts, _ = strconv.ParseFloat(f[1], 64)
		p.dts, _ = strconv.ParseFloat(f[2], 64)
		ps = append(ps, p)
	}
	return ps
}

// probeFormat returns ffprobe's format_name and duration of a file.
func probeFormat(t testing.TB, path string) (string, float64) {
	t.Helper()
	requireTool(t, "ffprobe")
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=format_name,duration", "-of", "json", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	var v struct {
		Format struct {
			FormatName string `json:"format_name"`
			Duration   string `json:"duration"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("ffprobe %s: %v\n%s", path, err, out)
	}
	d, _ := strconv.ParseFloat(v.Format.Duration, 64)
	return v.Format.FormatName, d
}

func count(ps []packet, kind string) int {
	n := 0
	for _, p := range ps {
		if p.kind == kind {
			n++
		}
	}
	return n
}
