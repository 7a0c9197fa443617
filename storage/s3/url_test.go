package s3_test

import (
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/storage/s3"
)

func TestParseURL(t *testing.T) {
	got, err := s3.ParseURL("s3://archive/sluice/node-1/?endpoint=http://127.0.0.1:7070&region=eu-west-1&path-style=true&part-size=16MiB&max-retries=7")
	if err != nil {
		t.Fatal(err)
	}
	want := s3.Config{
		Bucket:     "archive",
		Prefix:     "sluice/node-1",
		Endpoint:   "http://127.0.0.1:7070",
		Region:     "eu-west-1",
		PathStyle:  true,
		PartSize:   16 << 20,
		MaxRetries: 7,
	}
	if got != want {
		t.Fatalf("ParseURL = %+v, want %+v", got, want)
	}
	got, err = s3.ParseURL("s3://b")
	if err != nil || got != (s3.Config{Bucket: "b"}) {
		t.Fatalf("ParseURL(s3://b) = %+v, %v", got, err)
	}
}

func TestParseURLErrors(t *testing.T) {
	for raw, wantMsgs := range map[string][]string{
		"http://b/p":                          {"scheme"},
		"s3:///prefix":                        {"Bucket", "required"},
		"s3://ak:sk@b":                        {"credentials"},
		"s3://b/../x":                         {"Prefix"},
		"s3://b?path-style=maybe&part-size=x": {"path-style", "part-size"},
		"s3://b?colour=red":                   {"unknown parameter", "colour"},
		"s3://b?endpoint=ftp://h":             {"Endpoint"},
		"s3://b?part-size=1MiB":               {"PartSize"},
		"s3://b?max-retries=lots":             {"max-retries"},
	} {
		_, err := s3.ParseURL(raw)
		if err == nil {
			t.Errorf("ParseURL(%q) succeeded", raw)
			continue
		}
		for _, m := range wantMsgs {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("ParseURL(%q) error %q does not mention %q", raw, err, m)
			}
		}
		if strings.Contains(err.Error(), "sk@") {
			t.Errorf("ParseURL error leaks credentials: %v", err)
		}
	}
}

// TestValidateReportsAll: every bad field is named in one error.
func TestValidateReportsAll(t *testing.T) {
	err := s3.Config{Prefix: "a//b", Endpoint: "nope", AccessKeyID: "x", PartSize: 1}.Validate()
	if err == nil {
		t.Fatal("Validate succeeded")
	}
	for _, field := range []string{"Bucket", "Prefix", "Endpoint", "AccessKeyID", "PartSize"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("Validate error %q does not name %s", err, field)
		}
	}
	if err := (s3.Config{Bucket: "b"}).Validate(); err != nil {
		t.Errorf("minimal Config: %v", err)
	}
}
