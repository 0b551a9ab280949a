package plug

import (
	"strings"
	"testing"
)

func TestBuildMappings(t *testing.T) {
	tests := []struct {
		name    string
		f       mappingFlags
		want    []string // mapping.String() of each
		wantErr string
	}{
		{"default upstream", mappingFlags{upstream: DefaultUpstream},
			[]string{"tailnet http port 80 -> http://127.0.0.1:8080"}, ""},
		{"bare port upstream", mappingFlags{upstream: "11434", upstreamSet: true},
			[]string{"tailnet http port 80 -> http://127.0.0.1:11434"}, ""},
		{"https upstream", mappingFlags{upstream: "localhost:3000", upstreamSet: true, https: true},
			[]string{"tailnet https port 443 -> http://localhost:3000", "tailnet port 80 redirects to https"}, ""},
		{"only mappings: no default upstream", mappingFlags{upstream: DefaultUpstream,
			http: []string{"8000=http://127.0.0.1:8000"}, tcp: []string{"5432=127.0.0.1:5432", "7=9"}},
			[]string{"tailnet http port 8000 -> http://127.0.0.1:8000", "tailnet tcp port 5432 -> 127.0.0.1:5432", "tailnet tcp port 7 -> 127.0.0.1:9"}, ""},
		{"explicit upstream and mappings", mappingFlags{upstream: "9000", upstreamSet: true, http: []string{"81=9001"}},
			[]string{"tailnet http port 80 -> http://127.0.0.1:9000", "tailnet http port 81 -> http://127.0.0.1:9001"}, ""},
		{"https with only mappings still serves upstream", mappingFlags{upstream: DefaultUpstream, https: true, tcp: []string{"22=22"}},
			[]string{"tailnet https port 443 -> http://127.0.0.1:8080", "tailnet port 80 redirects to https", "tailnet tcp port 22 -> 127.0.0.1:22"}, ""},
		{"port used twice", mappingFlags{upstream: DefaultUpstream, upstreamSet: true, http: []string{"80=9000"}}, nil, "already served by -upstream"},
		{"redirect port clash", mappingFlags{upstream: DefaultUpstream, https: true, tcp: []string{"80=22"}}, nil, "tailnet port 80"},
		{"missing =", mappingFlags{http: []string{"8000"}}, nil, "missing ="},
		{"bad port", mappingFlags{http: []string{"0=8000"}}, nil, "bad port"},
		{"port too big", mappingFlags{tcp: []string{"70000=22"}}, nil, "bad port"},
		{"three parts", mappingFlags{tcp: []string{"1=2=3"}}, nil, "HOST:PORT"},
		{"tcp without port", mappingFlags{tcp: []string{"22=localhost"}}, nil, "HOST:PORT"},
		{"bad scheme", mappingFlags{upstream: "ftp://x", upstreamSet: true}, nil, "scheme"},
		{"path in upstream", mappingFlags{upstream: "http://127.0.0.1:8080/v1", upstreamSet: true}, nil, "not a path"},
		{"empty upstream", mappingFlags{upstream: "", upstreamSet: true}, nil, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := buildMappings(tt.f)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var s []string
			for _, m := range got {
				s = append(s, m.String())
			}
			if strings.Join(s, "|") != strings.Join(tt.want, "|") {
				t.Errorf("mappings\n got %q\nwant %q", s, tt.want)
			}
		})
	}
}

func TestChildPort(t *testing.T) {
	ms, _ := buildMappings(mappingFlags{upstream: "9000", https: true})
	if p, ok := childPort(ms); !ok || p != 9000 {
		t.Errorf("childPort = %d %v, want 9000", p, ok)
	}
	ms, _ = buildMappings(mappingFlags{tcp: []string{"22=2222"}})
	if p, ok := childPort(ms); !ok || p != 2222 {
		t.Errorf("childPort = %d %v, want 2222", p, ok)
	}
}
