package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"testing"
	"time"
)

func TestParseMallocs(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int64
		bad  bool
	}{
		{"client_golang", "# HELP go_memstats_mallocs_total Total number of heap objects allocated.\n# TYPE go_memstats_mallocs_total counter\ngo_memstats_mallocs_total 1.234567e+06\ngo_memstats_frees_total 5\n", 1234567, false},
		{"integer", "go_memstats_mallocs_total 42\n", 42, false},
		{"with timestamp", "go_memstats_mallocs_total 42 1700000000000\n", 42, false},
		{"not a prefix of another", "go_memstats_mallocs_total_x 7\n", 0, true},
		{"missing", "go_memstats_frees_total 5\n", 0, true},
		{"garbage", "go_memstats_mallocs_total lots\n", 0, true},
		{"negative", "go_memstats_mallocs_total -1\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMallocs(tt.in)
			if (err != nil) != tt.bad || got != tt.want {
				t.Errorf("parseMallocs = %d, %v; want %d (error %v)", got, err, tt.want, tt.bad)
			}
		})
	}
}

// sink keeps allocations on the heap.
var sink []*[4]int64

func TestMeterCountsAllocations(t *testing.T) {
	srv := httptest.NewServer(countersHandler())
	defer srv.Close()
	ctx := context.Background()
	m, err := NewMeter(ctx, os.Getpid(), srv.URL+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	before, err := m.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 50000
	sink = make([]*[4]int64, n)
	for i := range sink {
		sink[i] = new([4]int64)
	}
	after, err := m.ReadAfter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sink = nil
	// n objects and the slice, plus whatever the runtime and the test
	// allocate meanwhile; the two reads' own allocations are taken off.
	// The runtime counts objects a span at a time, so the count may lag
	// by a few hundred.
	got := m.Cost(before, after)
	if got.Mallocs < n-n/20 || got.Mallocs > n+n/10 {
		t.Errorf("Cost counted %d allocations, want %d and a little more (scrape %d)", got.Mallocs, n, m.scrape)
	}
	if got.CPU <= 0 {
		t.Errorf("Cost CPU = %v", got.CPU)
	}
}

func TestMeterNeedsTheCounter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "reading metrics needs a grant with read_metrics", http.StatusForbidden)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := NewMeter(ctx, os.Getpid(), srv.URL); err == nil {
		t.Error("a metrics endpoint that refuses must fail the meter, not read as zero")
	}
}

func TestMeterTakesOffWhatReadingAllocates(t *testing.T) {
	// A metrics endpoint as costly as the gateway's: 5000 objects a read.
	counters := countersHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keep := make([]*[4]int64, 5000)
		for i := range keep {
			keep[i] = new([4]int64)
		}
		sink = keep
		counters.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ctx := context.Background()
	m, err := NewMeter(ctx, os.Getpid(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	before, err := m.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	after, err := m.ReadAfter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Cost(before, after).Mallocs; got > 1000 {
		t.Errorf("nothing happened between the reads, yet Cost counts %d allocations (a read costs %d)", got, m.scrape)
	}
}

func TestParseSyscalls(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
	}{
		{"rchar: 100\nwchar: 50\nsyscr: 7\nsyscw: 5\nread_bytes: 0\n", 12},
		{"syscr: 7\n", -1},           // half the pair
		{"syscr: x\nsyscw: 5\n", -1}, // not a number
		{"", -1},
	} {
		if got := parseSyscalls(tt.in); got != tt.want {
			t.Errorf("parseSyscalls(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
	if n := processSyscalls(os.Getpid()); n <= 0 && runtime.GOOS == "linux" {
		t.Errorf("processSyscalls(self) = %d, want > 0 on Linux", n)
	}
}
