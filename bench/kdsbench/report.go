package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

// report is everything one run measured. Its JSON form is what --out writes
// for .json/.jsonl files.
type report struct {
	Time          string          `json:"time"`
	Label         string          `json:"label,omitempty"`
	Endpoint      string          `json:"endpoint"`
	Stream        string          `json:"stream"`
	StreamCreated bool            `json:"stream_created"`
	Shards        int             `json:"shards"`
	Producers     int             `json:"producers"`
	Batch         int             `json:"batch"`
	RecordSize    int             `json:"record_size"`
	Put           *putReport      `json:"put,omitempty"`
	Get           *getReport      `json:"get,omitempty"`
	Delivery      *deliveryResult `json:"delivery,omitempty"`
	Problems      []string        `json:"problems,omitempty"`
}

type putReport struct {
	ElapsedS    float64          `json:"elapsed_s"`
	Calls       int64            `json:"calls"`
	CallErrors  int64            `json:"call_errors"`
	Sent        int64            `json:"sent"`
	Acked       int64            `json:"acked"`
	Unknown     int64            `json:"unknown_outcome"`
	Failed      int64            `json:"failed"`
	RecPerS     float64          `json:"records_per_s"`
	MBPerS      float64          `json:"mb_per_s"`
	Latency     summary          `json:"call_latency"`
	RecordCodes map[string]int64 `json:"record_error_codes,omitempty"`
	CallCodes   map[string]int64 `json:"call_error_codes,omitempty"`
	FirstError  string           `json:"first_error,omitempty"`
}

type getReport struct {
	ElapsedS  float64  `json:"elapsed_s"`
	Calls     int64    `json:"calls"`
	Throttled int64    `json:"throttled"`
	Errors    int64    `json:"errors"`
	Read      int64    `json:"read"`
	Matched   int64    `json:"read_from_this_run"`
	Expected  int64    `json:"expected"`        // acknowledged by the put phase; -1 without one
	Unknown   int64    `json:"unknown_outcome"` // put records whose call was lost in transport
	Check     string   `json:"check"`           // "ok", "MISMATCH" or "unchecked"
	RecPerS   float64  `json:"records_per_s"`
	MBPerS    float64  `json:"mb_per_s"`
	Latency   summary  `json:"call_latency"`
	ShardErrs []string `json:"shard_errors,omitempty"`
}

func newPutReport(r putResult, recordSize int) *putReport {
	s := r.Elapsed.Seconds()
	return &putReport{
		ElapsedS: s, Calls: r.Calls, CallErrors: r.CallErrors,
		Sent: r.Sent, Acked: r.Acked, Failed: r.Failed,
		RecPerS:     rate(float64(r.Acked), s),
		MBPerS:      rate(float64(r.Acked)*float64(recordSize)/1e6, s),
		Latency:     r.Latency,
		RecordCodes: r.RecordCodes, CallCodes: r.CallCodes, FirstError: r.FirstError,
	}
}

// newGetReport checks the read-back count: every acknowledged record, and
// at most the unknown-outcome ones besides (a call lost in transport may
// have been stored, as with any Kinesis client).
func newGetReport(r getResult, expected, unknown int64) *getReport {
	s := r.Elapsed.Seconds()
	g := &getReport{
		ElapsedS: s, Calls: r.Calls, Throttled: r.Throttled, Errors: r.Errors,
		Read: r.Read, Matched: r.Matched, Expected: expected, Unknown: unknown,
		RecPerS:   rate(float64(r.Read), s),
		MBPerS:    rate(float64(r.Bytes)/1e6, s),
		Latency:   r.Latency,
		ShardErrs: r.ShardErrs,
		Check:     "unchecked",
	}
	if expected >= 0 {
		g.Check = "ok"
		if r.Matched < expected || r.Matched > expected+unknown || len(r.ShardErrs) > 0 {
			g.Check = "MISMATCH"
		}
	}
	return g
}

func rate(n, seconds float64) float64 {
	if seconds <= 0 {
		return 0
	}
	return n / seconds
}

