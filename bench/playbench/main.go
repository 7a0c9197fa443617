// Command playbench measures the playback index paths on synthetic data:
// a day of 2 s fragments (43,200 index records) is appended to an embedded
// stream core, then it times listing the whole day through the library and
// through the KVS ListFragments API (pages of 1,000), and building HLS VOD
// playlists of the last hour and of the last day, each with the library's
// index cache off and on. It prints a markdown report and writes it to
// bench/results/playbench.md.
//
//	go run ./bench/playbench [--fragments 43200] [--runs 5] [--results FILE]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/playback"
	"github.com/sluice-dev/sluice/storage/fs"
	"github.com/sluice-dev/sluice/streams"
	"github.com/sluice-dev/sluice/streams/embedded"
	"github.com/sluice-dev/sluice/web"
)

func main() {
	n := flag.Int("fragments", 43200, "index records to append (2 s each)")
	runs := flag.Int("runs", 5, "timed runs of each measurement (the median is reported)")
	results := flag.String("results", "bench/results/playbench.md", "write the report (markdown) to this file; empty: only print it")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the timed runs to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "playbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*n, *runs, *results); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "playbench:", err)
		os.Exit(1)
	}
}

func run(n, runs int, results string) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "playbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := embedded.Start(embedded.Config{Dir: dir + "/js"})
	if err != nil {
		return err
	}
	defer srv.Shutdown()
	nc, err := srv.Connect("playbench")
	if err != nil {
		return err
	}
	quiet := slog.New(slog.DiscardHandler)
	core, err := streams.Open(ctx, nc, fragments.CoreConfig(streams.Config{Logger: quiet}))
	if err != nil {
		return err
	}
	defer core.Close()
	rep := &report{runs: runs, loadBefore: loadAvg(), started: time.Now().UTC()}
	lib := fragments.NewLibrary(core, fragments.LibraryConfig{}) // the recording node's, cache on
	if _, err := lib.Create(ctx, fragments.StreamSpec{Name: "day", RetentionHours: 48}); err != nil {
		return err
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if s, _ := lib.Describe(ctx, "day"); s.Status == "ACTIVE" || time.Now().After(deadline) {
			break
		}
	}
	// A day ending now: server and producer times 2 s apart.
	start := time.Now().Add(-time.Duration(n) * 2 * time.Second)
	t0 := time.Now()
	for i := range n {
		at := start.Add(time.Duration(i) * 2 * time.Second)
		_, err := lib.Append(ctx, "day", fragments.Info{
			Key: fmt.Sprintf("video/s-day/1/fragments/%013d-s-%06d.m4s", at.UnixMilli(), i), InitKey: "video/s-day/1/init/abc.mp4",
			ProducerTime: at, ServerTime: at, Duration: 2 * time.Second, Size: 500_000, Keyframe: true,
			Session: "s", SessionIndex: i, Samples: map[int]int{1: 50, 2: 94},
			Tracks: []fragments.TrackInfo{{ID: 1, Kind: "video", Codec: "avc1.64001f", Name: "H264", Width: 1280, Height: 720, Timescale: 90000}},
		})
		if err != nil {
			return err
		}
	}
	rep.add("append the day's index records", n, []time.Duration{time.Since(t0)})

	// The same index read through a library without its cache of index
	// records, with one that fills it on its first run (another node),
	// and through the library that appended (the recording node: the
	// appends filled its cache).
	for _, cfg := range []struct {
		name string
		lib  *fragments.Library
	}{
		{"cache off", fragments.NewLibrary(core, fragments.LibraryConfig{IndexCacheBytes: -1})},
		{"cache on, another node", fragments.NewLibrary(core, fragments.LibraryConfig{})},
		{"cache on, the recording node", lib},
	} {
		if err := measure(ctx, rep, cfg.name, dir, cfg.lib, quiet); err != nil {
			return err
		}
	}
	rep.loadAfter = loadAvg()
	fmt.Print(rep.markdown())
	if results == "" {
		return nil
	}
	return os.WriteFile(results, []byte(rep.markdown()), 0o644)
}

