// Command hlswatch watches live LL-HLS streams the way a low-latency
// player does, to load a server's live HLS path in benchmarks: for each
// stream it fetches the playlist, then loops on blocking playlist reloads
// (_HLS_msn/_HLS_part) for the next part, downloading the init segment
// once and every part as it is listed. It prints one line of totals.
//
//	go run ./bench/hlswatch --url-template http://127.0.0.1:8080/hls/bench%d/index.m3u8 \
//	    --streams 50 --duration 40s
//
// Only loopback URLs are accepted; the run is bounded by --duration.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type totals struct {
	playlists, parts, bytes, errors atomic.Int64
	mu                              sync.Mutex
	reasons                         map[string]int // error kind -> count
}

// fail counts an error by kind (its HTTP status, or the error).
func (t *totals) fail(err error) {
	t.errors.Add(1)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.reasons == nil {
		t.reasons = map[string]int{}
	}
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 {
		msg = msg[:i] // the HTTP status, or the transport error's operation
	}
	t.reasons[msg]++
}

func main() {
	tmpl := flag.String("url-template", "", "playlist URL with %d for the stream number (1..N)")
	n := flag.Int("streams", 1, "streams to watch, one player each")
	dur := flag.Duration("duration", 30*time.Second, "how long to watch (hard bound)")
	flag.Parse()
	if *tmpl == "" || *n < 1 || *n > 1000 || *dur <= 0 || *dur > 30*time.Minute {
		fmt.Fprintln(os.Stderr, "hlswatch: --url-template, --streams 1..1000 and --duration up to 30m are required")
		os.Exit(2)
	}
	if u, err := url.Parse(fmt.Sprintf(*tmpl, 1)); err != nil || !loopback(u.Hostname()) {
		fmt.Fprintln(os.Stderr, "hlswatch: only loopback URLs are accepted")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *dur)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4 * *n}}
	var t totals
	var wg sync.WaitGroup
	for i := 1; i <= *n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			watch(ctx, client, fmt.Sprintf(*tmpl, i), &t)
		}()
	}
	wg.Wait()
	for reason, n := range t.reasons {
		fmt.Printf("error %q x %d\n", reason, n)
	}
	fmt.Printf("streams=%d seconds=%.0f playlists=%d parts=%d bytes=%d errors=%d\n",
		*n, dur.Seconds(), t.playlists.Load(), t.parts.Load(), t.bytes.Load(), t.errors.Load())
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// watch follows one live playlist until ctx ends.
func watch(ctx context.Context, c *http.Client, playlist string, t *totals) {
	base, _ := url.Parse(playlist)
	seen := map[string]bool{}
	next := ""
	for ctx.Err() == nil {
		u := playlist + next
		body, err := fetch(ctx, c, u, t)
		if err != nil {
			if ctx.Err() == nil {
				t.fail(err)
				time.Sleep(500 * time.Millisecond)
			}
			continue
		}
		t.playlists.Add(1)
		pl := parse(string(body))
		for _, uri := range pl.uris {
			if seen[uri] {
				continue
			}
			seen[uri] = true
			ref, err := base.Parse(uri)
			if err != nil {
				continue
			}
			if _, err := fetch(ctx, c, ref.String(), t); err == nil {
				t.parts.Add(1)
			} else if ctx.Err() == nil {
				t.fail(err)
			}
		}
		if pl.msn < 0 {
			time.Sleep(time.Second) // not LL-HLS yet: poll
			next = ""
			continue
		}
		next = fmt.Sprintf("?_HLS_msn=%d&_HLS_part=%d", pl.msn, pl.part+1)
		if len(seen) > 2000 {
			clear(seen) // old URIs are not listed any more
		}
	}
}

// playlist is what a player needs of a media playlist: the init and part
// URIs, and the position of the newest part (msn -1 without parts).
type playlist struct {
	uris      []string
	msn, part int
}

func parse(body string) playlist {
	pl := playlist{msn: -1}
	seq, segs, parts := 0, 0, -1
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#EXT-X-MEDIA-SEQUENCE:"):
			seq, _ = strconv.Atoi(strings.TrimPrefix(line, "#EXT-X-MEDIA-SEQUENCE:"))
		case strings.HasPrefix(line, "#EXT-X-MAP:"), strings.HasPrefix(line, "#EXT-X-PART:"):
			if uri := attr(line, "URI"); uri != "" {
				pl.uris = append(pl.uris, uri)
			}
			if strings.HasPrefix(line, "#EXT-X-PART:") {
				parts++
			}
		case line != "" && !strings.HasPrefix(line, "#"):
			segs++
			parts = -1
		}
	}
	if parts >= 0 {
		pl.msn, pl.part = seq+segs, parts
	} else if segs > 0 && strings.Contains(body, "#EXT-X-PART:") {
		pl.msn, pl.part = seq+segs, -1 // the newest segment just closed
	}
	return pl
}

// attr is the value of a quoted attribute of a tag line.
func attr(line, name string) string {
	i := strings.Index(line, name+`="`)
	if i < 0 {
		return ""
	}
	rest := line[i+len(name)+2:]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return rest[:j]
}

func fetch(ctx context.Context, c *http.Client, u string, t *totals) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	t.bytes.Add(int64(len(b)))
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: %.60s", resp.Status, b)
	}
	return b, err
}
