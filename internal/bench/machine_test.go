package main

import (
	"strings"
	"testing"
)

func TestCPUModelAndMemTotal(t *testing.T) {
	cpuinfo := "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\nprocessor\t: 1\nmodel name\t: other\n"
	if got := cpuModel(cpuinfo); got != "Intel(R) Xeon(R) CPU @ 2.20GHz" {
		t.Errorf("cpuModel = %q", got)
	}
	if got := cpuModel("processor: 0\n"); got != "" {
		t.Errorf("cpuModel without model name = %q", got)
	}
	if got := memTotal("MemTotal:        8048576 kB\nMemFree: 1 kB\n"); got != 8048576<<10 {
		t.Errorf("memTotal = %d", got)
	}
	if got := memTotal("MemFree: 1 kB\n"); got != 0 {
		t.Errorf("memTotal without MemTotal = %d", got)
	}
}

func TestMachineString(t *testing.T) {
	s := Machine{CPUs: 2, CPUModel: "Test CPU", MemTotal: 4 << 30, GoVersion: "go1.26", OS: "linux/amd64"}.String()
	for _, want := range []string{"2 CPUs", "Test CPU", "4.0 GiB", "go1.26", "linux/amd64"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q lacks %q", s, want)
		}
	}
}
