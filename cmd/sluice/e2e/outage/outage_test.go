package outage

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/internal/e2e"
)

// fragmentsIn counts the fragment objects of stream in the bucket.
func fragmentsIn(t *testing.T, keys map[string]bool, stream string) int {
	n := 0
	for k := range keys {
		if strings.Contains(k, "/video/s-"+stream+"/") && strings.Contains(k, "/fragments/") {
			n++
		}
	}
	return n
}

// checkArchive: the listed fragments follow each other with no gap
// longer than gaps allows, add up to about want, are all in the bucket,
// and an ON_DEMAND session over them decodes in ffprobe.
func checkArchive(t *testing.T, srv *e2e.Server, keys map[string]bool, stream string, from time.Time, want time.Duration, gaps int) {
	t.Helper()
	listed := e2e.ListFragments(t, srv.URL, stream)
	var total time.Duration
	big := 0
	for i, f := range listed {
		total += time.Duration(f.FragmentLengthInMilliseconds) * time.Millisecond
		if i > 0 {
			prev := listed[i-1]
			if gap := f.ProducerTimestamp.Sub(prev.ProducerTimestamp.Add(time.Duration(prev.FragmentLengthInMilliseconds) * time.Millisecond)); gap > 100*time.Millisecond {
				big++
			}
		}
	}
	if big > gaps || total < want-4*time.Second || total > want+2*time.Second {
		t.Errorf("%s: %d fragments listed adding up to %v with %d gaps, want about %v with at most %d", stream, len(listed), total, big, want, gaps)
	}
	if n := fragmentsIn(t, keys, stream); n != len(listed) {
		t.Errorf("%s: %d fragments listed, %d in the bucket", stream, len(listed), n)
	}
	u := e2e.SessionURL(t, srv.URL, stream, "--playback-mode", "ON_DEMAND", "--hls-fragment-selector",
		e2e.Selector("SERVER_TIMESTAMP", from.Add(-2*time.Second), time.Now().Add(2*time.Second)))
	dur, packets := e2e.ProbeTimeline(t, u)
	if dur < total.Seconds()-0.5 || float64(packets["video"]) < 25*(total.Seconds()-1) || packets["audio"] == 0 {
		t.Errorf("%s: ON_DEMAND decodes %.2f s, %v packets; %v listed", stream, dur, packets, total)
	}
	t.Logf("%s: %d fragments, %v, %d gaps; ON_DEMAND %.2f s, %d video packets", stream, len(listed), total.Round(time.Millisecond), big, dur, packets["video"])
}