// printHuman writes the readable block.
func (r *report) printHuman(w io.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("== kdsbench %s ==", r.Label)
	p("endpoint %s  stream %s (%d shards, %s)  at %s", r.Endpoint, r.Stream, r.Shards,
		map[bool]string{true: "created", false: "existing"}[r.StreamCreated], r.Time)
	if x := r.Put; x != nil {
		p("PutRecords   %d producers x batch %d x %d B records, %.1f s", r.Producers, r.Batch, r.RecordSize, x.ElapsedS)
		p("  acknowledged %d of %d records: %.0f records/s, %.2f MB/s (payload, 1 MB = 10^6 B)", x.Acked, x.Sent, x.RecPerS, x.MBPerS)
		p("  call latency p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d calls)", x.Latency.P50, x.Latency.P99, x.Latency.Max, x.Calls)
		if x.Failed > 0 || x.CallErrors > 0 {
			p("  !! FAILED records %d (per-record codes %v), failed calls %d (codes %v)", x.Failed, fmtCodes(x.RecordCodes), x.CallErrors, fmtCodes(x.CallCodes))
			if x.FirstError != "" {
				p("  !! first call error: %s", x.FirstError)
			}
		}
	}
	if x := r.Get; x != nil {
		p("GetRecords   TRIM_HORIZON, Limit 10000, one reader per shard, %.2f s", x.ElapsedS)
		p("  read %d records: %.0f records/s, %.2f MB/s; call latency p50 %.2f ms, p99 %.2f ms (%d calls)", x.Read, x.RecPerS, x.MBPerS, x.Latency.P50, x.Latency.P99, x.Calls)
		switch x.Check {
		case "ok":
			p("  check ok: %d records of this run read back; %d acknowledged, %d of unknown outcome (calls lost in transport)", x.Matched, x.Expected, x.Unknown)
		case "MISMATCH":
			p("  !!!!!!!! MISMATCH: read back %d records of this run, %d were acknowledged (%+d) !!!!!!!!", x.Matched, x.Expected, x.Matched-x.Expected)
		default:
			p("  unchecked (no put phase in this run); %d records carried this run's marker", x.Matched)
		}
		if x.Throttled > 0 || x.Errors > 0 {
			p("  !! throttled %d, errors %d", x.Throttled, x.Errors)
		}
		for _, e := range x.ShardErrs {
			p("  !! shard %s", e)
		}
	}
	if x := r.Delivery; x != nil {
		if x.Fallback != "" {
			p("Delivery     enhanced fan-out unavailable (%s); fell back to polling", x.Fallback)
		}
		if x.Err != "" {
			p("Delivery     !! not measured: %s", x.Err)
		} else {
			p("Delivery     %s", x.Description)
			p("  %d records at %d/s, %d acknowledged, %d delivered, %d duplicates; warm-up %.2f s", x.Sent, x.Rate, x.Acked, x.Received, x.Duplicates, x.Warmup)
			p("  latency (receive - send wall clock) p50 %.2f ms, p99 %.2f ms, max %.2f ms, mean %.2f ms", x.Latency.P50, x.Latency.P99, x.Latency.Max, x.Latency.Mean)
			p("  PutRecord call latency p50 %.2f ms, p99 %.2f ms", x.PutLatency.P50, x.PutLatency.P99)
			if x.Method == deliveryPoll {
				p("  %d GetRecords polls (%d failed)", x.Polls, x.PollErrors)
			}
			if x.Received < x.Acked {
				p("  !! %d acknowledged records were not delivered", x.Acked-x.Received)
			}
			if x.PutErrors > 0 {
				p("  !! %d PutRecord calls failed", x.PutErrors)
			}
		}
		for _, e := range x.Problems {
			p("  !! %s", e)
		}
	}
	for _, e := range r.Problems {
		p("!! %s", e)
	}
}

func fmtCodes(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, ",")
}

// markdownHeader is the table header that markdown rows belong under.
const markdownHeader = "| date | label | shards | producers x batch x bytes | put rec/s | put MB/s | put call p50/p99 ms | put failed | get rec/s | get MB/s | get check | delivery method | delivery p50/p99/max ms | delivered/acked |\n" +
	"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"

// markdownRow renders the report as one table row.
func (r *report) markdownRow() string {
	dash := "-"
	cols := []string{r.Time, r.Label, fmt.Sprint(r.Shards), fmt.Sprintf("%d x %d x %d", r.Producers, r.Batch, r.RecordSize)}
	if x := r.Put; x != nil {
		cols = append(cols, fmt.Sprintf("%.0f", x.RecPerS), fmt.Sprintf("%.2f", x.MBPerS),
			fmt.Sprintf("%.1f / %.1f", x.Latency.P50, x.Latency.P99), fmt.Sprint(x.Failed))
	} else {
		cols = append(cols, dash, dash, dash, dash)
	}
	if x := r.Get; x != nil {
		check := x.Check
		if check == "MISMATCH" {
			check = fmt.Sprintf("**MISMATCH %d/%d**", x.Matched, x.Expected)
		}
		cols = append(cols, fmt.Sprintf("%.0f", x.RecPerS), fmt.Sprintf("%.2f", x.MBPerS), check)
	} else {
		cols = append(cols, dash, dash, dash)
	}
	if x := r.Delivery; x != nil && x.Err == "" {
		cols = append(cols, x.Description,
			fmt.Sprintf("%.1f / %.1f / %.1f", x.Latency.P50, x.Latency.P99, x.Latency.Max),
			fmt.Sprintf("%d/%d", x.Received, x.Acked))
	} else if x != nil {
		cols = append(cols, "not measured: "+x.Err, dash, dash)
	} else {
		cols = append(cols, dash, dash, dash)
	}
	for i, c := range cols {
		cols[i] = strings.ReplaceAll(c, "|", "/")
	}
	return "| " + strings.Join(cols, " | ") + " |\n"
}

// appendTo appends the report to path: a JSON line for .json/.jsonl names,
// else a markdown row, preceded by the header unless the file already ends
// in a table row.
func (r *report) appendTo(path string) error {
	var out bytes.Buffer
	if strings.HasSuffix(path, ".json") || strings.HasSuffix(path, ".jsonl") {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		out.Write(b)
		out.WriteByte('\n')
	} else {
		inTable, err := endsInTable(path)
		if err != nil {
			return err
		}
		if !inTable {
			out.WriteString("\n" + markdownHeader)
		}
		out.WriteString(r.markdownRow())
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(out.Bytes()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// endsInTable reports whether the last non-empty line of path is a table row.
func endsInTable(path string) (bool, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	last := ""
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" {
			last = t
		}
	}
	return strings.HasPrefix(last, "|"), sc.Err()
}

func nowStamp() string { return time.Now().UTC().Format("2006-01-02 15:04:05Z") }