// measure times the listings and playlists of the day through lib.
func measure(ctx context.Context, rep *report, cfg, dir string, lib *fragments.Library, quiet *slog.Logger) error {
	median := func(name string, fn func() (int, error)) error {
		var ds []time.Duration
		count := 0
		for range rep.runs {
			t := time.Now()
			c, err := fn()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			ds = append(ds, time.Since(t))
			count = c
		}
		rep.add(name+" ("+cfg+")", count, ds)
		return nil
	}
	if err := median("library: list the whole day", func() (int, error) {
		c := 0
		err := lib.Fragments(ctx, "day", fragments.Selector{}, func(fragments.Info) bool { c++; return true })
		return c, err
	}); err != nil {
		return err
	}
	if err := median("library: seek one hour back by producer time, list it", func() (int, error) {
		c := 0
		err := lib.Fragments(ctx, "day", fragments.Selector{Producer: true, Start: time.Now().Add(-time.Hour)}, func(fragments.Info) bool { c++; return true })
		return c, err
	}); err != nil {
		return err
	}

	bucket, err := fs.Open(dir + "/archive")
	if err != nil {
		return err
	}
	hub := fragments.NewHub(0)
	src := playback.NewSource(lib, bucket, hub, playback.SourceConfig{})
	key, err := lib.Secret(ctx, "playback-sessions")
	if err != nil {
		return err
	}
	h := web.New(web.Config{Logger: quiet}, web.Deps{Video: lib, Archive: bucket, Playback: src, Signer: playback.NewSigner(key, nil)})
	ts := httptest.NewServer(h.Handler())
	defer ts.Close()
	post := func(op string, body any) ([]byte, error) {
		b, _ := json.Marshal(body)
		resp, err := http.Post(ts.URL+op, "application/json", bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			return nil, fmt.Errorf("%s: %d %s", op, resp.StatusCode, raw)
		}
		return raw, err
	}
	postJSON := func(op string, body any) (map[string]any, error) {
		raw, err := post(op, body)
		if err != nil {
			return nil, err
		}
		out := map[string]any{}
		return out, json.Unmarshal(raw, &out)
	}
	// listDay pages through ListFragments; page returns a page's fragment
	// count and NextToken.
	listDay := func(page func(raw []byte) (int, string, error)) (int, error) {
		c, token := 0, ""
		for {
			req := map[string]any{"StreamName": "day", "MaxResults": 1000}
			if token != "" {
				req["NextToken"] = token
			}
			raw, err := post("/listFragments", req)
			if err != nil {
				return c, err
			}
			got, next, err := page(raw)
			if err != nil {
				return c, err
			}
			c += got
			if next == "" {
				return c, nil
			}
			token = next
		}
	}
	if err := median("KVS ListFragments of the whole day, pages of 1,000 over HTTP", func() (int, error) {
		return listDay(func(raw []byte) (int, string, error) {
			out := map[string]any{}
			if err := json.Unmarshal(raw, &out); err != nil {
				return 0, "", err
			}
			next, _ := out["NextToken"].(string)
			return len(out["Fragments"].([]any)), next, nil
		})
	}); err != nil {
		return err
	}
	if err := median("the same, bodies not JSON-decoded (server and transport only)", func() (int, error) {
		return listDay(func(raw []byte) (int, string, error) {
			next := ""
			if i := bytes.LastIndex(raw, []byte(`"NextToken":"`)); i >= 0 {
				next = strings.TrimSuffix(string(raw[i+len(`"NextToken":"`):]), `"}`)
			}
			return bytes.Count(raw, []byte(`"FragmentNumber"`)), next, nil
		})
	}); err != nil {
		return err
	}
	for _, span := range []time.Duration{time.Hour, 24 * time.Hour} {
		out, err := postJSON("/getHLSStreamingSessionURL", map[string]any{
			"StreamName": "day", "PlaybackMode": "ON_DEMAND", "MaxMediaPlaylistFragmentResults": 5000,
			"HLSFragmentSelector": map[string]any{"FragmentSelectorType": "SERVER_TIMESTAMP",
				"TimestampRange": map[string]any{"StartTimestamp": float64(time.Now().Add(-span).Unix()), "EndTimestamp": float64(time.Now().Unix())}},
		})
		if err != nil {
			return err
		}
		master := out["HLSStreamingSessionURL"].(string)
		media := ""
		if err := median(fmt.Sprintf("HLS ON_DEMAND media playlist of the last %v (max 5,000)", span), func() (int, error) {
			if media == "" {
				b, err := get(ts.URL, master)
				if err != nil {
					return 0, err
				}
				for _, l := range bytes.Split(b, []byte("\n")) {
					if len(l) > 0 && l[0] != '#' {
						media = string(l)
					}
				}
			}
			b, err := get(ts.URL, media)
			return bytes.Count(b, []byte("#EXTINF")), err
		}); err != nil {
			return err
		}
	}
	return nil
}

// get fetches u: absolute, or relative to the server's root.
func get(base, u string) ([]byte, error) {
	ref, err := url.Parse(u)
	if err != nil {
		return nil, err
	}
	root, _ := url.Parse(base + "/")
	resp, err := http.Get(root.ResolveReference(ref).String())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	return b, err
}
