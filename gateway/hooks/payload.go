package hooks

import (
	"encoding/json"
	"slices"
)

// Event is when a hook is called.
type Event string

// The events a grant's send_hooks may name.
const (
	// PreRequest runs guardrails before the provider is called.
	PreRequest Event = "pre_request"
	// EntireRequest notifies webhooks after every answer.
	EntireRequest Event = "entire_request"
	// ToolCallEntireRequest notifies webhooks after an answer that asked
	// for tool calls.
	ToolCallEntireRequest Event = "tool_call_entire_request"
)

// The send fields a grant's send_hooks may ask for.
const (
	SendRequestBody   = "request_body"
	SendUserMessage   = "user_message"
	SendResponseBody  = "response_body"
	SendRawResponses  = "raw_responses"
	SendTools         = "tools"
	SendEstimatedCost = "estimated_cost"
	SendGrants        = "grants"
	SendQuotas        = "quotas"
)

// Payload is the JSON body a hook receives (Aperture's HookCallData).
type Payload struct {
	Event        Event             `json:"event"`
	Metadata     Metadata          `json:"metadata"`
	RequestBody  json.RawMessage   `json:"request_body,omitempty"`
	UserMessage  *string           `json:"user_message,omitempty"`
	ResponseBody json.RawMessage   `json:"response_body,omitempty"`
	RawResponses []json.RawMessage `json:"raw_responses,omitempty"`
	ToolCalls    []ToolCall        `json:"tool_calls,omitempty"`
}

// ToolCall is one tool the model asked to call.
type ToolCall struct {
	ID     string          `json:"id,omitempty"`
	Name   string          `json:"name"`
	Params json.RawMessage `json:"params"`
}

// Metadata says who made the request and where it goes. The optional
// members are filled only when the grant asks for them.
type Metadata struct {
	LoginName    string   `json:"login_name"`
	NodeName     string   `json:"node_name,omitempty"`
	StableNodeID string   `json:"stable_node_id"`
	Tags         []string `json:"tags,omitempty"`
	TailnetName  string   `json:"tailnet_name,omitempty"`
	UserAgent    string   `json:"user_agent"`
	URL          string   `json:"url"`
	Model        string   `json:"model"`
	Provider     string   `json:"provider"`
	RequestID    string   `json:"request_id"`
	SessionID    string   `json:"session_id"`
	// LocalUser is the local OS user of a shared device (config
	// shared_device_tags) who sent the request.
	LocalUser string `json:"local_user,omitempty"`
	// StatusCode is the provider's answer's status, for webhooks.
	StatusCode int `json:"status_code,omitempty"`

	EstimatedCost *CostEstimate                `json:"estimated_cost,omitempty"`
	Grants        map[string][]json.RawMessage `json:"grants,omitempty"`
	Quotas        map[string]QuotaState        `json:"quotas,omitempty"`
}

// CostEstimate is a request's cost: before the call, what it may cost at
// most (what a quota would hold); after, what it cost.
type CostEstimate struct {
	Dollars     float64 `json:"dollars"`
	Nanodollars int64   `json:"nanodollars"`
	CostBasis   string  `json:"cost_basis,omitempty"`
}

// NewCostEstimate is the estimate of nanos nanodollars priced by basis.
func NewCostEstimate(nanos int64, basis string) *CostEstimate {
	return &CostEstimate{Dollars: float64(nanos) / 1e9, Nanodollars: nanos, CostBasis: basis}
}

// QuotaState is one bucket's balance, in nanodollars.
type QuotaState struct {
	Current  int64  `json:"current"`
	Capacity int64  `json:"capacity"`
	Rate     string `json:"rate"`
}

// Wants reports whether send asks for field.
func Wants(send []string, field string) bool { return slices.Contains(send, field) }

// JSONOrString is b as a JSON value: itself when it is valid JSON, else
// a JSON string of it, so a payload is always valid JSON.
func JSONOrString(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	if json.Valid(b) {
		return json.RawMessage(b)
	}
	s, _ := json.Marshal(string(b))
	return s
}
