package export

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// stats are the exporter's counters.
type stats struct {
	runs, failures, records, objects, bytes atomic.Int64
	lastSuccess                             atomic.Int64 // unix nanoseconds
}

func (s *stats) success(r Result, now time.Time) {
	s.objects.Add(1)
	s.records.Add(int64(r.Records))
	s.bytes.Add(r.Bytes)
	s.lastSuccess.Store(now.UnixNano())
}

// Stats are the exporter's counters since it started.
type Stats struct {
	Runs        int64 // runs that found export on
	Failures    int64 // runs that failed
	Records     int64 // records uploaded
	Objects     int64 // objects uploaded
	Bytes       int64 // bytes uploaded
	LastSuccess time.Time
}

// Stats returns the exporter's counters.
func (e *Exporter) Stats() Stats {
	s := Stats{Runs: e.stats.runs.Load(), Failures: e.stats.failures.Load(), Records: e.stats.records.Load(),
		Objects: e.stats.objects.Load(), Bytes: e.stats.bytes.Load()}
	if t := e.stats.lastSuccess.Load(); t != 0 {
		s.LastSuccess = time.Unix(0, t)
	}
	return s
}

// Register adds the exporter's counters to reg, for /metrics.
func (e *Exporter) Register(reg prometheus.Registerer) error {
	counter := func(name, help string, v *atomic.Int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v.Load()) })
	}
	for _, c := range []prometheus.Collector{
		counter("aperture_export_runs_total", "S3 export runs, failed or not.", &e.stats.runs),
		counter("aperture_export_failures_total", "S3 export runs that failed (retried later).", &e.stats.failures),
		counter("aperture_export_records_total", "Request records uploaded to S3.", &e.stats.records),
		counter("aperture_export_objects_total", "Objects uploaded to S3.", &e.stats.objects),
		counter("aperture_export_bytes_total", "Bytes uploaded to S3.", &e.stats.bytes),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "aperture_export_last_success_timestamp_seconds",
			Help: "When an S3 upload last succeeded (0: never)."},
			func() float64 { return float64(e.stats.lastSuccess.Load()) / 1e9 }),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
