package auth

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

var sig64 = strings.Repeat("ab", 32)

// authorizationCases drive the parser test and seed its fuzz test.
var authorizationCases = []struct {
	h    string
	want string // error name, "" for success
}{
	{"AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kinesis/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=" + sig64, ""},
	{"AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kinesis/aws4_request,SignedHeaders=host,Signature=" + sig64, ""},
	{"AWS4-HMAC-SHA256 Signature=" + sig64 + ", SignedHeaders=host, Credential=AKID/20240102/us-east-1/kinesis/aws4_request", ""},
	{"AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kinesis/aws4_request", ErrIncomplete},
	{"AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kinesis, SignedHeaders=host, Signature=" + sig64, ErrIncomplete},
	{"AWS4-HMAC-SHA256 Credential=AKID/2024-01-02/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=" + sig64, ErrIncomplete},
	{"AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kinesis/aws4_request, SignedHeaders=x-amz-date, Signature=" + sig64, ErrIncomplete},
	{"AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kinesis/aws4_request, SignedHeaders=x-amz-date;host, Signature=" + sig64, ErrIncomplete},
	{"AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kinesis/aws4_request, SignedHeaders=Host, Signature=" + sig64, ErrIncomplete},
	{"AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=xyz", ErrIncomplete},
	{"AWS4-HMAC-SHA256 Credential=a, Credential=b", ErrIncomplete},
	{"AWS4-HMAC-SHA256 garbage", ErrIncomplete},
	{"AWS AKID:sig", ErrIncomplete},
	{"", ErrIncomplete},
	{"AWS4-HMAC-SHA256 Credential=/20240102/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=" + sig64, ErrIncomplete},
	{"AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/kinesis/aws5_request, SignedHeaders=host, Signature=" + sig64, ErrIncomplete},
}

func TestParseAuthorization(t *testing.T) {
	for _, c := range authorizationCases {
		s, f := parseAuthorization(c.h, true)
		switch {
		case c.want == "" && f != nil:
			t.Errorf("%q: %v", c.h, f)
		case c.want != "" && (f == nil || f.name != c.want):
			t.Errorf("%q: want %s, got %v", c.h, c.want, f)
		case c.want == "" && (s.scope != scope{"AKID", "20240102", "us-east-1", "kinesis"} || s.sig != sig64 || !contains(s.signedHeaders, "host")):
			t.Errorf("%q: parsed %+v", c.h, s)
		}
	}
}

func TestParsePresigned(t *testing.T) {
	base := url.Values{
		"X-Amz-Algorithm":     {algorithm},
		"X-Amz-Credential":    {"AKID/20240102/us-east-1/kinesisvideo/aws4_request"},
		"X-Amz-Date":          {"20240102T030405Z"},
		"X-Amz-SignedHeaders": {"host"},
		"X-Amz-Signature":     {sig64},
	}
	s, f := parsePresigned(base)
	if f != nil || !s.presigned || s.expires != maxPresignExpiry {
		t.Fatalf("%+v %v", s, f)
	}
	for k, v := range map[string]string{"X-Amz-Expires": "0", "X-Amz-Algorithm": "AWS4-HMAC-SHA1", "X-Amz-Signature": ""} {
		q := url.Values{}
		for kk, vv := range base {
			q[kk] = vv
		}
		q.Set(k, v)
		if _, f := parsePresigned(q); f == nil || f.name != ErrIncomplete {
			t.Errorf("%s=%q: want IncompleteSignatureException, got %v", k, v, f)
		}
	}
	q := url.Values{}
	for kk, vv := range base {
		q[kk] = vv
	}
	q.Set("X-Amz-Expires", "604801")
	if _, f := parsePresigned(q); f == nil {
		t.Error("expiry over 7 days accepted")
	}
}

func TestCheckTime(t *testing.T) {
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	v := New(Config{Now: func() time.Time { return now }})
	for _, c := range []struct {
		at      time.Duration
		presign time.Duration // 0: header signing
		want    string
	}{
		{0, 0, ""},
		{-15 * time.Minute, 0, ""},
		{-15*time.Minute - time.Second, 0, "Signature expired: 20240102T024904Z is now earlier than 20240102T024905Z (20240102T030405Z - 15 min.)"},
		{15*time.Minute + time.Second, 0, "Signature not yet current"},
		{-2 * time.Hour, 3 * time.Hour, ""},
		{-2 * time.Hour, time.Hour, "Signature expired"},
		{20 * time.Minute, time.Hour, "Signature not yet current"},
	} {
		s := signature{presigned: c.presign > 0, expires: c.presign}
		f := v.checkTime(now.Add(c.at), s)
		switch {
		case c.want == "" && f != nil:
			t.Errorf("%+v: %v", c, f)
		case c.want != "" && (f == nil || f.name != ErrInvalidSig || !strings.Contains(f.msg, c.want)):
			t.Errorf("%+v: want %q, got %v", c, c.want, f)
		}
	}
}

func TestErrorTable(t *testing.T) {
	for name, want := range map[string][2]int{
		ErrMissingToken:  {400, 403},
		ErrIncomplete:    {400, 403},
		ErrInvalidSig:    {400, 403},
		ErrUnrecognized:  {400, 403},
		ErrAccessDenied:  {400, 401},
		ErrNotAuthorized: {400, 401},
		ErrThrottling:    {400, 429},
	} {
		if got := [2]int{Status(name, false), Status(name, true)}; got != want {
			t.Errorf("%s: want %v, got %v", name, want, got)
		}
	}
}