// TestBucketOutage: versitygw is SIGKILLed for OutageDuration while two
// RTSP publishers record, then restarted on the same port and root.
// During the outage the newest fragments are listed, and clipped and
// played from the spool; afterwards everything is in the bucket, the
// archive has no gap, and the log has one "failing" and one "recovered"
// line.
func TestBucketOutage(t *testing.T) {
	e2e.RequireFFmpeg(t)
	e2e.RequireTool(t, e2e.AWSCLI)
	outage := e2e.OutageDuration()
	g, bucket, storage, env := e2e.StartGateway(t)
	srv := e2e.StartServerEnv(t, t.TempDir(), env, "--storage", storage)
	seconds := int(outage.Seconds()) + 20
	began := time.Now()
	cams := []string{"cam-a", "cam-b"}
	for _, cam := range cams {
		pub := e2e.Publish(t, srv.RTSP+"/"+cam, "libx264", "tcp", seconds)
		defer pub.Wait()
	}
	e2e.WaitFor(t, 15*time.Second, "two fragments of each camera archived", func() bool {
		for _, cam := range cams {
			if len(e2e.ListFragments(t, srv.URL, cam)) < 2 {
				return false
			}
		}
		return true
	})
	g.Kill()
	down := time.Now()
	time.Sleep(outage / 2) // well into the outage

	// The newest fragments are indexed, clipped and played from the spool.
	listed := e2e.ListFragments(t, srv.URL, "cam-a")
	newest := listed[len(listed)-1]
	if end := newest.ProducerTimestamp.Add(time.Duration(newest.FragmentLengthInMilliseconds) * time.Millisecond); end.Before(time.Now().Add(-5 * time.Second)) {
		t.Fatalf("during the outage the newest fragment listed ends at %v, %v ago", end, time.Since(end))
	}
	to := time.Now().Add(-time.Second).Truncate(time.Second)
	frames, clipDur := e2e.CheckFrames(t, e2e.GetClip(t, srv.URL, "cam-a", to.Add(-6*time.Second), to))
	if clipDur < 4 {
		t.Fatalf("a clip of the last 6 s during the outage lasts %.2f s (%d frames)", clipDur, frames)
	}
	_, body := e2e.HttpGet(t, srv.URL+"/api/v1/streams")
	if !strings.Contains(body, `"archive_delayed":true`) {
		t.Errorf("the stream list does not say the archive is delayed: %s", body)
	}
	if n := e2e.Metric(t, srv.URL, "sluice_archive_failing"); n != 1 {
		t.Errorf("sluice_archive_failing %v during the outage", n)
	}
	t.Logf("during the outage: the newest fragment listed is %v old; a clip of 6 s has %d frames (%.2f s)", time.Since(newest.ProducerTimestamp).Round(time.Millisecond), frames, clipDur)

	time.Sleep(time.Until(down.Add(outage)))
	if err := g.Restart(); err != nil {
		t.Fatal(err)
	}
	up := time.Now()
	e2e.WaitFor(t, time.Duration(seconds)*time.Second, "the publishers to finish", func() bool {
		return time.Since(began) > time.Duration(seconds+2)*time.Second
	})
	e2e.WaitFor(t, 60*time.Second, "the spool to empty", func() bool {
		return e2e.Metric(t, srv.URL, "sluice_spool_objects") == 0
	})
	t.Logf("bucket down %v; every upload done %v after it came back (the publishers went on meanwhile)", up.Sub(down).Round(time.Second), time.Since(up).Round(time.Second))
	keys := e2e.BucketKeys(t, g, bucket, "archive/")
	for _, cam := range cams {
		checkArchive(t, srv, keys, cam, began, time.Duration(seconds)*time.Second, 0)
	}
	log := srv.Log.String()
	if a, b := strings.Count(log, "archive bucket failing"), strings.Count(log, "archive bucket recovered"); a != 1 || b != 1 {
		t.Errorf("%d 'failing' and %d 'recovered' log lines, want one each", a, b)
	}
	if strings.Contains(log, "not archived") || strings.Contains(log, "spool full") {
		t.Errorf("the log reports lost fragments:\n%s", log)
	}
}

// TestBucketOutageWithRestart: Sluice is SIGKILLed in the middle of a
// bucket outage and started again (same data directory); after the
// bucket returns, every fragment the index holds is in the bucket and the
// spool is empty.
func TestBucketOutageWithRestart(t *testing.T) {
	e2e.RequireFFmpeg(t)
	e2e.RequireTool(t, e2e.AWSCLI)
	outage := e2e.OutageDuration()
	g, bucket, storage, env := e2e.StartGateway(t)
	dir := t.TempDir()
	srv := e2e.StartServerEnv(t, dir, env, "--storage", storage, "--lease-ttl", "3s")
	began := time.Now()
	pub := e2e.Publish(t, srv.RTSP+"/cam", "libx264", "tcp", int(outage.Seconds())+10)
	e2e.WaitFor(t, 15*time.Second, "two fragments archived", func() bool { return len(e2e.ListFragments(t, srv.URL, "cam")) >= 2 })
	g.Kill()
	down := time.Now()
	time.Sleep(outage / 2)
	before := len(e2e.ListFragments(t, srv.URL, "cam"))
	// Killed while a fragment is being written (its spool file has no
	// meta yet), which is nearly always; between two fragments there is
	// none, and nothing to salvage.
	e2e.WaitFor(t, 10*time.Second, "a fragment being written", func() bool { return len(tornSpool(t, dir)) > 0 })
	killed := time.Now()
	srv.Kill()
	torn := len(tornSpool(t, dir))
	pub.Process.Kill()
	srv = e2e.StartServerEnv(t, dir, env, "--storage", storage, "--lease-ttl", "3s")
	// The killed process's lease of the stream holds for its TTL: the
	// restarted node accepts the publisher once it expired.
	e2e.WaitFor(t, 20*time.Second, "the restarted node to take the publisher", func() bool {
		ok, _ := e2e.PublishFor(t, srv.RTSP+"/cam", 6)
		return ok
	})
	time.Sleep(time.Until(down.Add(outage)))
	if err := g.Restart(); err != nil {
		t.Fatal(err)
	}
	e2e.WaitFor(t, 60*time.Second, "the spool to empty", func() bool {
		return e2e.Metric(t, srv.URL, "sluice_spool_objects") == 0
	})
	// The fragment open at the kill is salvaged up to its last whole part
	// (or dropped when the kill came before its first part closed).
	salvaged, empty := strings.Count(srv.Log.String(), "salvaged up to its last whole part"), strings.Count(srv.Log.String(), "dropped: no whole part")
	if salvaged+empty != torn {
		t.Errorf("the fragment open at the kill: %d salvaged, %d dropped without a whole part; want %d:\n%s", salvaged, empty, torn, srv.Log.String())
	}
	listed := e2e.ListFragments(t, srv.URL, "cam")
	if len(listed) <= before {
		t.Fatalf("%d fragments listed after the restart, %d before it", len(listed), before)
	}
	keys := e2e.BucketKeys(t, g, bucket, "archive/")
	if n := fragmentsIn(t, keys, "cam"); n != len(listed) {
		t.Fatalf("%d fragments indexed, %d in the bucket: an acknowledged fragment is missing", len(listed), n)
	}
	if n, err := countSpool(dir); err != nil || n > 2 {
		t.Fatalf("%d objects left in the spool (%v): more than the two init segments kept", n, err)
	}
	// The media decodes across the restart (a discontinuity, no overlap):
	// what was published before the kill (but the fragment then open) and
	// the 6 s after it.
	checkArchive(t, srv, keys, "cam", began, killed.Sub(began)+6*time.Second, 2)
	t.Logf("%d fragments indexed before the kill, %d after; all in the bucket", before, len(listed))
}

