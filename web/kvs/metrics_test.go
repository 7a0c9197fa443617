package kvs_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluice-dev/sluice/web/kvs"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, envOptions{cfg: kvs.Config{Registerer: reg}})
	// A second Handler on the same registry shares the collectors.
	kvs.New(e.lib, e.bucket, kvs.Config{Registerer: reg})

	e.create(&kinesisvideo.CreateStreamInput{StreamName: aws.String("cam")})
	for range 2 {
		if _, err := e.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("cam")}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("nope")})
	wantAPIError(t, err, "ResourceNotFoundException", 404, "")
	e.post("/nowhere", "", nil)

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{}
	latencies := 0
	for _, mf := range mfs {
		if mf.GetName() == "sluice_kvs_request_duration_seconds" {
			latencies = len(mf.GetMetric())
		}
		if mf.GetName() != "sluice_kvs_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			counts[labels["operation"]+"/"+labels["error"]] = m.GetCounter().GetValue()
		}
	}
	want := map[string]float64{
		"CreateStream/none": 1, "DescribeStream/none": 2,
		"DescribeStream/ResourceNotFoundException": 1, "unknown/UnknownOperationException": 1,
	}
	for k, v := range want {
		if counts[k] != v {
			t.Fatalf("requests %s = %v, want %v (all: %v)", k, counts[k], v, counts)
		}
	}
	if latencies != len(counts) {
		t.Fatalf("%d latency series for %d request series", latencies, len(counts))
	}
}
