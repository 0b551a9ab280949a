package export

import (
	"net/http"
	"strings"
	"time"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/ledger"
)

// Version is the record format's version, the "ver" of every record.
const Version = 2

// Record is one request as an export object holds it, in CBOR. Keys are
// the spec's (id, ver, timestamp, identity, model, api_type, usage,
// estimated_cost, duration_ms, capture_id, session_id, path, status_code,
// capture) plus a few the ledger also keeps; empty values are left out.
type Record struct {
	ID        string    `cbor:"id"`
	Ver       int       `cbor:"ver"`
	Timestamp time.Time `cbor:"timestamp"` // when the request arrived, UTC
	Identity  Identity  `cbor:"identity"`
	Provider  string    `cbor:"provider,omitempty"`
	Model     string    `cbor:"model,omitempty"`
	// APIType is the provider API in the spec's names: oai_completions,
	// oai_responses, ant_messages, gemini_generate.
	APIType string `cbor:"api_type,omitempty"`
	Stream  bool   `cbor:"stream,omitempty"`
	Usage   Usage  `cbor:"usage"`
	// EstimatedCost is nil when the cost is unknown (no price, or no
	// usage reported), which is not the same as free.
	EstimatedCost *Cost  `cbor:"estimated_cost,omitempty"`
	DurationMS    int64  `cbor:"duration_ms"`
	TTFBMS        int64  `cbor:"ttfb_ms,omitempty"`
	StatusCode    int    `cbor:"status_code"`
	SessionID     string `cbor:"session_id,omitempty"`
	Path          string `cbor:"path,omitempty"`
	UserAgent     string `cbor:"user_agent,omitempty"`
	// Interrupted says the answer ended before its end (client gone,
	// upstream cut): usage may be partial.
	Interrupted bool `cbor:"interrupted,omitempty"`
	// Error is the gateway's own error, if it made one.
	Error string `cbor:"error,omitempty"`
	// CaptureID names the capture (it is the request's ID) when one is
	// in Capture.
	CaptureID string   `cbor:"capture_id,omitempty"`
	Capture   *Capture `cbor:"capture,omitempty"`
}

// Identity is who made the request, as the tailnet said.
type Identity struct {
	LoginName    string   `cbor:"login_name"` // "" for a tagged node or a loopback caller
	StableNodeID string   `cbor:"stable_node_id,omitempty"`
	NodeName     string   `cbor:"node_name,omitempty"`
	Tags         []string `cbor:"tags,omitempty"`
	// Principal is who the gateway meters the request to, as its
	// dashboard and limits name them: the login, the node's tags joined
	// by ",", or "(loopback)".
	Principal string `cbor:"principal,omitempty"`
	// LocalUser is the local OS user of a shared device (config
	// shared_device_tags) who sent the request; Principal is still who
	// was billed.
	LocalUser string `cbor:"local_user,omitempty"`
}

// Usage is the tokens a request used, in the names of the spec's
// CostEstimate usage.
type Usage struct {
	InputTokens                int64 `cbor:"input_tokens,omitempty"`
	OutputTokens               int64 `cbor:"output_tokens,omitempty"`
	CachedTokens               int64 `cbor:"cached_tokens,omitempty"`
	CacheCreationInputTokens   int64 `cbor:"cache_creation_input_tokens,omitempty"`
	CacheCreation5mInputTokens int64 `cbor:"cache_creation_5m_input_tokens,omitempty"`
	CacheCreation1hInputTokens int64 `cbor:"cache_creation_1h_input_tokens,omitempty"`
	ReasoningTokens            int64 `cbor:"reasoning_tokens,omitempty"`
	// Estimated says the counts are the gateway's estimate: the answer
	// ended before the provider's final usage.
	Estimated bool `cbor:"estimated,omitempty"`
}

// Cost is a request's estimated cost. Nanodollars is exact; Dollars is
// the same amount for readers that want a number of dollars.
type Cost struct {
	Nanodollars int64   `cbor:"nanodollars"`
	Dollars     float64 `cbor:"dollars"`
	// Unpriced lists the cost components the gateway could not price
	// (e.g. "web_search"), which the amount leaves out.
	Unpriced []string `cbor:"unpriced,omitempty"`
}

// Capture is the request and answer as the gateway captured them: headers
// with secrets already redacted, bodies as sent and received (a stream's
// body is its events), cut at the capture limit when Truncated.
type Capture struct {
	RequestHeaders  http.Header `cbor:"request_headers,omitempty"`
	ResponseHeaders http.Header `cbor:"response_headers,omitempty"`
	RequestBody     []byte      `cbor:"request_body,omitempty"`
	ResponseBody    []byte      `cbor:"response_body,omitempty"`
	Truncated       bool        `cbor:"truncated,omitempty"`
}

// apiTypes maps the gateway's API names to the export format's.
var apiTypes = map[config.API]string{
	config.OpenAIChat:            "oai_completions",
	config.OpenAIResponses:       "oai_responses",
	config.AnthropicMessages:     "ant_messages",
	config.GeminiGenerateContent: "gemini_generate",
}

// APIType returns the export name of api; an API the format has no name
// for keeps the gateway's.
func APIType(api config.API) string {
	if t, ok := apiTypes[api]; ok {
		return t
	}
	return string(api)
}

// FromRow is the record of a ledger row.
func FromRow(row *ledger.ExportRow) Record {
	r := &row.Record
	u := r.Usage
	rec := Record{
		ID:        r.ID,
		Ver:       Version,
		Timestamp: r.Time.UTC(),
		Identity: Identity{LoginName: r.LoginName, StableNodeID: r.StableNodeID, NodeName: r.NodeName,
			Tags: nonEmpty(r.Tags), Principal: r.Principal, LocalUser: r.LocalUser},
		Provider: r.Provider,
		Model:    r.Model,
		APIType:  APIType(r.API),
		Stream:   r.Stream,
		Usage: Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CachedTokens: u.CachedTokens,
			CacheCreationInputTokens: u.CacheCreationTokens, CacheCreation5mInputTokens: u.CacheCreation5mTokens,
			CacheCreation1hInputTokens: u.CacheCreation1hTokens, ReasoningTokens: u.ReasoningTokens,
			Estimated: u.Estimated},
		DurationMS:  r.Duration.Milliseconds(),
		TTFBMS:      r.TTFB.Milliseconds(),
		StatusCode:  r.Status,
		SessionID:   r.SessionID,
		Path:        row.Path,
		UserAgent:   r.UserAgent,
		Interrupted: r.Interrupted,
		Error:       r.Error,
	}
	if r.CostKnown {
		rec.EstimatedCost = &Cost{Nanodollars: r.CostNanos, Dollars: float64(r.CostNanos) / 1e9}
		if r.Unpriced != "" {
			rec.EstimatedCost.Unpriced = strings.Split(r.Unpriced, ",")
		}
	}
	if c := r.Capture; c != nil {
		rec.CaptureID = r.ID
		rec.Capture = &Capture{RequestHeaders: c.RequestHeaders, ResponseHeaders: c.ResponseHeaders,
			RequestBody: c.RequestBody, ResponseBody: c.ResponseBody, Truncated: c.Truncated}
	}
	return rec
}

// nonEmpty returns s, or nil when it is empty, so that omitempty leaves
// out an empty list however the ledger spelt it.
func nonEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
