package pricing

import (
	"math/big"
	"reflect"
	"testing"

	"github.com/tsplug/ts-plug/gateway/config"
	"github.com/tsplug/ts-plug/gateway/usage"
)

// meter reads a response body the way the gateway does and returns its
// normalized usage.
func meter(t *testing.T, api config.API, body string) usage.Usage {
	t.Helper()
	e := usage.NewExtractor(api, false)
	e.Write([]byte(body))
	e.Finish(true)
	u := e.Result()
	if !u.Found {
		t.Fatalf("no usage in %s", body)
	}
	return u
}

// term is one expected charge: n units at price nanodollars per per units.
type term struct {
	n, price, per int64
}

func tok(n, price int64) term    { return term{n, price, 1_000_000} }
func search(n, price int64) term { return term{n, price, 1000} }

// expect is the oracle: (Σ tokens × tier + Σ fees), rounded half up once.
// It is written from the providers' billing rules, not from CostDetail.
func expect(tier *big.Rat, tokens []term, fees ...term) int64 {
	sum := new(big.Rat)
	for _, x := range tokens {
		sum.Add(sum, big.NewRat(x.n*x.price, x.per))
	}
	sum.Mul(sum, tier)
	for _, x := range fees {
		sum.Add(sum, big.NewRat(x.n*x.price, x.per))
	}
	sum.Add(sum, big.NewRat(1, 2))
	return new(big.Int).Quo(sum.Num(), sum.Denom()).Int64()
}

var one, half = big.NewRat(1, 1), big.NewRat(1, 2)

// builtinQuote resolves model in the built-in table, failing the test when
// it is missing or lacks a component the case relies on.
func builtinQuote(t *testing.T, basis, model string, need Components) Price {
	t.Helper()
	r, err := NewResolver(map[string]ProviderPricing{basis: {CostBasis: basis}})
	if err != nil {
		t.Fatal(err)
	}
	q, ok := r.Resolve(basis, model)
	if !ok {
		t.Fatalf("%s/%s not in the built-in table", basis, model)
	}
	if !q.Price.Known.Has(need) {
		t.Fatalf("%s/%s: the table lacks components %b (has %b)", basis, model, need, q.Price.Known)
	}
	return q.Price
}

