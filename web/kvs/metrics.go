package kvs

import (
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Handler's Prometheus collectors:
//
//	sluice_kvs_requests_total{operation,error}            calls by AWS operation name and error name ("none": success)
//	sluice_kvs_request_duration_seconds{operation,error}  their latency
//
// Requests to unknown paths count as operation "unknown".
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer, log *slog.Logger) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sluice_kvs_requests_total",
			Help: "Kinesis Video Streams API calls, by operation and AWS error name (none: success).",
		}, []string{"operation", "error"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sluice_kvs_request_duration_seconds",
			Help:    "Kinesis Video Streams API call latency, by operation and AWS error name.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
		}, []string{"operation", "error"}),
	}
	if reg != nil {
		m.requests = shared(reg, m.requests, log)
		m.latency = shared(reg, m.latency, log)
	}
	return m
}

// shared registers c with reg and returns it, or returns the equal
// collector that another Handler registered there before.
func shared[C prometheus.Collector](reg prometheus.Registerer, c C, log *slog.Logger) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	log.Error("registering metrics; they are not exported", "err", err)
	return c
}

func (m *metrics) request(op, errName string, took time.Duration) {
	m.requests.WithLabelValues(op, errName).Inc()
	m.latency.WithLabelValues(op, errName).Observe(took.Seconds())
}