// keyframeAndGOP reads the video packets of an HLS session with ffprobe:
// the largest keyframe and the largest group of pictures, in bytes.
func keyframeAndGOP(t *testing.T, url string) (key, gop float64) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "packet=size,flags", "-of", "csv=p=0", url).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", url, err)
	}
	var cur float64
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		size, flags, _ := strings.Cut(l, ",")
		n, err := strconv.ParseFloat(size, 64)
		if err != nil {
			continue
		}
		if strings.HasPrefix(flags, "K") {
			key, cur = max(key, n), 0
		}
		cur += n
		gop = max(gop, cur)
	}
	return key, gop
}

// countSpool counts the objects (data files) in a data directory's spool.
// tornSpool lists the spool's data files without a meta file: the
// fragments being written.
func tornSpool(t *testing.T, dataDir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dataDir, "spool", "*.data"))
	if err != nil {
		t.Fatal(err)
	}
	var torn []string
	for _, f := range files {
		if _, err := os.Stat(strings.TrimSuffix(f, ".data") + ".meta"); errors.Is(err, fs.ErrNotExist) {
			torn = append(torn, f)
		}
	}
	return torn
}

func countSpool(dataDir string) (int, error) {
	files, err := filepath.Glob(filepath.Join(dataDir, "spool", "*.data"))
	return len(files), err
}