// TestCostDetailBeyondTokens prices what the providers bill beyond plain
// tokens, from usage objects shaped as the providers send them. Before
// these were priced, searches, audio and image tokens were billed as text
// or not at all, and a batch request at full price.
func TestCostDetailBeyondTokens(t *testing.T) {
	tests := []struct {
		name         string
		basis, model string
		need         Components
		u            func(t *testing.T) usage.Usage
		want         func(p Price) int64
		unpriced     []string
	}{
		{
			name: "anthropic web search billed per search", basis: "anthropic", model: "claude-sonnet-4-5-20250929",
			need: CompInput | CompOutput | CompWebSearch,
			u: func(t *testing.T) usage.Usage {
				return meter(t, config.AnthropicMessages, `{"id":"msg_ws","type":"message","role":"assistant","content":[{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"claude shannon birth date"}},{"type":"text","text":"April 30, 1916"}],"usage":{"input_tokens":6039,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":931,"server_tool_use":{"web_search_requests":3},"service_tier":"standard"}}`)
			},
			want: func(p Price) int64 {
				return expect(one, []term{tok(6039, p.Input), tok(931, p.Output)}, search(3, p.WebSearchPer1k))
			},
		},
		{
			name: "anthropic streamed search count and long context", basis: "anthropic", model: "claude-sonnet-4-5",
			need: CompInput | CompOutput | CompCacheRead | CompWebSearch,
			u: func(t *testing.T) usage.Usage {
				return meter(t, config.AnthropicMessages, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\",\"type\":\"message\",\"usage\":{\"input_tokens\":2679,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":250000,\"output_tokens\":3,\"service_tier\":\"standard\"}}}\n\n"+
					"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"input_tokens\":10682,\"cache_read_input_tokens\":250000,\"output_tokens\":510,\"server_tool_use\":{\"web_search_requests\":2}}}\n\n"+
					"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
			},
			want: func(p Price) int64 {
				l := p.LongContext
				return expect(one, []term{tok(10682, l.Input), tok(250_000, l.CacheRead), tok(510, l.Output)}, search(2, l.WebSearchPer1k))
			},
		},
		{
			name: "anthropic batch tier at half price, cache included", basis: "anthropic", model: "claude-haiku-4-5",
			need: CompInput | CompOutput | CompCacheRead,
			u: func(t *testing.T) usage.Usage {
				return meter(t, config.AnthropicMessages, `{"id":"msg_b","type":"message","usage":{"input_tokens":1001,"cache_creation_input_tokens":0,"cache_read_input_tokens":5000,"output_tokens":203,"service_tier":"batch"}}`)
			},
			want: func(p Price) int64 {
				return expect(half, []term{tok(1001, p.Input), tok(5000, p.CacheRead), tok(203, p.Output)})
			},
		},
		{
			name: "anthropic priority tier: standard price, tier unpriced", basis: "anthropic", model: "claude-opus-4-1",
			need: CompInput | CompOutput,
			u: func(t *testing.T) usage.Usage {
				return meter(t, config.AnthropicMessages, `{"id":"msg_p","type":"message","usage":{"input_tokens":1000,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":100,"service_tier":"priority"}}`)
			},
			want:     func(p Price) int64 { return expect(one, []term{tok(1000, p.Input), tok(100, p.Output)}) },
			unpriced: []string{"service_tier:priority"},
		},
		{
			name: "anthropic search on a model with no search price", basis: "anthropic", model: "claude-3-haiku-20240307",
			need: CompInput | CompOutput,
			u: func(t *testing.T) usage.Usage {
				return meter(t, config.AnthropicMessages, `{"usage":{"input_tokens":400,"output_tokens":20,"server_tool_use":{"web_search_requests":1,"web_fetch_requests":2}}}`)
			},
			want:     func(p Price) int64 { return expect(one, []term{tok(400, p.Input), tok(20, p.Output)}) },
			unpriced: []string{"web_search"}, // web fetch is free beyond tokens
		},
		{
			name: "openai chat audio in and out at audio rates", basis: "openai", model: "gpt-audio-2025-08-28",
			need: CompInput | CompOutput | CompInputAudio | CompOutputAudio,
			u: func(t *testing.T) usage.Usage {
				return meter(t, config.OpenAIChat, `{"id":"chatcmpl-a","object":"chat.completion","model":"gpt-audio-2025-08-28","choices":[{"index":0,"message":{"role":"assistant","content":null,"audio":{"id":"audio_1","data":"UklGRg==","expires_at":1,"transcript":"Hi"}},"finish_reason":"stop"}],"usage":{"prompt_tokens":317,"completion_tokens":223,"total_tokens":540,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":300,"text_tokens":17,"image_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":180,"text_tokens":43,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}`)
			},
			want: func(p Price) int64 {
				return expect(one, []term{tok(17, p.Input), tok(300, p.InputAudio), tok(43, p.Output), tok(180, p.OutputAudio)})
			},
		},
		{
			name: "openai audio where the table has no audio price: unpriced, not text", basis: "openai", model: "gpt-4o-audio-preview-2025-06-03",
			need: CompInput | CompOutput,
			u: func(t *testing.T) usage.Usage {
				return meter(t, config.OpenAIChat, `{"id":"chatcmpl-b","object":"chat.completion","model":"gpt-4o-audio-preview-2025-06-03","choices":[],"usage":{"prompt_tokens":317,"completion_tokens":223,"total_tokens":540,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":300},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":180}}}`)
			},
			want:     func(p Price) int64 { return expect(one, []term{tok(17, p.Input), tok(43, p.Output)}) },
			unpriced: []string{"input_audio", "output_audio"},
		},
		{
			name: "openai flex tier at half price", basis: "openai", model: "o3",
			need: CompInput | CompOutput | CompCacheRead,
			// Chat and Responses report service_tier beside usage.
			u: func(*testing.T) usage.Usage {
				return usage.Usage{InputTokens: 977, CachedTokens: 1024, OutputTokens: 3001, ReasoningTokens: 2800, ServiceTier: "flex", Found: true}
			},
			want: func(p Price) int64 {
				return expect(half, []term{tok(977, p.Input), tok(1024, p.CacheRead), tok(3001, p.Output)})
			},
		},
		{
			name: "openai priority tier unpriced", basis: "openai", model: "gpt-5",
			need: CompInput | CompOutput,
			u: func(*testing.T) usage.Usage {
				return usage.Usage{InputTokens: 100, OutputTokens: 10, ServiceTier: "priority", Found: true}
			},
			want:     func(p Price) int64 { return expect(one, []term{tok(100, p.Input), tok(10, p.Output)}) },
			unpriced: []string{"service_tier:priority"},
		},
		{
			name: "openai responses web and file search calls, flex: fees not discounted", basis: "openai", model: "gpt-5-mini",
			need: CompInput | CompOutput | CompWebSearch | CompFileSearch,
			u: func(*testing.T) usage.Usage {
				return usage.Usage{InputTokens: 9000, OutputTokens: 700, WebSearches: 2, FileSearches: 3, ServiceTier: "flex", Found: true}
			},
			want: func(p Price) int64 {
				return expect(half, []term{tok(9000, p.Input), tok(700, p.Output)}, search(2, p.WebSearchPer1k), search(3, p.FileSearchPer1k))
			},
		},
		{
			name: "gemini audio input, cached audio and tool-use prompt", basis: "gemini", model: "gemini-2.5-flash",
			need: CompInput | CompOutput | CompCacheRead | CompInputAudio | CompCacheReadAudio,
			u: func(t *testing.T) usage.Usage {
				return meter(t, config.GeminiGenerateContent, `{"candidates":[{"content":{"parts":[{"text":"It says hello."}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":3300,"candidatesTokenCount":40,"totalTokenCount":3880,"cachedContentTokenCount":1000,"promptTokensDetails":[{"modality":"TEXT","tokenCount":300},{"modality":"AUDIO","tokenCount":3000}],"cacheTokensDetails":[{"modality":"AUDIO","tokenCount":1000}],"candidatesTokensDetails":[{"modality":"TEXT","tokenCount":40}],"toolUsePromptTokenCount":500,"toolUsePromptTokensDetails":[{"modality":"TEXT","tokenCount":500}],"thoughtsTokenCount":40},"modelVersion":"gemini-2.5-flash"}`)
			},
			want: func(p Price) int64 {
				// text input = 300 prompt + 500 tool-use; thoughts are output.
				return expect(one, []term{tok(800, p.Input), tok(2000, p.InputAudio), tok(1000, p.CacheReadAudio), tok(80, p.Output)})
			},
		},
		{
			name: "gemini image output", basis: "gemini", model: "gemini-2.5-flash-image",
			need: CompInput | CompOutput | CompOutputImage,
			u: func(t *testing.T) usage.Usage {
				return meter(t, config.GeminiGenerateContent, `{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}},{"text":"Here."}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":270,"candidatesTokenCount":1300,"totalTokenCount":1570,"promptTokensDetails":[{"modality":"TEXT","tokenCount":12},{"modality":"IMAGE","tokenCount":258}],"candidatesTokensDetails":[{"modality":"IMAGE","tokenCount":1290},{"modality":"TEXT","tokenCount":10}]},"modelVersion":"gemini-2.5-flash-image"}`)
			},
			want: func(p Price) int64 {
				// No separate image-input price: image input is billed as text.
				return expect(one, []term{tok(270, p.Input), tok(10, p.Output), tok(1290, p.OutputImage)})
			},
		},
		{
			name: "gemini long context: images at the long tier's text rate", basis: "gemini", model: "gemini-2.5-pro",
			need: CompInput | CompOutput,
			u: func(t *testing.T) usage.Usage {
				return meter(t, config.GeminiGenerateContent, `{"candidates":[{"content":{"parts":[{"text":"ok"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":240000,"candidatesTokenCount":500,"totalTokenCount":240500,"promptTokensDetails":[{"modality":"TEXT","tokenCount":200000},{"modality":"IMAGE","tokenCount":40000}]},"modelVersion":"gemini-2.5-pro"}`)
			},
			want: func(p Price) int64 {
				return expect(one, []term{tok(240_000, p.LongContext.Input), tok(500, p.LongContext.Output)})
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := builtinQuote(t, tt.basis, tt.model, tt.need)
			u := tt.u(t)
			got, unpriced, ok := CostDetail(p, u)
			if !ok {
				t.Fatalf("CostDetail not ok for %+v", u)
			}
			if want := tt.want(p); got != want {
				t.Errorf("cost = %d n$, want %d n$ (usage %+v)", got, want, u)
			}
			if !reflect.DeepEqual(unpriced, tt.unpriced) {
				t.Errorf("unpriced = %q, want %q", unpriced, tt.unpriced)
			}
			// Cost is CostDetail when everything is priced, else unknown.
			c, known := Cost(p, u)
			if known != (len(tt.unpriced) == 0) || (known && c != got) {
				t.Errorf("Cost = %d, %v; CostDetail = %d, %q", c, known, got, unpriced)
			}
		})
	}
}

// TestCostDetailUnpriced: a part without its price (nor a parent's to fall
// back on) is named, and the rest is still priced.
func TestCostDetailUnpriced(t *testing.T) {
	inOnly := Price{Input: 2_000_000_000, Known: CompInput}
	tests := []struct {
		name     string
		p        Price
		u        usage.Usage
		want     int64
		unpriced []string
		ok       bool
	}{
		{"plain tokens all priced", sonnet45, usage.Usage{InputTokens: 1000, OutputTokens: 10, Found: true}, 3_150_000, nil, true},
		{"output and its audio part unknown", inOnly, usage.Usage{InputTokens: 1000, OutputTokens: 50, OutputAudioTokens: 20, Found: true},
			2_000_000, []string{"output", "output_audio"}, true},
		{"audio falls back to the input price", inOnly, usage.Usage{InputTokens: 1000, InputAudioTokens: 400, Found: true}, 2_000_000, nil, true},
		{"no fallback where the price says so", Price{Input: 2_000_000_000, Known: CompInput, NoFallback: CompInputAudio},
			usage.Usage{InputTokens: 1000, InputAudioTokens: 400, InputImageTokens: 100, Found: true}, 1_200_000, []string{"input_audio"}, true},
		{"modality larger than its count is clamped", inOnly, usage.Usage{InputTokens: 10, InputAudioTokens: 400, InputImageTokens: 400, Found: true}, 20_000, nil, true},
		{"cache read unknown, the rest priced", inOnly, usage.Usage{InputTokens: 1000, CachedTokens: 9, CachedAudioTokens: 3, Found: true},
			2_000_000, []string{"cache_read", "cache_read_audio"}, true},
		{"search fees unknown", inOnly, usage.Usage{InputTokens: 1, WebSearches: 4, FileSearches: 1, Found: true}, 2000, []string{"web_search", "file_search"}, true},
		{"unknown tier named after the rest", inOnly, usage.Usage{InputTokens: 1, WebSearches: 1, ServiceTier: "scale", Found: true},
			2000, []string{"web_search", "service_tier:scale"}, true},
		{"web fetches cost nothing", inOnly, usage.Usage{InputTokens: 1, WebFetches: 9, Found: true}, 2000, nil, true},
		{"no usage", sonnet45, usage.Usage{WebSearches: 1}, 0, nil, false},
		{"negative multiplier", Price{Input: 1, Known: CompInput, Multiplier: Ratio{-1, 1}}, usage.Usage{InputTokens: 1, Found: true}, 0, nil, false},
		{"search fee with an adjustment", Price{WebSearchPer1k: 10_000_000_000, Known: CompWebSearch, Multiplier: Ratio{11, 10}},
			usage.Usage{WebSearches: 3, Found: true}, 33_000_000, nil, true},
		{"batch halves tokens, one rounding", Price{Input: 1_000_000, Known: CompInput}, usage.Usage{InputTokens: 3, ServiceTier: "batch", Found: true}, 2, nil, true}, // 1.5 → 2
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, unpriced, ok := CostDetail(tt.p, tt.u)
			if got != tt.want || ok != tt.ok || !reflect.DeepEqual(unpriced, tt.unpriced) {
				t.Errorf("CostDetail = %d, %q, %v; want %d, %q, %v", got, unpriced, ok, tt.want, tt.unpriced, tt.ok)
			}
		})
	}
}

