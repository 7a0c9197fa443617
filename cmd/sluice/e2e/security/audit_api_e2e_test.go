package security

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/sluice-dev/sluice/internal/e2e"
)

// TestAuditAPI replays, against the binary with access keys, the requests
// that proved the audit's findings on the SigV4 APIs (issue 11: 1, 2, 3,
// 7, 10), each now refused.
func TestAuditAPI(t *testing.T) {
	e2e.RequireTool(t, e2e.AWSCLI)
	dir := t.TempDir()
	keys := e2e.WriteKeys(t, dir, `
- id: AKIDADMIN
  secret: admin-secret-1
  streams: ["*"]
  actions: ["*"]
- id: AKIDREADER
  secret: reader-secret-1
  streams: ["cam-*"]
  actions: [read]
`)
	srv := e2e.StartServer(t, filepath.Join(dir, "data"), "--access-keys-file", keys)
	const admin, adminSecret, reader, readerSecret = "AKIDADMIN", "admin-secret-1", "AKIDREADER", "reader-secret-1"
	aws := func(id, secret string, out any, args ...string) error {
		cmd := exec.Command(e2e.AWSCLI, append([]string{"--endpoint-url", srv.URL, "--output", "json"}, args...)...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+id, "AWS_SECRET_ACCESS_KEY="+secret,
			"AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true")
		b, err := cmd.Output()
		if err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				return fmt.Errorf("%v: %s", err, ee.Stderr)
			}
			return err
		}
		if out != nil {
			return json.Unmarshal(b, out)
		}
		return nil
	}
	for _, name := range []string{"cam-data", "secret-data"} {
		if err := aws(admin, adminSecret, nil, "kinesis", "create-stream", "--stream-name", name, "--shard-count", "3"); err != nil {
			t.Fatal(err)
		}
		if err := aws(admin, adminSecret, nil, "kinesisvideo", "create-stream", "--stream-name", strings.Replace(name, "data", "video", 1), "--data-retention-in-hours", "1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := aws(admin, adminSecret, nil, "kinesis", "wait", "stream-exists", "--stream-name", "secret-data"); err != nil {
		t.Fatal(err)
	}

	// 1: a KVS body sent with the CBOR content type is read (and
	// authorized) as JSON.
	for _, ct := range []string{"application/x-amz-cbor-1.1", "application/json", "text/plain"} {
		st, name, body := e2e.SignedCall(t, srv.URL, reader, readerSecret, "", "/describeStream", ct, []byte(`{"StreamName":"secret-video"}`), false)
		if st != 401 || name != "AccessDeniedException" {
			t.Errorf("finding 1: describeStream of another stream as %s: %d %s %s", ct, st, name, body)
		}
	}
	// ... while a KDS CBOR body is read as CBOR, and authorized so.
	cb, _ := cbor.Marshal(map[string]string{"StreamName": "secret-data"})
	if st, name, body := e2e.SignedCall(t, srv.URL, reader, readerSecret, "DescribeStreamSummary", "", "application/x-amz-cbor-1.1", cb, false); st != 400 || name != "AccessDeniedException" {
		t.Errorf("finding 1: KDS CBOR DescribeStreamSummary of another stream: %d %s %x", st, name, body)
	}

	// 2: lists show only the key's streams.
	var kdsList struct{ StreamNames []string }
	if err := aws(reader, readerSecret, &kdsList, "kinesis", "list-streams"); err != nil || strings.Join(kdsList.StreamNames, ",") != "cam-data" {
		t.Errorf("finding 2: kinesis list-streams as the cam-* reader: %v %v", kdsList.StreamNames, err)
	}
	var kvsList struct{ StreamInfoList []struct{ StreamName string } }
	if err := aws(reader, readerSecret, &kvsList, "kinesisvideo", "list-streams"); err != nil || len(kvsList.StreamInfoList) != 1 || kvsList.StreamInfoList[0].StreamName != "cam-video" {
		t.Errorf("finding 2: kinesisvideo list-streams as the cam-* reader: %+v %v", kvsList, err)
	}

	// 7: a ListShards NextToken is sealed for its caller: a forged one
	// naming another stream, or the admin's own token, is refused.
	forged := []byte(fmt.Sprintf(`{"t":%d,"s":"secret-data","c":1}`, time.Now().UnixMilli()))
	for _, token := range []string{
		e2e.Base64URL(forged),
		func() string {
			_, _, b := e2e.SignedCall(t, srv.URL, admin, adminSecret, "ListShards", "", "application/x-amz-json-1.1", []byte(`{"StreamName":"secret-data","MaxResults":1}`), false)
			var out struct{ NextToken string }
			if err := json.Unmarshal(b, &out); err != nil || out.NextToken == "" {
				t.Fatalf("admin ListShards: %s", b)
			}
			return out.NextToken
		}(),
	} {
		st, name, body := e2e.SignedCall(t, srv.URL, reader, readerSecret, "ListShards", "", "application/x-amz-json-1.1", []byte(`{"NextToken":"`+token+`"}`), false)
		if st < 400 || strings.Contains(string(body), "shardId-") {
			t.Errorf("finding 7: ListShards with another's token: %d %s %s", st, name, body)
		}
	}
	// The reader's own token pages its own stream.
	_, _, b := e2e.SignedCall(t, srv.URL, reader, readerSecret, "ListShards", "", "application/x-amz-json-1.1", []byte(`{"StreamName":"cam-data","MaxResults":1}`), false)
	var page struct{ NextToken string }
	_ = json.Unmarshal(b, &page)
	if st, name, body := e2e.SignedCall(t, srv.URL, reader, readerSecret, "ListShards", "", "application/x-amz-json-1.1", []byte(`{"NextToken":"`+page.NextToken+`"}`), false); st != 200 {
		t.Errorf("ListShards with its own token: %d %s %s", st, name, body)
	}

	// 10: UNSIGNED-PAYLOAD is refused on the JSON APIs.
	put := []byte(`{"StreamName":"cam-data","PartitionKey":"k","Data":"aGk="}`)
	if st, name, body := e2e.SignedCall(t, srv.URL, admin, adminSecret, "PutRecord", "", "application/x-amz-json-1.1", put, true); st != 400 || name != "IncompleteSignatureException" {
		t.Errorf("finding 10: an UNSIGNED-PAYLOAD PutRecord: %d %s %s", st, name, body)
	}

	// 3: eight concurrent unauthenticated 15 MB bodies are refused
	// before they are read (the audit saw 41 -> 306 MB).
	before := e2e.RssKiB(t, srv.Cmd.Process.Pid)
	big := bytes.Repeat([]byte("x"), 15<<20)
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", bytes.NewReader(big))
			req.Header.Set("X-Amz-Target", "Kinesis_20131202.PutRecords")
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return // the server may close the connection without reading the body
			}
			statuses[i] = resp.StatusCode
			resp.Body.Close()
		})
	}
	wg.Wait()
	after := e2e.RssKiB(t, srv.Cmd.Process.Pid)
	for _, st := range statuses {
		if st != 0 && st != 400 {
			t.Errorf("finding 3: an unauthenticated 15 MB PutRecords: %d", st)
		}
	}
	if grew := after - before; grew > 60<<10 {
		t.Errorf("finding 3: RSS grew by %d KiB (from %d) on unauthenticated bodies", grew, before)
	}
	t.Logf("RSS %d -> %d KiB over eight unauthenticated 15 MB bodies", before, after)
}
