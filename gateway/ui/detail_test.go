package ui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestRequestDetail(t *testing.T) {
	t.Parallel()
	f := newPageFixture(t)
	link := func(name string) string {
		id := f.ids[name]
		at, err := time.ParseInLocation("20060102150405", id[:14], time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		return "/ui/logs/" + url.PathEscape(id) + "?t=" + url.QueryEscape(at.Format(time.RFC3339Nano))
	}
	tests := []struct {
		name, viewer, path string
		status             int
		in, out            []string
	}{
		{"admin opens own", "alice", link("alice-tool"), 200,
			[]string{"anthropic/claude-sonnet-4-5", "alice@example.com", "1,000", "$0.006", "1.5 s", "300 ms",
				"Tool calls", "get_weather", "toolu_1", "&#34;city&#34;: &#34;Paris&#34;", "REDACTED", "claude-cli/2.0",
				"weather in Paris?", "sess-alice"},
			[]string{"sk-client-secret"}},
		{"admin opens a user's", "alice", link("bob-1"), 200, []string{"bob&#39;s private prompt", "gpt-4o-mini"}, nil},
		{"user opens own", "bob", link("bob-1"), 200, []string{"bob&#39;s private prompt"}, nil},
		{"user opens another's", "bob", link("alice-tool"), 404, []string{"no such request"}, []string{"weather in Paris", "get_weather"}},
		{"no capture", "alice", link("alice-old"), 200, []string{"No headers or bodies are stored"}, []string{"Tool calls"}},
		{"unknown id", "alice", "/ui/logs/zzz?t=2026-05-10T11:00:00Z", 404, []string{"no such request"}, nil},
		{"no time", "alice", "/ui/logs/zz", 404, []string{"no such request"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.get(t, tt.viewer, tt.path)
			if status != tt.status {
				t.Errorf("status %d, want %d", status, tt.status)
			}
			want(t, body, tt.in, tt.out)
		})
	}
}

func TestRequestTime(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 5, 10, 11, 0, 0, 123456789, time.UTC)
	tests := []struct {
		id, t  string
		want   time.Time
		width  time.Duration
		wantOK bool
	}{
		{"x", at.Format(time.RFC3339Nano), at, time.Nanosecond, true},
		// gateway IDs start with 12 hex digits of unix milliseconds
		{"019e1169a4c0deadbeef000001", "", time.UnixMilli(0x019e1169a4c0), time.Millisecond, true},
		{"short", "", time.Time{}, 0, false},
		{"not-hex-at-all!", "garbage", time.Time{}, 0, false},
	}
	for _, tt := range tests {
		got, width, ok := requestTime(tt.id, tt.t)
		if ok != tt.wantOK || !got.Equal(tt.want) || width != tt.width {
			t.Errorf("requestTime(%q, %q) = %v, %v, %v", tt.id, tt.t, got, width, ok)
		}
	}
}

func TestHeaderLinesRedact(t *testing.T) {
	t.Parallel()
	lines := headerLines(http.Header{"X-Api-Key": {"sk-123"}, "Accept": {"a", "b"}, "Cookie": {"c"}})
	var got []string
	for _, l := range lines {
		got = append(got, l.Name+"="+l.Value)
	}
	s := strings.Join(got, " ")
	if strings.Contains(s, "sk-123") || !strings.Contains(s, "Accept=a Accept=b") {
		t.Errorf("header lines = %s", s)
	}
}

func TestShowBody(t *testing.T) {
	t.Parallel()
	got, clipped := showBody([]byte(`{"a":[1,2]}`))
	if got != "{\n  \"a\": [\n    1,\n    2\n  ]\n}" || clipped {
		t.Errorf("json body = %q, %v", got, clipped)
	}
	sse := "event: x\ndata: {\"a\":1}\n\n"
	if got, _ := showBody([]byte(sse)); got != sse {
		t.Errorf("sse body changed: %q", got)
	}
	big := strings.Repeat("é", maxShownBody) // 2 bytes each: cut mid-rune
	got, clipped = showBody([]byte(big))
	if !clipped || len(got) > maxShownBody+3 || !strings.HasPrefix(got, "éé") {
		t.Errorf("big body: clipped=%v len=%d", clipped, len(got))
	}
}