func TestResolverCostDetail(t *testing.T) {
	r, err := NewResolver(map[string]ProviderPricing{"ant": {CostBasis: "anthropic"}})
	if err != nil {
		t.Fatal(err)
	}
	u := usage.Usage{InputTokens: 10, OutputTokens: 1, ServiceTier: "priority", Found: true}
	n, basis, unpriced, known := r.CostDetail("ant", "claude-sonnet-4-5", u)
	q, _ := r.Resolve("ant", "claude-sonnet-4-5")
	if want := expect(one, []term{tok(10, q.Price.Input), tok(1, q.Price.Output)}); !known || n != want || basis != "anthropic/claude-sonnet-4-5" ||
		!reflect.DeepEqual(unpriced, []string{"service_tier:priority"}) {
		t.Errorf("CostDetail = %d, %q, %q, %v; want %d", n, basis, unpriced, known, want)
	}
	if _, _, _, known := r.CostDetail("ant", "no-such-model", u); known {
		t.Error("unknown model priced")
	}
	if _, _, known := r.Cost("ant", "claude-sonnet-4-5", u); known {
		t.Error("Cost known with an unpriced tier")
	}
}

func TestServiceTierMultiplier(t *testing.T) {
	tests := []struct {
		tier  string
		want  Ratio
		known bool
	}{
		{"", Ratio{1, 1}, true},
		{"standard", Ratio{1, 1}, true},
		{"default", Ratio{1, 1}, true},
		{"batch", Ratio{1, 2}, true},
		{"flex", Ratio{1, 2}, true},
		{"priority", Ratio{1, 1}, false},
		{"scale", Ratio{1, 1}, false},
		{"Batch", Ratio{1, 1}, false}, // tiers are reported lower case; anything else is unknown
	}
	for _, tt := range tests {
		if got, known := ServiceTierMultiplier(tt.tier); got != tt.want || known != tt.known {
			t.Errorf("ServiceTierMultiplier(%q) = %v, %v; want %v, %v", tt.tier, got, known, tt.want, tt.known)
		}
	}
}
