package auth

import (
	"fmt"
	"strings"
	"testing"
)

func TestAllows(t *testing.T) {
	k := Key{ID: "k", Policy: Policy{Streams: []string{"cam-*", "door"}, Actions: []string{"read", "kinesis:PutRecord*", "KINESISVIDEO:getclip"}}}
	for _, c := range []struct {
		action, stream string
		want           bool
	}{
		{"kinesis:DescribeStream", "cam-1", true},
		{"kinesis:DescribeStream", "door", true},
		{"kinesis:DescribeStream", "doors", false},
		{"kinesis:DescribeStream", "b", false},
		{"kinesis:PutRecord", "cam-1", true},
		{"kinesis:PutRecords", "cam-1", true},
		{"kinesisvideo:PutMedia", "cam-1", false},
		{"kinesisvideo:GetClip", "cam-1", true},
		{"kinesis:DeleteStream", "cam-1", false},
		{"kinesis:ListStreams", "", true},
		{"kinesis:NoSuchThing", "cam-1", false}, // unknown: admin
	} {
		if got := k.Allows(c.action, c.stream); got != c.want {
			t.Errorf("Allows(%s, %q) = %v", c.action, c.stream, got)
		}
	}
	full := Key{Policy: FullAccess()}
	if !full.Allows("kinesis:DeleteStream", "arn:aws:kinesisvideo:r:1:channel/x") {
		t.Error("full access refused an unparsed resource")
	}
	wild := Key{Policy: Policy{Streams: []string{"*"}, Actions: []string{"kinesisvideo:*"}}}
	if !wild.Allows("kinesisvideo:DeleteStream", "x") || wild.Allows("kinesis:DescribeStream", "x") {
		t.Error("kinesisvideo:* matched wrongly")
	}
}

// TestEveryOperationClassified: the table covers every operation both
// handlers serve, once, with a class.
func TestEveryOperationClassified(t *testing.T) {
	seen := map[string]bool{}
	for _, op := range Operations() {
		if seen[op.Action] && op.api == apiKDS {
			t.Errorf("%s twice", op.Action)
		}
		seen[op.Action] = true
		if op.Class != ClassRead && op.Class != ClassWrite && op.Class != ClassAdmin {
			t.Errorf("%s: class %q", op.Action, op.Class)
		}
	}
	for _, name := range []string{"PutRecord", "PutRecords", "GetRecords", "SubscribeToShard", "CreateStream", "SplitShard", "RegisterStreamConsumer"} {
		if op := kdsOperation(kdsTargetPrefix + name); op.Action != "kinesis:"+name {
			t.Errorf("KDS %s: %+v", name, op)
		}
	}
	for path, class := range map[string]Class{"/getHLSStreamingSessionURL": ClassRead, "/getClip": ClassRead, "/getMedia": ClassRead,
		"/putMedia": ClassWrite, "/createStream": ClassAdmin, "/TagResource": ClassAdmin, "/updateDataRetention": ClassAdmin} {
		if op := kvsOperation(path); op.Class != class {
			t.Errorf("KVS %s: %+v", path, op)
		}
	}
}

func TestParseAccessKeyFlag(t *testing.T) {
	k, err := ParseAccessKeyFlag("AKID1:s3cret-value")
	if err != nil || k.ID != "AKID1" || k.Secret != "s3cret-value" || !k.Allows("kinesis:DeleteStream", "x") {
		t.Fatalf("%+v %v", k, err)
	}
	for _, v := range []string{"nocolon", ":secret-value", "AKID:short", "AK/ID:secret-value", "AK ID:secret-value"} {
		_, err := ParseAccessKeyFlag(v)
		if err == nil {
			t.Errorf("%q accepted", v)
			continue
		}
		if _, secret, _ := strings.Cut(v, ":"); secret != "" && strings.Contains(err.Error(), secret) {
			t.Errorf("%q: the secret is in the error: %v", v, err)
		}
	}
	if s := fmt.Sprintf("%v %+v %#v %s", k, k, k, k); strings.Contains(s, k.Secret) {
		t.Errorf("a printed key shows its secret: %s", s)
	}
}

func TestLoadKeys(t *testing.T) {
	keys, err := LoadKeys(strings.NewReader(`
- id: cam7
  secret: camera-seven-secret
  streams: [cam-7]
  actions: [write]
- id: viewer
  secret: viewer-secret-123
  streams: ["cam-*"]
  actions: [read, "kinesisvideo:GetClip"]
`))
	if err != nil || len(keys) != 2 || keys[1].Policy.Streams[0] != "cam-*" {
		t.Fatalf("%+v %v", keys, err)
	}
	keys, err = LoadKeys(strings.NewReader(`[{"id":"j","secret":"json-secret-123","streams":["*"],"actions":["*"]}]`))
	if err != nil || len(keys) != 1 {
		t.Fatalf("JSON: %+v %v", keys, err)
	}

	_, err = LoadKeys(strings.NewReader(`
- id: a
  secret: TOPSECRET-short
  streams: []
  actions: [fly]
- id: ""
  secret: tiny
  streams: ["[bad"]
  actions: [read]
- id: a
  secret: another-secret-1
  streams: ["*"]
  actions: ["kinesis:Nope"]
`))
	if err == nil {
		t.Fatal("bad keys accepted")
	}
	msg := err.Error()
	for _, want := range []string{"key 1 (a): streams", "key 1 (a): actions: \"fly\"", "key 2 (): id", "key 2 (): secret", "key 2 (): streams: \"[bad\"", "key 3 (a): actions: \"kinesis:Nope\"", "\"a\": id: given more than once"} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "TOPSECRET") || strings.Contains(msg, "tiny") || strings.Contains(msg, "another-secret") {
		t.Errorf("a secret is in the error:\n%s", msg)
	}
	_, err = LoadKeys(strings.NewReader("- id: a\n  secrte: TOPSECRET-value\n"))
	if err == nil || !strings.Contains(err.Error(), "secrte") || strings.Contains(err.Error(), "TOPSECRET") {
		t.Errorf("unknown field: %v", err)
	}
	_, err = LoadKeys(strings.NewReader("- id: a\n  secret: [TOPSECRET-value]\n"))
	if err == nil || strings.Contains(err.Error(), "TOPSECRET") {
		t.Errorf("mistyped secret: %v", err)
	}
}

func TestAuthenticate(t *testing.T) {
	v := New(Config{Keys: []Key{{ID: "a", Secret: "secret-aaaa", Policy: FullAccess()}}})
	if k, ok := v.Authenticate("a", "secret-aaaa"); !ok || k.ID != "a" {
		t.Fatal("right secret refused")
	}
	for _, c := range [][2]string{{"a", "secret-aaab"}, {"a", ""}, {"b", "secret-aaaa"}, {"", ""}} {
		if _, ok := v.Authenticate(c[0], c[1]); ok {
			t.Errorf("%q accepted", c)
		}
	}
}
