package remux_test

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sluice-dev/sluice/playback/remux"
)

func fragmentTags(i int, at time.Time) []remux.Tag {
	return []remux.Tag{
		{Name: "AWS_KINESISVIDEO_FRAGMENT_NUMBER", Value: fmt.Sprintf("9100000000000000000000000000000000000000%d", i)},
		{Name: "AWS_KINESISVIDEO_PRODUCER_TIMESTAMP", Value: fmt.Sprintf("%.3f", float64(at.UnixMilli())/1000)},
	}
}

// chunks records each Write as one chunk.
type chunks [][]byte

func (c *chunks) Write(p []byte) (int, error) {
	*c = append(*c, bytes.Clone(p))
	return len(p), nil
}

// TestMatroska writes fragments as KVS does: ffprobe reads the chained
// documents as one Matroska stream with every frame, timestamps on the
// producer clock, and the first fragment's tags; each fragment, written in
// one Write, is a Matroska file of its own that mkvinfo reads, with its tags.
func TestMatroska(t *testing.T) {
	frags := session(t, "s", start, 2*time.Second, time.Time{})
	var docs chunks
	m := remux.NewMatroska(&docs)
	for i, f := range frags {
		if err := m.WriteFragment(f.Init.Bytes, f.Bytes(), f.ProducerStart, fragmentTags(i, f.ProducerStart)); err != nil {
			t.Fatal(err)
		}
	}
	if len(docs) != len(frags) {
		t.Fatalf("%d writes for %d fragments", len(docs), len(frags))
	}
	path := writeTemp(t, "media.mkv", bytes.Join(docs, nil))
	format, _ := probeFormat(t, path)
	if format != "matroska,webm" {
		t.Fatalf("ffprobe reads %q", format)
	}
	ps := probePackets(t, path)
	if v, a := count(ps, "video"), count(ps, "audio"); v != 100 || a != frags[0].Samples[2]+frags[1].Samples[2] {
		t.Fatalf("ffprobe reads %d video and %d audio frames, want 100 and %d", v, a, frags[0].Samples[2]+frags[1].Samples[2])
	}
	if first := float64(start.UnixMilli()) / 1000; ps[0].pts != first {
		t.Errorf("first packet at %.3f, want the producer time %.3f", ps[0].pts, first)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format_tags", "-of", "default=nw=1", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "AWS_KINESISVIDEO_FRAGMENT_NUMBER=91000000000000000000000000000000000000000") {
		t.Errorf("ffprobe format tags: %v\n%s", err, out)
	}
	requireTool(t, "mkvinfo")
	for i, doc := range docs {
		info, err := exec.Command("mkvinfo", "--all", writeTemp(t, "doc.mkv", doc)).CombinedOutput()
		if err != nil {
			t.Fatalf("mkvinfo of fragment %d: %v\n%s", i, err, info)
		}
		want := fmt.Sprintf("String: 9100000000000000000000000000000000000000%d", i)
		if !strings.Contains(string(info), want) || strings.Count(string(info), "Simple block") != frags[i].Samples[1]+frags[i].Samples[2] {
			t.Errorf("mkvinfo of fragment %d: no %q or not %d blocks:\n%s", i, want, frags[i].Samples[1]+frags[i].Samples[2], info)
		}
	}
}
