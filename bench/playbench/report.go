package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// report collects the measurements of one run of playbench.
type report struct {
	runs                  int
	started               time.Time
	loadBefore, loadAfter string
	rows                  []row
}

type row struct {
	name  string
	items int
	times []time.Duration // sorted
}

// add records a measurement of items items taken len(times) times.
func (r *report) add(name string, items int, times []time.Duration) {
	slices.Sort(times)
	r.rows = append(r.rows, row{name, items, times})
	fmt.Fprintf(os.Stderr, "%-80s %6d items  median %v\n", name, items, times[len(times)/2].Round(time.Microsecond))
}

// markdown renders the report: the machine, its load, and a table of
// medians with the minimum and maximum.
func (r *report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# playbench %s\n\n", r.started.Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "%s, %d CPUs, %s; load average (1, 5, 15 min) %s before, %s after; %d runs each, median.\n\n",
		cpuModel(), runtime.NumCPU(), runtime.Version(), r.loadBefore, r.loadAfter, r.runs)
	b.WriteString("| operation | items | median | min | max |\n| --- | --- | --- | --- | --- |\n")
	for _, w := range r.rows {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s |\n", w.name, w.items, short(w.times[len(w.times)/2]), short(w.times[0]), short(w.times[len(w.times)-1]))
	}
	return b.String()
}

// short rounds a duration to three significant digits or so.
func short(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
}

// loadAvg returns the 1, 5 and 15 minute load averages, or "unknown".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], ", ")
	}
	return "unknown"
}

// cpuModel returns the CPU's model name, or GOARCH.
func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
