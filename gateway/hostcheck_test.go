package gateway

import (
	"testing"
	"time"
)

// TestHostnamesKeptUntilAMiss: the gateway's names are computed once for
// the requests that name it, asked for anew when a Host is not among them
// (a new name is accepted at once) and when the list is old (a name given
// up is refused within hostnamesTTL).
func TestHostnamesKeptUntilAMiss(t *testing.T) {
	names := []string{"ai", "ai.example.ts.net"}
	asked := 0
	clock := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	s := &Server{opts: Options{
		Hostnames: func() []string { asked++; return names },
		Now:       func() time.Time { return clock },
	}}
	for _, host := range []string{"127.0.0.1:8080", "localhost", "[::1]:443", "100.64.0.7"} {
		if !s.hostAllowed(host) {
			t.Fatalf("%s refused", host)
		}
	}
	if asked != 0 {
		t.Errorf("names computed %d times for local and address Hosts, want 0", asked)
	}
	for range 5 {
		if !s.hostAllowed("ai.example.ts.net:443") {
			t.Fatal("own name refused")
		}
	}
	if asked != 1 {
		t.Errorf("names computed %d times for 5 requests naming the gateway, want 1", asked)
	}
	names = append(names, "ai-2.example.ts.net")
	if !s.hostAllowed("ai-2.example.ts.net") {
		t.Error("a name the gateway just got was refused")
	}
	if s.hostAllowed("evil.example.com") {
		t.Error("a foreign name was allowed")
	}
	names = []string{"ai-2.example.ts.net"}
	clock = clock.Add(hostnamesTTL)
	if s.hostAllowed("ai") {
		t.Error("a name given up is still allowed after hostnamesTTL")
	}
}
