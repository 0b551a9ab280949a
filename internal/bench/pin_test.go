package main

import (
	"errors"
	"slices"
	"testing"
)

func TestPlanPinning(t *testing.T) {
	tests := []struct {
		name         string
		allowed      []int
		err          error
		server, load []int
		says         string
	}{
		{"two CPUs", []int{0, 1}, nil, []int{1}, []int{0},
			"the server under test (aperture, the bare proxy, ts-unplug) on CPU 1; the load generator (this harness, with the tunnel's echo node) and the fake provider on CPU 0"},
		{"four CPUs, narrowed by taskset", []int{2, 3, 5, 7}, nil, []int{7}, []int{2, 3, 5},
			"the server under test (aperture, the bare proxy, ts-unplug) on CPU 7; the load generator (this harness, with the tunnel's echo node) and the fake provider on CPUs 2,3,5"},
		{"one CPU", []int{4}, nil, nil, nil,
			"not pinned, every process shares the CPUs: only one CPU (4) is available to the harness"},
		{"no affinity", nil, errors.New("not Linux"), nil, nil,
			"not pinned, every process shares the CPUs: CPU affinity is not available here (not Linux)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := planPinning(tt.allowed, tt.err)
			if !slices.Equal(p.Server, tt.server) || !slices.Equal(p.Load, tt.load) || !slices.Equal(p.All, tt.allowed) {
				t.Errorf("plan = server %v load %v all %v; want %v %v %v", p.Server, p.Load, p.All, tt.server, tt.load, tt.allowed)
			}
			if p.Pinned() != (tt.server != nil) {
				t.Errorf("Pinned = %v", p.Pinned())
			}
			if got := p.String(); got != tt.says {
				t.Errorf("String =\n%q\nwant\n%q", got, tt.says)
			}
		})
	}
}

func TestParseCPUList(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		bad  bool
	}{
		{"0", []int{0}, false},
		{"0-3\n", []int{0, 1, 2, 3}, false},
		{"1,3-4,7", []int{1, 3, 4, 7}, false},
		{"", nil, true},
		{"3-1", nil, true},
		{"a", nil, true},
	}
	for _, tt := range tests {
		got, err := parseCPUList(tt.in)
		if (err != nil) != tt.bad || !slices.Equal(got, tt.want) {
			t.Errorf("parseCPUList(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.bad)
		}
	}
}

func TestTunnelPlacement(t *testing.T) {
	tests := []struct {
		allowed []int
		says    string
	}{
		{[]int{0, 1}, "ts-unplug alone on CPU 1; the harness (the client, and the echo node at the far end of the tunnel, with control and DERP) on CPU 0."},
		{[]int{4}, "ts-unplug and the harness shared the CPUs."},
	}
	for _, tt := range tests {
		if got := planPinning(tt.allowed, nil).TunnelPlacement(); got != tt.says {
			t.Errorf("TunnelPlacement on %v =\n%q\nwant\n%q", tt.allowed, got, tt.says)
		}
	}
}

func TestCPUsAllowedIn(t *testing.T) {
	for _, tc := range []struct {
		status string
		want   string // cpuList of the result, or "error"
	}{
		{"Name:\tpostgres\nCpus_allowed:\t1\nCpus_allowed_list:\t0\nMems_allowed:\t1\n", "0"},
		{"Cpus_allowed_list:\t0-2,5\n", "0,1,2,5"},
		{"Name:\tpostgres\n", "error"},
		{"Cpus_allowed_list:\tx\n", "error"},
	} {
		got, err := cpusAllowedIn(tc.status)
		s := cpuList(got)
		if err != nil {
			s = "error"
		}
		if s != tc.want {
			t.Errorf("cpusAllowedIn(%q) = %s (%v), want %s", tc.status, s, err, tc.want)
		}
	}
}
