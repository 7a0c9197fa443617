package kds

import (
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Handler's Prometheus collectors:
//
//	sluice_kds_requests_total{action,error}             calls by action and AWS error name ("none": success)
//	sluice_kds_request_duration_seconds{action,error}   latency; for SubscribeToShard the whole stream
//	sluice_kds_records_in_total{stream}, sluice_kds_bytes_in_total{stream}    records written
//	sluice_kds_records_out_total{stream}, sluice_kds_bytes_out_total{stream}  records read (GetRecords, SubscribeToShard)
//	sluice_kds_subscriptions                            running SubscribeToShard streams
//
// GetRecords names no stream; its reads are counted under the stream of
// its StreamARN when the caller sends one, else under stream="".
type metrics struct {
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	recordsIn     *prometheus.CounterVec
	bytesIn       *prometheus.CounterVec
	recordsOut    *prometheus.CounterVec
	bytesOut      *prometheus.CounterVec
	subscriptions prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, log *slog.Logger) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_kds_requests_total", Help: "Kinesis Data Streams API calls, by action and AWS error name (none: success).",
		}, []string{"action", "error"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sluice_kds_request_duration_seconds", Help: "Kinesis Data Streams API call latency, by action and AWS error name.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
		}, []string{"action", "error"}),
		recordsIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_kds_records_in_total", Help: "Records written, by stream.",
		}, []string{"stream"}),
		bytesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_kds_bytes_in_total", Help: "Record bytes (data and partition key) written, by stream.",
		}, []string{"stream"}),
		recordsOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_kds_records_out_total", Help: "Records read by GetRecords and SubscribeToShard, by stream.",
		}, []string{"stream"}),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_kds_bytes_out_total", Help: "Record bytes (data and partition key) read, by stream.",
		}, []string{"stream"}),
		subscriptions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sluice_kds_subscriptions", Help: "Running SubscribeToShard event streams.",
		}),
	}
	if reg == nil {
		return m
	}
	m.requests = register(reg, m.requests, log)
	m.latency = register(reg, m.latency, log)
	m.recordsIn = register(reg, m.recordsIn, log)
	m.bytesIn = register(reg, m.bytesIn, log)
	m.recordsOut = register(reg, m.recordsOut, log)
	m.bytesOut = register(reg, m.bytesOut, log)
	m.subscriptions = register(reg, m.subscriptions, log)
	return m
}

// register registers c, or returns the equal collector registered before.
func register[C prometheus.Collector](reg prometheus.Registerer, c C, log *slog.Logger) C {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	if err != nil {
		log.Error("registering metrics", "err", err)
	}
	return c
}

func (m *metrics) request(action, errName string, took time.Duration) {
	m.requests.WithLabelValues(action, errName).Inc()
	m.latency.WithLabelValues(action, errName).Observe(took.Seconds())
}

func (m *metrics) written(stream string, records, bytes int) {
	if records == 0 {
		return
	}
	m.recordsIn.WithLabelValues(stream).Add(float64(records))
	m.bytesIn.WithLabelValues(stream).Add(float64(bytes))
}

func (m *metrics) read(stream string, records, bytes int) {
	if records == 0 {
		return
	}
	m.recordsOut.WithLabelValues(stream).Add(float64(records))
	m.bytesOut.WithLabelValues(stream).Add(float64(bytes))
}

// forget drops the series of a deleted stream.
func (m *metrics) forget(stream string) {
	for _, v := range []*prometheus.CounterVec{m.recordsIn, m.bytesIn, m.recordsOut, m.bytesOut} {
		v.DeleteLabelValues(stream)
	}
}
