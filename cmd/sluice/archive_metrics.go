package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluice-dev/sluice/fragments"
	"github.com/sluice-dev/sluice/ingest"
	"github.com/sluice-dev/sluice/ingest/relay"
)

// liveMemoryMetrics reports the media held in memory for live viewers:
// the live edge (LL-HLS parts) and the groups of pictures cached for new
// WebRTC viewers, with the latter's bound.
func liveMemoryMetrics(hub *fragments.Hub, rel *relay.Relay) []prometheus.Collector {
	gauge := func(name, help string, v func() int64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return float64(v()) })
	}
	return []prometheus.Collector{
		gauge("sluice_live_edge_bytes", "Media bytes the live edge holds in memory (the open fragments' parts of streams read in the last minute, or not spooled, and the newest closed ones of watched streams).", hub.Bytes),
		gauge("sluice_relay_cached_bytes", "Bytes of the groups of pictures cached for new WebRTC viewers of mirrored streams, all streams together (recorded streams cache none).", rel.CachedBytes),
		gauge("sluice_relay_cache_max_bytes", "The bound of those caches (--live-cache-max-bytes).", rel.CacheLimit),
	}
}

// archiveMetrics reports the archive path: the spool and the uploads.
func archiveMetrics(r *ingest.Recorder) []prometheus.Collector {
	gauge := func(name, help string, v func(ingest.ArchiveStats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return v(r.ArchiveStats()) })
	}
	counter := func(name, help string, v func(ingest.ArchiveStats) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return v(r.ArchiveStats()) })
	}
	return []prometheus.Collector{
		gauge("sluice_spool_bytes", "Bytes in the local spool: fragments waiting for the archive bucket, and those being written.",
			func(s ingest.ArchiveStats) float64 { return float64(s.SpoolBytes) }),
		gauge("sluice_spool_max_bytes", "The spool's cap (--spool-max-bytes).",
			func(s ingest.ArchiveStats) float64 { return float64(s.SpoolMaxBytes) }),
		gauge("sluice_spool_objects", "Objects (fragments, init segments) waiting in the spool for their upload: the upload backlog.",
			func(s ingest.ArchiveStats) float64 { return float64(s.SpoolObjects) }),
		gauge("sluice_spool_oldest_seconds", "Age of the oldest object waiting in the spool (0 when none).",
			func(s ingest.ArchiveStats) float64 { return s.OldestSpooled.Seconds() }),
		gauge("sluice_archive_failing", "1 while the archive bucket's last upload failed.",
			func(s ingest.ArchiveStats) float64 {
				if s.Failing {
					return 1
				}
				return 0
			}),
		counter("sluice_archive_upload_failures_total", "Uploads to the archive bucket that failed (each is retried).",
			func(s ingest.ArchiveStats) float64 { return float64(s.UploadFailures) }),
		counter("sluice_archive_uploads_total", "Objects uploaded from the spool to the archive bucket.",
			func(s ingest.ArchiveStats) float64 { return float64(s.Uploaded) }),
		counter("sluice_spool_dropped_total", "Fragments dropped from a full spool before their upload.",
			func(s ingest.ArchiveStats) float64 { return float64(s.Dropped) }),
	}
}
