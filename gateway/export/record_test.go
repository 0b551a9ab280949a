package export

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
	"github.com/tsplug/ts-plug/gateway/usage"
)

func TestAPIType(t *testing.T) {
	tests := map[config.API]string{
		config.OpenAIChat:            "oai_completions",
		config.OpenAIResponses:       "oai_responses",
		config.AnthropicMessages:     "ant_messages",
		config.GeminiGenerateContent: "gemini_generate",
		"bedrock_converse":           "bedrock_converse", // no export name: kept
		"":                           "",
	}
	for api, want := range tests {
		if got := APIType(api); got != want {
			t.Errorf("APIType(%q) = %q, want %q", api, got, want)
		}
	}
	for _, api := range config.APIs {
		if _, ok := apiTypes[api]; !ok {
			t.Errorf("API %q has no export name", api)
		}
	}
}

func TestFromRow(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.FixedZone("CEST", 2*3600))
	base := ledger.ExportRow{Seq: 7, Path: "/v1/messages", Record: ledger.Record{
		ID: "req-1", Time: at, LoginName: "alice@example.com", NodeName: "laptop", StableNodeID: "nSTABLE",
		Principal: "alice@example.com", Provider: "anthropic", Model: "claude-sonnet-4-6",
		API: config.AnthropicMessages, Stream: true, Status: 200, Duration: 1500 * time.Millisecond,
		TTFB: 250 * time.Millisecond, SessionID: "sess-1", UserAgent: "claude-cli/2",
		Usage: usage.Usage{InputTokens: 100, OutputTokens: 50, CachedTokens: 10, CacheCreationTokens: 6,
			CacheCreation5mTokens: 4, CacheCreation1hTokens: 2, ReasoningTokens: 7},
		CostNanos: 4_200_000, CostKnown: true,
	}}
	want := Record{ID: "req-1", Ver: 2, Timestamp: at.UTC(),
		Identity: Identity{LoginName: "alice@example.com", StableNodeID: "nSTABLE", NodeName: "laptop",
			Principal: "alice@example.com"},
		Provider: "anthropic", Model: "claude-sonnet-4-6", APIType: "ant_messages", Stream: true,
		Usage: Usage{InputTokens: 100, OutputTokens: 50, CachedTokens: 10, CacheCreationInputTokens: 6,
			CacheCreation5mInputTokens: 4, CacheCreation1hInputTokens: 2, ReasoningTokens: 7},
		EstimatedCost: &Cost{Nanodollars: 4_200_000, Dollars: 0.0042},
		DurationMS:    1500, TTFBMS: 250, StatusCode: 200, SessionID: "sess-1", Path: "/v1/messages",
		UserAgent: "claude-cli/2"}
	tests := []struct {
		name string
		row  func(*ledger.ExportRow)
		want func(*Record)
	}{
		{"as is", func(*ledger.ExportRow) {}, func(*Record) {}},
		{"unknown cost is left out, not zero",
			func(r *ledger.ExportRow) { r.CostKnown, r.CostNanos = false, 0 },
			func(r *Record) { r.EstimatedCost = nil }},
		{"free is zero",
			func(r *ledger.ExportRow) { r.CostNanos = 0 },
			func(r *Record) { r.EstimatedCost = &Cost{} }},
		{"unpriced components",
			func(r *ledger.ExportRow) { r.Unpriced = "web_search,audio_input" },
			func(r *Record) { r.EstimatedCost.Unpriced = []string{"web_search", "audio_input"} }},
		{"tagged node",
			func(r *ledger.ExportRow) { r.LoginName, r.Tags, r.Principal = "", []string{"tag:ci"}, "tag:ci" },
			func(r *Record) {
				r.Identity.LoginName, r.Identity.Tags, r.Identity.Principal = "", []string{"tag:ci"}, "tag:ci"
			}},
		{"estimated and interrupted",
			func(r *ledger.ExportRow) { r.Usage.Estimated, r.Interrupted, r.Error = true, true, "upstream cut" },
			func(r *Record) { r.Usage.Estimated, r.Interrupted, r.Error = true, true, "upstream cut" }},
		{"capture",
			func(r *ledger.ExportRow) {
				r.Capture = &ledger.Capture{RequestHeaders: http.Header{"X-Api-Key": {"[redacted]"}},
					RequestBody: []byte(`{}`), ResponseBody: []byte(`{"ok":true}`), Truncated: true}
			},
			func(r *Record) {
				r.CaptureID = "req-1"
				r.Capture = &Capture{RequestHeaders: http.Header{"X-Api-Key": {"[redacted]"}},
					RequestBody: []byte(`{}`), ResponseBody: []byte(`{"ok":true}`), Truncated: true}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := base
			tt.row(&row)
			w := want
			if w.EstimatedCost != nil {
				c := *w.EstimatedCost
				w.EstimatedCost = &c
			}
			tt.want(&w)
			if got := FromRow(&row); !reflect.DeepEqual(got, w) {
				t.Errorf("\n got %+v\nwant %+v", got, w)
			}
		})
	}
}
