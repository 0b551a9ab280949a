package export

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The counters runs keep are what /metrics shows.
func TestStatsRegister(t *testing.T) {
	x := New(Options{})
	x.stats.runs.Add(3)
	x.stats.failures.Add(1)
	x.stats.success(Result{Records: 7, Bytes: 1234}, time.Unix(1767225600, 0))
	reg := prometheus.NewRegistry()
	if err := x.Register(reg); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		m := f.GetMetric()[0]
		if c := m.GetCounter(); c != nil {
			got[f.GetName()] = c.GetValue()
		} else {
			got[f.GetName()] = m.GetGauge().GetValue()
		}
	}
	want := map[string]float64{
		"aperture_export_runs_total": 3, "aperture_export_failures_total": 1,
		"aperture_export_records_total": 7, "aperture_export_objects_total": 1,
		"aperture_export_bytes_total": 1234, "aperture_export_last_success_timestamp_seconds": 1767225600,
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s = %v, want %v", name, got[name], v)
		}
	}
	if s := x.Stats(); s.Records != 7 || s.Objects != 1 || !s.LastSuccess.Equal(time.Unix(1767225600, 0)) {
		t.Errorf("Stats() = %+v", s)
	}
	if err := x.Register(reg); err == nil {
		t.Error("registering twice succeeded")
	}
}
