package usage

import (
	"encoding/json"
	"reflect"
	"testing"
)

// Usage objects as the providers send them: each must take the fast path.
var fastUsageSamples = []struct {
	name string
	json string
	fast func([]byte) (any, bool)
}{
	{"openai chat", `{"prompt_tokens":1200,"completion_tokens":50,"total_tokens":1250,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":10,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`, chatFast},
	{"openrouter chat", `{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"cost":0.00012,"is_byok":false,"prompt_tokens_details":{"cached_tokens":0,"cache_write_tokens":3},"cost_details":{"upstream_inference_cost":null}}`, chatFast},
	{"responses", `{"input_tokens":36,"input_tokens_details":{"cached_tokens":0},"output_tokens":87,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":123}`, responsesFast},
	{"anthropic", `{"input_tokens":2095,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":503,"service_tier":"standard","server_tool_use":{"web_search_requests":0}}`, anthropicFast},
	{"openai chat audio", `{"prompt_tokens":317,"completion_tokens":223,"total_tokens":540,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":300,"text_tokens":17,"image_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":180,"text_tokens":43,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`, chatFast},
	{"anthropic web search", `{"input_tokens":6039,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":931,"server_tool_use":{"web_search_requests":3,"web_fetch_requests":1},"service_tier":"priority"}`, anthropicFast},
	{"anthropic tier null", `{"input_tokens":1,"service_tier":null,"server_tool_use":null}`, anthropicFast},
	{"anthropic spaced", "{\n  \"input_tokens\": 10,\n  \"output_tokens\": null\n}\n", anthropicFast},
}

func chatFast(b []byte) (any, bool) {
	var w openAIChatUsage
	ok := fastChatUsage(b, &w)
	return w, ok
}

func responsesFast(b []byte) (any, bool) {
	var w responsesUsage
	ok := fastResponsesUsage(b, &w)
	return w, ok
}

func anthropicFast(b []byte) (any, bool) {
	var w anthropicUsage
	ok := fastAnthropicUsage(b, &w)
	return w, ok
}

func TestFastUsageSamples(t *testing.T) {
	for _, s := range fastUsageSamples {
		got, ok := s.fast([]byte(s.json))
		if !ok {
			t.Errorf("%s: not decoded on the fast path", s.name)
			continue
		}
		want := reflect.New(reflect.TypeOf(got))
		if err := json.Unmarshal([]byte(s.json), want.Interface()); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want.Elem().Interface()) {
			t.Errorf("%s: fast %+v, encoding/json %+v", s.name, got, want.Elem().Interface())
		}
	}
}

// FuzzFastUsage: whenever a fast decoder accepts an input, encoding/json
// accepts it too and decodes exactly the same values.
func FuzzFastUsage(f *testing.F) {
	for _, s := range fastUsageSamples {
		f.Add([]byte(s.json))
	}
	for _, s := range []string{`{}`, `null`, `{"prompt_tokens":1.0}`, `{"Prompt_Tokens":1}`, `{"a":1,"a":2}`,
		`{"prompt_tokens_details":null}`, `{"input_tokens":-0}`, `{"x":[1,{"y":"z"}]}`, `{"x":"\u00e9"} `,
		`{"input_tokens":99999999999999999999}`, `{"cache_creation":{"ephemeral_5m_input_tokens":null}}`,
		`{"service_tier":"\u0062atch"}`, `{"service_tier":"b\u00e9"}`, "{\"service_tier\":\"\xff\"}", `{"service_tier":5}`,
		`{"Service_Tier":"batch"}`, `{"service_tier":"a","service_tier":"b"}`, `{"server_tool_use":{"web_search_requests":2,"Web_Fetch_Requests":1}}`,
		`{"prompt_tokens_details":{"audio_tokens":1.5}}`, `{"completion_tokens_details":{"audio_tokens":null}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, fast := range []func([]byte) (any, bool){chatFast, responsesFast, anthropicFast} {
			got, ok := fast(b)
			if !ok {
				continue
			}
			want := reflect.New(reflect.TypeOf(got))
			if err := json.Unmarshal(b, want.Interface()); err != nil {
				t.Fatalf("fast decoder accepted %q, encoding/json refuses it: %v", b, err)
			}
			if !reflect.DeepEqual(got, want.Elem().Interface()) {
				t.Fatalf("%q: fast %+v, encoding/json %+v", b, got, want.Elem().Interface())
			}
		}
	})
}

func BenchmarkUsageObject(b *testing.B) {
	val := []byte(fastUsageSamples[0].json)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var w openAIChatUsage
			if !fastChatUsage(val, &w) {
				b.Fatal("slow path")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var w openAIChatUsage
			if json.Unmarshal(val, &w) != nil {
				b.Fatal("error")
			}
		}
	})
}