// TestSpoolFull: with the bucket down the whole time and a spool of
// 300 kB, a 20 s recording overflows it: the oldest fragments are
// dropped, each logged and counted in the recording's status, and the
// spool stays within its bound; when the bucket returns, what is left is
// uploaded.
func TestSpoolFull(t *testing.T) {
	e2e.RequireFFmpeg(t)
	const spoolMax = 300_000
	g, _, storage, env := e2e.StartGateway(t)
	srv := e2e.StartServerEnv(t, t.TempDir(), env, "--storage", storage, "--spool-max-bytes", fmt.Sprint(spoolMax))
	g.Kill()
	pub := e2e.Publish(t, srv.RTSP+"/cam", "libx264", "tcp", 20)
	finished := make(chan struct{})
	go func() { pub.Wait(); close(finished) }()
	var dropped, cached, edge float64
	e2e.WaitFor(t, 40*time.Second, "the publisher to finish", func() bool {
		if b := e2e.Metric(t, srv.URL, "sluice_spool_bytes"); b > spoolMax {
			t.Fatalf("the spool holds %v bytes, past its %d", b, spoolMax)
		}
		cached = max(cached, e2e.Metric(t, srv.URL, "sluice_relay_cached_bytes"))
		edge = max(edge, e2e.Metric(t, srv.URL, "sluice_live_edge_bytes")) // checked against the video's keyframes below
		_, body := e2e.HttpGet(t, srv.URL+"/api/v1/recordings")
		var rec struct{ Recordings []struct{ Dropped int } }
		if json.Unmarshal([]byte(body), &rec) == nil && len(rec.Recordings) == 1 {
			dropped = float64(rec.Recordings[0].Dropped)
		}
		select {
		case <-finished:
			return true
		default:
			return false
		}
	})
	n := e2e.Metric(t, srv.URL, "sluice_spool_dropped_total")
	logged := float64(strings.Count(srv.Log.String(), "spool full: fragment dropped"))
	if n == 0 || logged != n || dropped == 0 {
		t.Fatalf("%v fragments dropped by the metric, %v logged, %v in the recording's status", n, logged, dropped)
	}
	if err := g.Restart(); err != nil {
		t.Fatal(err)
	}
	e2e.WaitFor(t, 30*time.Second, "the spool to empty", func() bool {
		return e2e.Metric(t, srv.URL, "sluice_spool_objects") == 0
	})
	t.Logf("a 300 kB spool with the bucket down for 20 s of video: %v fragments dropped (logged, and %v in the status while recording)", n, dropped)

	// The dropped fragments keep their index records (KVS lists them);
	// the location map says they were dropped: the timeline lists them as
	// missing, a read of one is a 404 that says why, and playback skips
	// them (an ON_DEMAND session has the others, and decodes).
	listed := e2e.ListFragments(t, srv.URL, "cam")
	_, body := e2e.HttpGet(t, srv.URL+"/api/v1/streams/cam/timeline?start="+e2e.CliTime(listed[0].ProducerTimestamp.Add(-time.Minute))+
		"&end="+e2e.CliTime(time.Now().Add(time.Minute)))
	var tl struct {
		Missing []struct {
			Start  time.Time
			Reason string
		}
	}
	if err := json.Unmarshal([]byte(body), &tl); err != nil || float64(len(tl.Missing)) != n || !strings.Contains(tl.Missing[0].Reason, "dropped") {
		t.Fatalf("the timeline lists %d missing fragments, want %v dropped: %v %s", len(tl.Missing), n, err, body)
	}
	number := ""
	for _, f := range listed {
		if f.ProducerTimestamp.Sub(tl.Missing[0].Start).Abs() < time.Millisecond {
			number = f.FragmentNumber
		}
	}
	if number == "" {
		t.Fatalf("no listed fragment starts at the missing %v", tl.Missing[0].Start)
	}
	status, body := e2e.AuditCall(t, "POST", srv.URL+"/getMediaForFragmentList",
		fmt.Sprintf(`{"StreamName":"cam","Fragments":[%q]}`, number), "Content-Type", "application/json")
	if status != 404 || !strings.Contains(body, "dropped from the spool of node") {
		t.Fatalf("a dropped fragment read: %d %s", status, body)
	}
	url := e2e.SessionURL(t, srv.URL, "cam", "--playback-mode", "ON_DEMAND", "--hls-fragment-selector",
		e2e.Selector("PRODUCER_TIMESTAMP", listed[0].ProducerTimestamp.Add(-time.Second), time.Now().Add(time.Minute)))
	_, segments, _ := e2e.MediaPlaylist(t, url)
	if want := len(listed) - len(tl.Missing); len(segments) != want {
		t.Fatalf("the ON_DEMAND playlist has %d segments, want %d (%d listed, %d dropped)", len(segments), want, len(listed), len(tl.Missing))
	}
	if d, _ := e2e.ProbeTimeline(t, url); d <= 0 {
		t.Fatalf("the session without the dropped fragments does not decode: duration %v", d)
	}
	// Nothing of the media stayed in memory while nobody watched: the
	// parts are in the spool (the live edge holds less than a keyframe:
	// it held the open fragment, a group of pictures, before), and
	// nothing is cached for WebRTC viewers (a new one starts from the
	// parts).
	key, gop := keyframeAndGOP(t, url)
	if gop < 2*key || cached != 0 || edge >= key {
		t.Fatalf("in memory while nobody watched: %v bytes of the live edge, %v cached for WebRTC viewers; the video's largest keyframe is %v bytes, its largest group of pictures %v", edge, cached, key, gop)
	}
	t.Logf("in memory while nobody watched: at most %v bytes of the live edge, %v cached for WebRTC viewers (largest keyframe %v, group of pictures %v)", edge, cached, key, gop)
	t.Logf("%d listed, %d dropped (missing in the timeline, 404 to read: %s), %d in the ON_DEMAND playlist", len(listed), len(tl.Missing), body, len(segments))
}

// TestSpoolOfADeadNode: two nodes, the bucket down; node 1 records a
// stream, whose fragments wait in its spool. Node 2 reads them from there;
// once node 1 is SIGKILLed they are listed still, and a read answers 404
// naming node 1 (never a 500). Node 1 started again with its spool, and
// the bucket back, uploads them: node 2 reads them from the bucket.
func TestSpoolOfADeadNode(t *testing.T) {
	e2e.RequireFFmpeg(t)
	e2e.RequireTool(t, e2e.AWSCLI)
	nats := e2e.StartNATSCluster(t, 1)
	g, _, storage, env := e2e.StartGateway(t)
	dir1 := t.TempDir()
	args := func(name string) []string {
		return []string{"--nats-url", nats.URL(), "--storage", storage, "--node-name", name, "--lease-ttl", "3s"}
	}
	node1 := e2e.StartServerEnv(t, dir1, env, args("node1")...)
	node2 := e2e.StartServerEnv(t, t.TempDir(), env, args("node2")...)
	g.Kill()
	if err := e2e.Publish(t, node1.RTSP+"/cam", "libx264", "tcp", 6).Wait(); err != nil {
		t.Fatal(err)
	}
	listed := e2e.ListFragments(t, node2.URL, "cam")
	if len(listed) < 2 {
		t.Fatalf("%d fragments listed on node 2", len(listed))
	}
	// Each read is of another fragment (node 2 caches what it read).
	read := func(srv *e2e.Server, i int) (int, string) {
		return e2e.AuditCall(t, "POST", srv.URL+"/getMediaForFragmentList",
			fmt.Sprintf(`{"StreamName":"cam","Fragments":[%q]}`, listed[i].FragmentNumber), "Content-Type", "application/json")
	}
	if status, body := read(node2, 0); status != 200 {
		t.Fatalf("node 2 reading a fragment in node 1's spool: %d %.300s", status, body)
	}
	node1.Kill()
	if n := len(e2e.ListFragments(t, node2.URL, "cam")); n != len(listed) {
		t.Fatalf("node 2 lists %d fragments with node 1 down, %d before", n, len(listed))
	}
	status, body := read(node2, 1)
	if status != 404 || !strings.Contains(body, "waits in the spool of node node1") {
		t.Fatalf("node 2 reading a fragment in the spool of a dead node: %d %s", status, body)
	}
	t.Logf("with node 1 down: %d %s", status, body)
	if err := g.Restart(); err != nil {
		t.Fatal(err)
	}
	node1 = e2e.StartServerEnv(t, dir1, env, args("node1")...)
	e2e.WaitFor(t, 30*time.Second, "node 1's spool to empty", func() bool {
		return e2e.Metric(t, node1.URL, "sluice_spool_objects") == 0
	})
	if status, body := read(node2, 1); status != 200 {
		t.Fatalf("node 2 reading the fragment once node 1 uploaded it: %d %s", status, body)
	}
}

// TestPackedObjects: with --archive-object-duration 6s on versitygw, 2-s
// fragments go three to an object. GetMedia (following the live stream),
// clips (to now, across the live seam, and of the past, across object
// boundaries) and GetMediaForFragmentList decode with the exact frame
// counts (MediaAcross), and so does an ON_DEMAND HLS session over all of
// it; the bucket holds one object per three fragments.
func TestPackedObjects(t *testing.T) {
	e2e.RequireFFmpeg(t)
	e2e.RequireTool(t, e2e.AWSCLI)
	g, bucket, storage, env := e2e.StartGateway(t)
	srv := e2e.StartServerEnv(t, t.TempDir(), env, "--storage", storage, "--archive-object-duration", "6s")
	began := time.Now()
	e2e.MediaAcross(t, srv.RTSP, srv.URL, "cam")
	e2e.WaitFor(t, 20*time.Second, "the spool to empty", func() bool {
		return e2e.Metric(t, srv.URL, "sluice_spool_objects") == 0
	})
	listed := e2e.ListFragments(t, srv.URL, "cam")
	var total int64
	for _, f := range listed {
		total += f.FragmentLengthInMilliseconds
	}
	objects := fragmentsIn(t, e2e.BucketKeys(t, g, bucket, "archive/"), "cam")
	if want := (len(listed) + 2) / 3; objects < want || objects > want+1 {
		t.Errorf("%d fragment objects in the bucket for %d fragments, want about %d", objects, len(listed), want)
	}
	u := e2e.SessionURL(t, srv.URL, "cam", "--playback-mode", "ON_DEMAND", "--hls-fragment-selector",
		e2e.Selector("SERVER_TIMESTAMP", began.Add(-2*time.Second), time.Now().Add(2*time.Second)))
	dur, packets := e2e.ProbeTimeline(t, u)
	if want := int(total * 25 / 1000); packets["video"] != want || packets["audio"] == 0 {
		t.Errorf("ON_DEMAND over the packed objects: %.2f s, %v packets; want %d video frames", dur, packets, want)
	}
	t.Logf("%d fragments in %d objects; ON_DEMAND %.2f s, %v packets", len(listed), objects, dur, packets)
}
